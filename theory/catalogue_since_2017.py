"""Claims of the initialization theory that came after the seeds' sources (2017 onwards), as data.

Residual networks and their branch scales, normalization layers, attention logits, finite-width
corrections of deep ReLU networks, the loss at initialization, and decoupled weight decay. Each
claim cites its primary source; the predicted values come from :mod:`theory.residual`,
:mod:`theory.finite_width`, :mod:`theory.normalization`, :mod:`theory.attention`,
:mod:`theory.initial_loss`, :mod:`theory.weight_decay` and :mod:`theory.transformer`.
"""

from __future__ import annotations

from theory.claims import Claim, Kind

A, C, E, S = Kind.ASYMPTOTIC, Kind.CONTRACT, Kind.EXACT, Kind.STATISTICAL

HR18 = "Hanin & Rolnick (2018), 'How to start training', NeurIPS, arXiv:1803.01719"
HN19 = "Hanin & Nica (2019), Comm. Math. Phys., arXiv:1812.05994"
BA17 = "Balduzzi et al. (2017), 'The shattered gradients problem', ICML, arXiv:1702.08591"
YS17 = "Yang & Schoenholz (2017), 'Mean field residual networks', NeurIPS, arXiv:1712.08969"
FIXUP = "Zhang, Dauphin & Ma (2019), 'Fixup initialization', ICLR, arXiv:1901.09321"
SKIPINIT = "De & Smith (2020), NeurIPS, arXiv:2002.10444 (SkipInit)"
REZERO = "Bachlechner et al. (2021), 'ReZero is all you need', UAI, arXiv:2003.04887"
BN15 = "Ioffe & Szegedy (2015), arXiv:1502.03167, Algorithm 1"
LN16 = "Ba, Kiros & Hinton (2016), arXiv:1607.06450, eq. (4)"
RMS19 = "Zhang & Sennrich (2019), arXiv:1910.07467, eq. (4)"
VL17 = "van Laarhoven (2017), arXiv:1706.05350, eqs. (4)-(6)"
ALL19 = "Arora, Li & Lyu (2019), ICLR, arXiv:1812.03981, Lemma 2.4"
VA17 = "Vaswani et al. (2017), 'Attention is all you need', arXiv:1706.03762, Sec. 3.2.1, footnote 4"
SZ16 = "Szegedy et al. (2016), arXiv:1512.00567, Sec. 7"
MKH19 = "Müller, Kornblith & Hinton (2019), arXiv:1906.02629"
GPT2 = "Radford et al. (2019), 'Language models are unsupervised multitask learners', OpenAI, Sec. 2.3"
MEGATRON = "Shoeybi et al. (2019), 'Megatron-LM', arXiv:1909.08053, Sec. 3 (weight initialization)"
XIONG20 = "Xiong et al. (2020), 'On layer normalization in the Transformer architecture', arXiv:2002.04745"
DEEPNET = "Wang et al. (2022), 'DeepNet: scaling Transformers to 1,000 layers', arXiv:2203.00555"
GOYAL17 = "Goyal et al. (2017), 'Accurate, large minibatch SGD', arXiv:1706.02677, Sec. 5.1"
YANG19 = "Yang et al. (2019), 'A mean field theory of batch normalization', ICLR, arXiv:1902.08129"
YH21 = "Yang & Hu (2021), 'Feature learning in infinite-width neural networks', ICML, arXiv:2011.14522"
TP5 = "Yang et al. (2022), 'Tensor Programs V', arXiv:2203.03466"
JGH18 = "Jacot, Gabriel & Hongler (2018), 'Neural tangent kernel', NeurIPS, arXiv:1806.07572"
PO16 = "Poole et al. (2016), 'Exponential expressivity in deep neural networks', arXiv:1606.05340"
SC17 = "Schoenholz et al. (2017), 'Deep information propagation', ICLR, arXiv:1611.01232"
HDR19 = (
    "Hayou, Doucet & Rousseau (2019), 'On the impact of the activation function on deep neural "
    "networks training', ICML, arXiv:1902.06853"
)
XI18 = "Xiao et al. (2018), 'Dynamical isometry and a mean field theory of CNNs', ICML, arXiv:1806.05393"
LJH15 = "Le, Jaitly & Hinton (2015), 'A simple way to initialize recurrent networks', arXiv:1504.00941"
SMG14 = "Saxe, McClelland & Ganguli (2014), ICLR, arXiv:1312.6120"
MM16 = "Mishkin & Matas (2016), 'All you need is a good init', ICLR, arXiv:1511.06422"
LH19 = "Loshchilov & Hutter (2019), 'Decoupled weight decay regularization', ICLR, arXiv:1711.05101"

_BRANCH = (
    "x_{l+1} = x_l + alpha W2_l relu(W1_l x_l); W1 ~ N(0, sigma_1^2/N), W2 ~ N(0, sigma_2^2/N) "
    "i.i.d., fresh in every block, all N x N, no biases; x_0 != 0 fixed"
)

_FINITE_WIDTH = [
    Claim(
        "he-relu-norm-preserved",
        "He initialization preserves the expected squared norm at every width",
        "E ||x_L||^2 / ||x_0||^2 = 1 for x_l = relu(W_l x_{l-1}), W_l ~ N(0, 2/N), at every width N "
        "and depth L (not only as N -> infinity)",
        f"{HR18}, Sec. 3; He et al. (2015), arXiv:1502.01852, Sec. 2.2",
        S,
        "equal widths N, Gaussian weights of variance 2/N, no biases, x_0 != 0 fixed",
    ),
    Claim(
        "he-relu-fourth-moment",
        "The finite-width correction of He initialization: (1 + 5/N)^L",
        "E ||x_L||^4 / ||x_0||^4 = (1 + 5/N)^L: each layer's ratio is (2/N) chi^2_K with "
        "K ~ Bin(N, 1/2), i.i.d. across layers, so the fluctuations of ||x_L|| grow like exp(5 L / N)",
        f"{HR18}, Sec. 3 (the exp(5 sum 1/n_j) factor); {HN19}",
        S,
        "equal widths N, Gaussian weights of variance 2/N, no biases, x_0 != 0 fixed",
    ),
]

_LOG_NORM = [
    Claim(
        "he-relu-log-norm-moments",
        "The exact finite-width mean and variance of log ||x_L|| at He initialization",
        "given x_L != 0, log(||x_L||^2 / ||x_0||^2) = sum_l log r_l with i.i.d. r_l = (2/N) chi^2_K, "
        "K ~ Bin(N, 1/2) | K >= 1: mean L kappa_1 and variance L kappa_2, with kappa_j the cumulants "
        "of the binomial mixture of log chi^2_k (digamma and polygamma functions); kappa_1 = "
        "-5/(2N) + O(N^-2), kappa_2 = 5/N + O(N^-2), so log ||x_L|| has mean ~ -5L/(4N) and variance "
        "~ 5L/(4N)",
        f"{HN19}, Thm. 1 and eq. (1.3); {HR18}, Sec. 3",
        S,
        "equal widths N, Gaussian weights of variance 2/N, no biases, x_0 != 0 fixed; conditioned on "
        "x_L != 0 (a layer is entirely dead with probability 2^-N, and then log ||x_L|| = -inf, which "
        "the papers' first-order statement leaves out). At N = 8 the exact variance is twice 5L/N",
        see_also=("he-relu-fourth-moment",),
    ),
    Claim(
        "he-relu-log-norm-gaussian",
        "log ||x_L|| is asymptotically normal at He initialization",
        "the Kolmogorov distance between the law of log(||x_L||^2 / ||x_0||^2) | x_L != 0 and the "
        "normal law of the same mean and variance tends to 0 as N -> infinity (and as L -> infinity); "
        "at finite (N, L) it is the number D(N, L) computed from the exact law (the L-fold convolution "
        "of the one-layer mixture), e.g. 0.055 at (16, 1), 0.035 at (16, 3), 0.012 at (256, 1)",
        f"{HN19}, Thm. 1 (log-normality with variance ~ 5 sum 1/n_j / 4)",
        A,
        "as he-relu-log-norm-moments; finite-size tolerance: D(N, L) computed by theory, plus the "
        "grid error of the convolution (< 1e-3)",
        see_also=("he-relu-log-norm-moments",),
    ),
]

_MLP = "MLP widths (d, n, ..., n, k), d and k fixed, n -> infinity, ReLU, no biases"

_PARAMETRIZATIONS = [
    Claim(
        "mup-coordinate-check",
        "μP's coordinate check: the first update changes every layer by Theta(1) whatever the width",
        "under μP (Table 3: input init var 1/fan_in, SGD lr eta fan_out, Adam lr eta; hidden 1/fan_in, "
        "eta, eta/fan_in; output 1/fan_in^2, eta/fan_in, eta/fan_in) one SGD or Adam step with a "
        "width-independent eta changes the pre-activations of the input layer, of every hidden "
        "layer and the output by an RMS Theta(n^0): the log-log slope of the change against the "
        "width is 0",
        f"{TP5}, Table 3 and Fig. 5 (coordinate check); {YH21}, Sec. 5 and Thm. 6.1",
        A,
        f"{_MLP}; one step on a fixed-size batch with a linear loss u.f (so dLoss/df = u = "
        "Theta(1)), measured on that batch. Finite-width tolerance: the median slope of "
        "independent width ladders lies within 1/4 of 0 (half the spacing 1/2 of the exponents "
        "abc-parametrizations give); every term of the change has exponent 0, so the bias of the "
        "slope comes from relative corrections rho/n: at most 0.15 for rho <= 4 over widths "
        "32..256 (theory.width_scaling.slope_bias_bound)",
        references=(TP5, YH21),
    ),
    Claim(
        "abc-first-update-exponents",
        "SP blows up, NTK is lazy, μP is maximal: the width exponents of the first update",
        "the first-order change of each layer's pre-activation after one step has RMS Theta(n^e) "
        "with e from the abc-calculus (theory.width_scaling.first_update_exponents): SP with SGD "
        "(input, hidden, output) = (-1/2, 1/2, 1), with Adam (0, 1, 3/2); NTK with SGD (-1/2, -1/2, "
        "0): the features do not move, the output does; NTK with Adam (0, 1/2, 1); μP (0, 0, 0)",
        f"{YH21}, Sec. 3 and Table 1 (abc-parametrizations, SP and NTK); {TP5}, Table 3; {JGH18}",
        A,
        f"{_MLP}; a width-independent base eta; NTK's Adam rates are the one global eta (Jacot et al. "
        "use gradient descent); first order in the update (the derivative along it: under SP the "
        "actual change is larger still, since ReLU rectifies changes much larger than the "
        "activations). Checked where every term below the leading one is smaller by n^-1 or "
        "more: not SP-Adam's output nor NTK-Adam's hidden and output layers, whose next term is "
        "only n^-1/2 smaller (a correction n^-1/2 biases a slope over widths 32..256 by up to "
        "0.27, as much as the band: theory.width_scaling.slope_bias_bound). Tolerance as "
        "mup-coordinate-check",
        see_also=("mup-coordinate-check",),
        references=(YH21, TP5),
    ),
    Claim(
        "ntk-param-same-function-as-sp",
        "At initialization the NTK parametrization computes SP's function",
        "with the same standard normal draws z_l, SP's weight (g / sqrt(fan_in)) z_l and NTK's "
        "multiplier times weight (g / sqrt(fan_in)) * z_l are equal, so the two networks agree "
        "on every input (and so do their laws); only the gradients, hence the training dynamics, differ",
        f"{JGH18}, Sec. 2 (the NTK parametrization); {YH21}, Sec. 3",
        E,
        "the same gains; weights drawn from the same standard normal stream in layer order",
        see_also=("ntk-two-layer-relu",),
    ),
    Claim(
        "ntk-param-kernel-diagonal-law",
        "The tangent kernel of a one-hidden-layer ReLU network in NTK parametrization, in law",
        "f(x) = n^-1/2 sum_r a_r relu(g w_r.x / sqrt(d)), a, w standard normal: the empirical tangent "
        "kernel on the diagonal is Theta_n(x, x) = (g^2 ||x||^2 / d) Gamma(K, scale 2) / n with "
        "K ~ Bin(n, 1/2) (each neuron adds 1{u_r > 0} (a_r^2 + z_r^2), a chi^2_2 half the time): "
        "mean g^2 ||x||^2 / d (the NTK) and relative standard deviation sqrt(3/n) at every width, "
        "so the kernel converges at rate n^-1/2",
        f"{JGH18}, Thm. 1; Arora et al. (2019), arXiv:1904.11955, Sec. 3",
        S,
        "one hidden layer of width n, no biases, x != 0, gradients taken with respect to the stored "
        "weights of the NTK parametrization",
        see_also=("ntk-two-layer-relu",),
    ),
    Claim(
        "mup-output-variance",
        "μP's output variance at initialization is 1/n of SP's",
        "with He-initialized (gain sqrt(2)) ReLU layers and readout init var 1/fan_in^2 (μP) or "
        "1/fan_in (SP): n E f^2 = ||x||^2 / d under μP and E f^2 = ||x||^2 / d under SP, exactly at "
        "every width n (f = sum_j w_j x^L_j with E ||x^L||^2 / n = ||x||^2 / d): μP's logits are "
        "Theta(n^-1/2) at initialization",
        f"{TP5}, Table 3 and Sec. 4 (output weights); {YH21}, Sec. 5",
        S,
        "widths (d, n, k), ReLU, no biases, x != 0 fixed",
        references=(TP5,),
    ),
]

_WIDTHS_AND_KERNELS = [
    Claim(
        "he-either-mode-suffices",
        "He initialization: fan_in or fan_out, either avoids exponential growth",
        "the per-unit mean square of a ReLU network's activations changes by E R = 1 with fan_in "
        "and by n_0 / n_L with fan_out, at every width: the product of the width ratios "
        "telescopes, so neither mode explodes or vanishes exponentially with depth",
        "He et al. (2015), arXiv:1502.01852, Sec. 2.2 (after eq. (10) and (14))",
        S,
        "Gaussian weights of variance 2/fan, no biases, any widths n_0..n_L, x_0 != 0 fixed",
    ),
    Claim(
        "glorot-unequal-widths-bracket",
        "With unequal widths Glorot's compromise satisfies neither condition",
        "Var W = 2 / (n_in + n_out) gives n_in Var W = 2 n_in / (n_in + n_out) and n_out Var W = "
        "2 n_out / (n_in + n_out): they sum to 2 and multiply to at most 1, so when n_in != n_out "
        "one is below 1 and the other above (they bracket 1) and neither the forward nor the "
        "backward variance is preserved by the layer; xavier_normal and xavier_uniform draw laws "
        "with exactly these products",
        "Glorot & Bengio (2010), AISTATS, Sec. 4.2.1, eqs. (10)-(12)",
        S,
        "2-D weights (fan_out, fan_in), gain 1; the products are those of the law's variance",
        see_also=("glorot-compromise", "he-either-mode-suffices"),
        references=("Glorot & Bengio (2010), AISTATS, eqs. (10)-(12)",),
    ),
    Claim(
        "relu-edge-of-chaos-point",
        "ReLU's edge of chaos is a single point",
        "chi_1 = sigma_w^2 E[relu'(sqrt(q) z)^2] = sigma_w^2 / 2 for every q, and the length map "
        "q -> sigma_w^2 q / 2 + sigma_b^2: criticality needs sigma_w^2 = 2, where q* exists only "
        "for sigma_b = 0; there is no ordered/chaotic phase boundary as for tanh",
        "Hayou, Doucet & Rousseau (2019), 'On the impact of the activation function on deep "
        "neural networks training', ICML, arXiv:1902.06853, Sec. 2, Prop. 1",
        E,
        "mean-field limit N -> infinity; weights N(0, sigma_w^2 / N), biases N(0, sigma_b^2)",
    ),
    Claim(
        "ntk-two-layer-relu",
        "The NTK of a two-layer ReLU network, in closed form",
        "f(x) = m^(-1/2) sum_r a_r relu(w_r . x): the empirical tangent kernel is an average of m "
        "i.i.d. terms with mean Theta(x, y) = x.y (pi - theta) / (2 pi) + ||x|| ||y|| "
        "(sin theta + (pi - theta) cos theta) / (2 pi) at every width",
        "Jacot, Gabriel & Hongler (2018), arXiv:1806.07572, Thm. 1; Arora et al. (2019), "
        "arXiv:1904.11955, Sec. 3; Cho & Saul (2009), NeurIPS, eq. (6)",
        S,
        "NTK parametrization, w ~ N(0, I_d), a ~ N(0, 1), no biases, x, y != 0",
    ),
]

_RESIDUAL = [
    Claim(
        "resnet-norm-growth",
        "The residual stream's squared norm grows geometrically with plain branches",
        "E ||x_L||^2 / ||x_0||^2 = (1 + alpha^2 sigma_1^2 sigma_2^2 / 2)^L at every width; 2^L for "
        "He-initialized branches (sigma_1^2 = 2, sigma_2^2 = 1, alpha = 1)",
        f"{HR18}, Sec. 4; {BA17}; {YS17}",
        S,
        _BRANCH,
    ),
    Claim(
        "resnet-depth-scaled-branch-bounded",
        "Branch scale 1/sqrt(L) keeps the residual stream bounded",
        "with alpha = 1/sqrt(L) and He branches, E ||x_L||^2 / ||x_0||^2 = (1 + 1/L)^L < e at every "
        "depth: the growth is bounded because the sum of the squared branch scales is. GPT-2 "
        "(1/sqrt(N) for N residual layers) and Megatron-LM (sigma/sqrt(2L) for L blocks of two "
        "residual layers) apply this rule to transformers",
        f"{HR18}, Sec. 4; {YS17}; Radford et al. (2019), 'Language models are unsupervised "
        "multitask learners', Sec. 2.3; Shoeybi et al. (2019), arXiv:1909.08053, Sec. 3",
        S,
        _BRANCH,
    ),
    Claim(
        "rezero-identity",
        "A zero branch scale makes the network the identity",
        "alpha = 0 (SkipInit, ReZero): x_L = x_0 exactly, and the input-output Jacobian is I, so the "
        "gradient reaching x_0 is the gradient at x_L",
        f"{SKIPINIT}; {REZERO}",
        C,
        "any weights; the branch scale alpha is exactly 0",
    ),
    Claim(
        "fixup-zero-init-identity",
        "Zero-initialized last branch layers and classifier: identity stream, loss ln K, only the "
        "classifier learns at step 0",
        "with every branch's last layer and the classifier initialized to zero, x_L = x_0, the logits "
        "are 0, the cross-entropy is ln K, every branch weight's gradient is exactly 0 and the "
        "classifier's gradient (softmax - onehot)^T x_L is not",
        f"{FIXUP}, Sec. 3; Goyal et al. (2017), arXiv:1706.02677, Sec. 5.1 (zero gamma)",
        E,
        "residual MLP with two-layer branches and a linear classifier without bias; x_0 != 0",
    ),
    Claim(
        "zero-logits-loss-log-k",
        "The cross-entropy of equal logits is ln K",
        "softmax(c 1) is uniform, so CE = ln K for K classes whatever the target",
        f"{FIXUP}, Sec. 3",
        C,
        "K >= 1 classes, all logits equal, no label smoothing or class weights",
    ),
]

_NORMALIZATION = [
    Claim(
        "layernorm-output-moments",
        "LayerNorm's output has mean 0 and variance s^2 / (s^2 + eps) per sample",
        "y = (x - mu) / sqrt(s^2 + eps) over the normalized dimensions: mean(y) = 0 and "
        "mean(y^2) = s^2 / (s^2 + eps), s^2 the biased variance",
        LN16,
        C,
        "weight = 1, bias = 0 (the default initialization of the affine parameters)",
    ),
    Claim(
        "rmsnorm-output-mean-square",
        "RMSNorm's output has mean square m / (m + eps)",
        "y = x / sqrt(m + eps), m = mean(x^2) over the normalized dimensions: mean(y^2) = m / (m + eps)",
        RMS19,
        C,
        "weight = 1 (its default initialization)",
    ),
    Claim(
        "batchnorm-train-output-moments",
        "BatchNorm in training mode: per-channel batch mean 0 and variance s^2 / (s^2 + eps)",
        "per channel, over the batch and spatial axes: mean(y) = 0, mean(y^2) = s^2 / (s^2 + eps), "
        "s^2 the biased batch variance",
        BN15,
        C,
        "training mode (batch statistics), weight = 1, bias = 0, more than one value per channel",
    ),
    Claim(
        "normalization-scale-invariance",
        "Normalized layers are scale invariant: the gradient is orthogonal to W and scales as 1/c",
        "with eps = 0, LN((c W) x) = LN(W x) for c > 0; hence f(W) = loss(LN(W x)) has "
        "<grad f(W), W> = 0 and grad f(c W) = grad f(W) / c",
        f"{VL17}; {ALL19}",
        E,
        "eps = 0 (with eps > 0 the invariance holds up to eps / s^2); c > 0",
    ),
    Claim(
        "erf-edge-of-chaos-closed-form",
        "erf's mean field in closed form (the arcsine kernel)",
        "for phi = erf, E[erf(u1) erf(u2)] = (2/pi) arcsin(2 q12 / sqrt((1 + 2 q11)(1 + 2 q22))), so "
        "the length map is q -> sigma_w^2 (2/pi) arcsin(2q / (1 + 2q)) + sigma_b^2 and chi_1 = "
        "sigma_w^2 (4/pi) / sqrt(1 + 4 q*); the edge of chaos at sigma_b = 0 is sigma_w^2 = pi/4",
        f"Williams (1997), 'Computing with infinite networks', NeurIPS, eq. (11); {PO16}, Sec. 2",
        A,
        "mean-field limit N -> infinity; weights N(0, sigma_w^2 / N), biases N(0, sigma_b^2); "
        "checked at finite width against networks of impls' normal weights with scipy's erf",
        see_also=("meanfield-length-map",),
        references=("Williams (1997), NeurIPS, eq. (11)", PO16),
    ),
    Claim(
        "gelu-silu-critical-curve",
        "GELU and SiLU have a critical curve, stable only above a bias threshold",
        "the (sigma_b^2, sigma_w^2) with chi_1 = 1 at the fixed point form a curve, parametrized by "
        "q*: sigma_w^2 = 1 / E phi'(sqrt q* z)^2, sigma_b^2 = q* - sigma_w^2 E phi(sqrt q* z)^2; on "
        "it the gradient's second moment is constant with depth. The fixed point is stable (the "
        "length map's slope < 1) only for sigma_b^2 >= 0.1729 (GELU) and >= 0.5551 (SiLU): below, "
        "the critical point exists but a network leaves it, and sigma_w = 1/phi'(0) = 2 at sigma_b "
        "= 0 (q* = 0) is unstable too",
        f"{HDR19}, Sec. 3 (edge of chaos of smooth ReLU-like activations, Fig. 2); {SC17}, Sec. 3",
        A,
        "mean-field limit N -> infinity; weights N(0, sigma_w^2 / N), biases N(0, sigma_b^2); the "
        "stability thresholds are computed here (brentq on the slope), not quoted from the paper",
        see_also=("relu-edge-of-chaos-point", "tanh-critical-line"),
        references=(HDR19, SC17),
    ),
    Claim(
        "dropout-breaks-critical-point",
        "Dropout decorrelates identical inputs: no order-to-chaos critical point",
        "with inputs of a layer kept with probability rho and scaled by 1/rho, two copies of one "
        "input a give pre-activations with E[h_a h_b] / E[h_a^2] = (sigma_w^2 m + sigma_b^2) / "
        "(sigma_w^2 m / rho + sigma_b^2) < 1 at every width (m = mean a^2): c = 1 is not a fixed "
        "point of the correlation map, the correlations converge to c* < 1 and the depth scale "
        "xi_c stays finite for every (sigma_w, sigma_b): no critical point for rho < 1",
        f"{SC17}, Sec. 6, eqs. (12)-(13)",
        S,
        "independent Bernoulli(rho) masks for the two copies; weights N(0, sigma_w^2 / N), biases "
        "N(0, sigma_b^2), one fixed layer input a; the mean-field consequences (c* < 1) from theory",
        see_also=("dropout-second-moment",),
        references=(SC17,),
    ),
]

_CONV_FANS = [
    Claim(
        "grouped-and-transposed-conv-fans",
        "Fans of grouped and transposed convolutions",
        "a grouped convolution's weight (out, in/groups, *k) has fan_in = in/groups * prod(k); a "
        "transposed convolution's weight (in, out/groups, *k) gets fan_in = out/groups * prod(k) "
        "from the same rule, so fan_in mode on ConvTranspose scales by its output channels",
        "PyTorch torch/nn/modules/conv.py and torch/nn/init.py _calculate_fan_in_and_fan_out; "
        "Xie et al. (2017), 'Aggregated residual transformations' (ResNeXt), arXiv:1611.05431",
        C,
        "PyTorch's weight layouts; groups divides both channel counts",
    ),
]

_DROPOUT = [
    Claim(
        "dropout-second-moment",
        "Dropout keeps the mean and inflates the second moment by 1/(1 - p)",
        "inverted dropout y = x m / (1 - p), m ~ Bernoulli(1 - p): E y = x and E y^2 = x^2 / (1 - p), "
        "so dropout on a layer's input multiplies sigma_w^2 by 1/(1 - p) in the length map and "
        "moves the fixed point and the critical line",
        "Srivastava et al. (2014), JMLR 15, Sec. 4; Schoenholz et al. (2017), arXiv:1611.01232, Sec. 6",
        S,
        "training mode, independent Bernoulli masks, 0 <= p < 1",
    ),
]

_ATTENTION = [
    Claim(
        "attention-logit-variance",
        "The scaled attention logit has unit variance",
        "Var(q . k / sqrt(d_k)) = 1 for q, k with independent unit-variance zero-mean entries, whatever d_k",
        VA17,
        S,
        "q, k independent with i.i.d. N(0, 1) entries (the fourth moment 3 + 6/d_k sizes the check)",
    ),
    Claim(
        "attention-unscaled-variance-dk",
        "The unscaled dot product has variance d_k",
        "Var(q . k) = d_k for unit-variance entries: without the 1/sqrt(d_k) scale the softmax "
        "saturates as d_k grows",
        VA17,
        S,
        "q, k independent with i.i.d. N(0, 1) entries",
    ),
]

_LOSS_AND_DECAY = [
    Claim(
        "label-smoothing-optimal-gap",
        "Label smoothing's optimal logit gap",
        "with smoothing epsilon, the cross-entropy's gradient vanishes exactly where the target's "
        "logit exceeds every other by log(1 + K (1 - epsilon) / epsilon)",
        f"{SZ16}; {MKH19}",
        E,
        "K >= 2 classes, epsilon in (0, 1], all non-target logits equal",
    ),
    Claim(
        "sgd-l2-equals-decoupled-decay",
        "For SGD, L2 regularization and decoupled weight decay coincide",
        "p - lr (g + lambda p) = p (1 - lr lambda) - lr g: SGD's weight_decay lambda is decoupled "
        "decay lambda multiplied by lr (lambda' = lambda / lr in the paper's notation)",
        f"{LH19}, Prop. 1",
        C,
        "plain SGD (no momentum); decay multiplied by lr as in PyTorch",
    ),
    Claim(
        "adam-l2-differs-from-adamw",
        "For Adam, L2 regularization is not decoupled weight decay",
        "first bias-corrected step: Adam + L2 gives p - lr (g + l p) / (|g + l p| + eps); AdamW gives "
        "p (1 - lr l) - lr g / (|g| + eps) (PyTorch multiplies the decay by lr): the L2 term is "
        "normalized away by Adam's denominator",
        f"{LH19}, Prop. 2, Algorithm 2; torch.optim.AdamW",
        E,
        "the first step (t = 1), bias correction on",
    ),
    Claim(
        "adamw-decay-multiplied-by-lr",
        "PyTorch's AdamW multiplies the decay by the current learning rate",
        "torch.optim.AdamW (and Adam(decoupled_weight_decay=True)) steps p_t = p_{t-1} (1 - lr_t "
        "lambda) + d_t, where d_t is the step Adam without decay takes on the same gradients (it "
        "does not depend on p): the decay is decoupled from the moments but scaled by lr_t. "
        "Loshchilov & Hutter's Algorithm 2 multiplies lambda by the schedule multiplier eta_t "
        "only (lr_t = alpha eta_t), so PyTorch's weight_decay is the paper's lambda / alpha",
        f"{LH19}, Algorithm 2 (line 12); torch/optim/adamw.py",
        C,
        "any gradient sequence, any per-step learning rate, bias correction on; the paper's "
        "lambda is per unit of eta_t, PyTorch's per unit of lr_t",
        see_also=("adam-l2-differs-from-adamw",),
        references=(LH19, "PyTorch torch.optim.AdamW documentation (algorithm box)"),
    ),
    Claim(
        "gaussian-logits-cross-entropy",
        "The expected cross-entropy of Gaussian logits",
        "for logits z ~ N(0, s^2 I_K), E CE = E log sum_j exp(z_j) - E z_y = E log sum_j exp(z_j), "
        "computed exactly by Frullani's integral; for small s it is ln K + (1 - 1/K) s^2 / 2 + "
        "O(s^4): the often-quoted ln K + s^2/2 is its large-K form, and for K = 2 the excess "
        "over ln K is half of s^2/2",
        f"{FIXUP}, Sec. 3 (loss ln K at zero logits); Karpathy (2019), 'A recipe for training "
        "neural networks' (loss at initialization)",
        S,
        "logits i.i.d. N(0, s^2), independent of the target; 0 < s <= 4; no label smoothing",
        see_also=("zero-logits-loss-log-k",),
        references=(FIXUP,),
    ),
    Claim(
        "gaussian-logits-softmax-saturation",
        "The softmax of Gaussian logits saturates as their scale grows",
        "E max_j softmax(z)_j for z ~ N(0, s^2 I_K) equals K E_x int_0^inf exp(-t) g(t, x)^(K-1) dt "
        "(g(t, x) = E[exp(-t exp(s (Z - x))); Z < x]); it increases with s from 1/K at s = 0 "
        "towards 1: large initial logits make the classifier confident before it has learned",
        f"{VA17} (the saturated softmax motivating the logit scale); {FIXUP}, Sec. 3",
        S,
        "logits i.i.d. N(0, s^2); 0 < s <= 4",
        see_also=("gaussian-logits-cross-entropy", "attention-unscaled-variance-dk"),
    ),
]

_STRUCTURED = [
    Claim(
        "delta-orthogonal-circular-isometry",
        "A delta-orthogonal kernel makes a circular convolution an exact isometry",
        "W (out, in, *k) zero but for gain H at the kernel's centre, H^T H = I (out >= in): the "
        "convolution with circular padding applies H at every position, so ||conv(x)|| = |gain| "
        "||x|| for every input x and every singular value of the layer is |gain|",
        f"{XI18}, Sec. 2.4 and Algorithm 2",
        E,
        "PyTorch layout (out, in, *k), stride 1, circular padding, out >= in; up to rounding",
        see_also=("orthogonal-identity", "orthogonal-linear-isometry"),
        references=(XI18,),
    ),
    Claim(
        "orthogonal-rnn-norm-preserving",
        "Orthogonal and identity recurrent matrices preserve the state's norm at every step",
        "h_t = W h_{t-1} with W orthogonal (Saxe et al.) or W = I (IRNN): ||h_t|| = ||h_0|| for every "
        "t, however long the sequence",
        f"{LJH15}, Sec. 2 (IRNN); {SMG14}, Sec. 3",
        E,
        "linear recurrence without input or bias (the IRNN's ReLU keeps the norm only where h >= 0); "
        "up to rounding, which grows linearly in t",
        see_also=("tied-gaussian-rnn-norm-drift", "orthogonal-linear-isometry"),
        references=(LJH15, SMG14),
    ),
    Claim(
        "tied-gaussian-rnn-norm-drift",
        "A Gaussian recurrent matrix does not preserve E||h_t||^2 at finite width",
        "h_t = W^t h_0 with one W of iid N(0, 1/n) entries: E ||h_t||^2 / ||h_0||^2 is 1 at t = 1 but "
        "1 + 2/n^2 at t = 2 (Wick) and grows with t (n = 2: 1, 1.5, 4, 14.5), unlike a product of "
        "independent layers (exactly 1 at every depth): the recurrence's weight tying correlates "
        "the steps",
        f"{LJH15}, Sec. 1 (exploding and vanishing states of random recurrent matrices); {SMG14}",
        S,
        "linear recurrence, no input or bias; n small enough for the exact Gauss-Hermite moment",
        see_also=("orthogonal-rnn-norm-preserving", "jx-norm-law"),
        references=(LJH15, "Isserlis (1918), Biometrika 12 (Wick's theorem)"),
    ),
    Claim(
        "lsuv-unit-variance",
        "LSUV leaves every layer's output with unit variance on its batch",
        "after layer-sequential unit-variance initialization with tolerance tol, every layer's "
        "output variance on the batch is within tol of 1 (or a warning names the layer that "
        "reached max_iter); with zero biases each layer needs exactly one rescaling, whatever the "
        "activation (ReLU, tanh): the output is linear in the weight",
        f"{MM16}, Algorithm 1",
        C,
        "an MLP (impls.init_mlp) with orthogonal weights; Var over the batch and all units",
        references=(MM16, SMG14),
    ),
]

_ONE_TOKEN = (
    "one token (the softmax is 1, so attention is W_o W_v u whatever W_q, W_k), Gaussian weights "
    "N(0, std^2) with the output projections N(0, output_std^2), zero biases, LayerNorm weight 1, "
    "bias 0 and eps = 0"
)

_TRANSFORMERS = [
    Claim(
        "gpt2-prenorm-residual-scaling",
        "Pre-LN streams grow linearly in depth; GPT-2's 1/sqrt(N) on the residual projections bounds them",
        "in a Pre-LN stack the LayerNorm fixes each branch's input norm, so every sublayer adds an "
        "independent increment: E ||x_N||^2 = ||x_0||^2 + sum_l d E tau_l^2 exactly at every width "
        "(tau_l^2 = var_o ||W_v u||^2 for attention, var_2 ||relu(W_1 u)||^2 for the MLP), linear in "
        "the number N of residual layers, not geometric; multiplying the output projections by "
        "1/sqrt(N) divides every increment by N, so E ||x_N||^2 stays ||x_0||^2 + (the mean increment "
        "of one unscaled layer) at every depth",
        f"{GPT2}; {XIONG20}, Lemma 1",
        S,
        _ONE_TOKEN + "; with longer sequences the attention increment depends on the tokens' "
        "correlations (Xiong's Lemma 1 bounds it) and the check does not cover it",
        see_also=("resnet-depth-scaled-branch-bounded", "megatron-output-std-bounded"),
        references=(f"{XIONG20}, Lemma 1", GPT2),
    ),
    Claim(
        "megatron-output-std-bounded",
        "Megatron-LM's sigma/sqrt(2L) output layers keep the residual stream's scale depth-free",
        "all weights N(0, sigma^2) but the attention and MLP output layers N(0, sigma^2 / (2L)) for L "
        "Pre-LN layers: E ||x_L||^2 / d = ||x_0||^2 / d + sigma^4 d (d + f / 2) / 2 at every depth "
        "(d model width, f MLP width): the sum over the 2L residual branches of sigma^2 / (2L) is "
        "sigma^2 whatever L",
        MEGATRON,
        S,
        _ONE_TOKEN,
        see_also=("gpt2-prenorm-residual-scaling",),
        references=(MEGATRON,),
    ),
    Claim(
        "pre-post-ln-gradient-depth",
        "Post-LN's last-layer gradient does not depend on depth; Pre-LN's shrinks as 1/sigma(x_L)",
        "the gradient of the last MLP weight W_2 of an L-layer stack at initialization: in Post-LN it "
        "has the same law at every depth L (each layer's input is a LayerNorm output, and Gaussian "
        "weights are rotation invariant); in Pre-LN (with the final LayerNorm) ||dl/dW_2|| sigma(x_L) "
        "has the same law at every depth while E sigma^2(x_L) grows linearly in L (the growth "
        "gpt2-prenorm-residual-scaling checks), so the gradient scales as L^(-1/2) (Xiong et al.'s "
        "O(d sqrt(ln d)) and O(d sqrt(ln d / L)))",
        f"{XIONG20}, Thm. 1 and Lemma 1",
        S,
        _ONE_TOKEN + "; loss <r, out> with r ~ N(0, I_d) independent; Xiong's theorem bounds the "
        "gradient with high probability, the check verifies the exact depth dependence that yields it",
        see_also=("gpt2-prenorm-residual-scaling",),
        references=(f"{XIONG20}, Thm. 1, Lemma 1",),
    ),
    Claim(
        "deepnet-constants",
        "DeepNet's alpha and beta keep the SGD update bound at O(eta)",
        "encoder-only alpha = (2N)^(1/4), beta = (8N)^(-1/4); decoder-only the same with M; "
        "encoder-decoder: encoder alpha = 0.81 (N^4 M)^(1/16), beta = 0.87 (N^4 M)^(-1/16), decoder "
        "alpha = (3M)^(1/4), beta = (12M)^(-1/4); with v = w = beta these satisfy v^2 + w^2 = "
        "alpha^(-2) and sum over the sublayers of (v^2 + w^2) / alpha^2 = 1 exactly (2N sublayers "
        "for an N-layer encoder or decoder-only stack, 3M for a decoder with cross-attention), so "
        "the SGD update bound eta ||dL/dF|| sum (v^2 + w^2) / alpha^2 derived from Theorem 4.2 is "
        "eta ||dL/dF||, independent of depth; and x_{l+1} = LN(alpha x_l + G(x_l)) is Post-LN with "
        "the skip path scaled by alpha",
        f"{DEEPNET}, Sec. 4.3, Fig. 2 (table)",
        E,
        "the encoder-decoder encoder's constants 0.81 and 0.87 are the paper's rounded values; the "
        "identities are checked for the other three stacks only (for that encoder only alpha beta = "
        "0.81 * 0.87 is)",
        references=(f"{DEEPNET}, Thm. 4.2, Sec. 4.3",),
    ),
    Claim(
        "deepnorm-branch-share",
        "A DeepNorm sublayer's branch carries beta^4 gamma / alpha^2 of the skip path's energy at init",
        "x' = LN(alpha x + G(x)) with the MLP's two weights multiplied by beta: for a LayerNorm output "
        "x (||x||^2 = d), E ||G(x)||^2 / ||alpha x||^2 = beta^4 var_1 var_2 d f / (2 alpha^2) exactly "
        "(gamma = var_1 var_2 d f / 2 the unscaled gain); with the encoder constants this is "
        "gamma / (8N sqrt(2N)) per sublayer, so summed over the 2N sublayers the branches' share "
        "gamma / (4 sqrt(2N)) shrinks with depth, where Post-LN (alpha = beta = 1) sums to 2N gamma",
        f"{DEEPNET}, Sec. 3-4",
        S,
        "MLP sublayer, Gaussian weights N(0, var_i) times beta, zero biases, eps = 0; this is the "
        "scale of the stream's update at initialization, not the training-time model-update bound "
        "of Theorem 4.2, which the check does not verify",
        see_also=("deepnet-constants",),
        references=(DEEPNET,),
    ),
    Claim(
        "zero-gamma-block-identity",
        "Zero gamma in each residual block's last BatchNorm makes the block the identity",
        "out = relu(x + BN_2(W_2 relu(BN_1(W_1 x)))) with BN_2's weight gamma = 0 (and bias 0) is "
        "relu(x) = x for x >= 0 (every block after a ReLU), whatever W_1, W_2; the branch weights' "
        "gradients are exactly 0 and gamma's gradient sum(g * x_hat) is not",
        GOYAL17,
        E,
        "training-mode BatchNorm, block input x >= 0 (the output of the previous block's ReLU); "
        "linear layers in place of the convolutions (BatchNorm per channel is the same)",
        see_also=("fixup-zero-init-identity", "rezero-identity"),
        references=(GOYAL17, "He et al. (2016), arXiv:1512.03385, Fig. 2 (the block)"),
    ),
    Claim(
        "fixup-rescale-bounded-update",
        "Fixup's L^(-1/(2m-2)) makes the first update of the stream independent of depth",
        "with the last layer of each of L branches at zero and the other m - 1 He-initialized layers "
        "multiplied by c = L^(-1/(2m-2)), the first SGD step that moves the branches (batch of one, "
        "gradient g at the stream's output; Fixup's zero classifier makes g = 0 at step 0, so it is "
        "the step after the classifier's first) moves the stream by -eta g sum_l ||h_l||^2 to first "
        "order (h_l the branch's penultimate ReLU output; every branch still sees x_0), and "
        "E sum_l ||h_l||^2 = L c^(2m-2) ||x_0||^2 = ||x_0||^2 at every width and depth; without the "
        "rescaling it is L ||x_0||^2",
        f"{FIXUP}, Sec. 3 (eqs. (5)-(6) and the derivation of the rescaling)",
        S,
        "ReLU branches of width N without biases, He (2/N) Gaussian weights, x_0 != 0 fixed",
        see_also=("fixup-zero-init-identity",),
        references=(f"{FIXUP}, Sec. 3",),
    ),
    Claim(
        "batchnorm-gradient-explosion",
        "A linear BatchNorm layer multiplies the squared gradient by (B - 2)/(B - 3) (1 - 2/N)",
        "for a batch of B at BatchNorm's fixed point (batch Gram proportional to I - 11^T/B) and an "
        "upstream gradient independent of the layer's weights, one linear layer W followed by "
        "training-mode BatchNorm multiplies E ||grad||^2 by (B - 2)/(B - 3) (1 - 2/N) at width N, "
        "whatever the weights' scale: in the mean-field limit the gradient explodes as "
        "((B - 2)/(B - 3))^L with depth, and no weight variance removes it (the rate is derived "
        "here for the linear case; the paper's ReLU rate differs)",
        f"{YANG19}, Sec. 3 (gradient backpropagation; linear activation)",
        S,
        "linear activation, B >= 6 (finite fourth moment), N >= B, eps = 0; the upstream gradient "
        "is drawn independently of W (mean field's gradient independence); the geometric growth "
        "over many layers rests on that assumption and is not checked",
        references=(YANG19,),
    ),
]

_LOW_PRECISION = [
    Claim(
        "low-precision-initializer-laws",
        "Every variance-scaling initializer keeps its law in float16 and bfloat16",
        "uniform, normal and 2-sigma truncated normal initializers (Glorot, He, LeCun, PyTorch's "
        "Linear default) return in float16/bfloat16 their float32 draw rounded once, so the "
        "Kolmogorov distance to their law is at most u / (1 - u) sup_y y f(y) + h sup f for a "
        "symmetric density f non-increasing on y > 0 (u the unit roundoff, h half the subnormal "
        "spacing): sup y f = 1/2 for a uniform law, phi(1) for a normal, phi(1) / (2 Phi(2) - 1) "
        "for the truncated normal; drawing *in* the low-precision format (an inverse CDF of a "
        "bfloat16 uniform) is not covered and moves the law by half the uniform's spacing near 1",
        "Higham (2002), 'Accuracy and stability of numerical algorithms', Sec. 2.2; Kalamkar et "
        "al. (2019), arXiv:1905.12322, Sec. 2; pytorch/pytorch#145498 (trunc_normal_ in bfloat16)",
        S,
        "zero-mean symmetric laws; one rounding to nearest from float32 (impls' dtype policy)",
        see_also=("low-precision-rounding-harmless", "float16-subnormal-fraction"),
    ),
    Claim(
        "float16-subnormal-fraction",
        "float16 underflows the small stds of wide layers",
        "a N(0, sigma^2) weight rounded to float16 is subnormal or zero (below the smallest normal "
        "2^-14 ~ 6.1e-5, with fewer significant bits) with probability 2 Phi(t / sigma) - 1, "
        "t = 2^-14 - 2^-25: 20% of the entries at sigma = 1/4096, all but ~1e-9 at sigma = 1e-5",
        "IEEE Std 754-2019, Sec. 3.6; Micikevicius et al. (2018), 'Mixed precision training', "
        "ICLR, arXiv:1710.03740, Sec. 3.1",
        S,
        "zero-mean normal weights drawn in float32 (or exactly) and rounded once to float16",
    ),
    Claim(
        "low-precision-rounding-harmless",
        "Drawing in float32 and rounding once to float16/bfloat16 barely moves the law",
        "the Kolmogorov distance between N(0, sigma^2) and its draws rounded to a format with unit "
        "roundoff u is at most u / (1 - u) phi(1) (+ the subnormal term): 9.5e-4 for bfloat16, "
        "1.2e-4 for float16, far below any practical test's resolution; computing the draw itself "
        "in bfloat16 is not covered (pytorch#145498)",
        "Kalamkar et al. (2019), arXiv:1905.12322, Sec. 2; Higham (2002), 'Accuracy and stability "
        "of numerical algorithms', Sec. 2.2",
        S,
        "zero-mean normal laws; one rounding to nearest from float32 (or from the exact value)",
    ),
]

CLAIMS_SINCE_2017: list[Claim] = [
    *_FINITE_WIDTH,
    *_LOG_NORM,
    *_PARAMETRIZATIONS,
    *_WIDTHS_AND_KERNELS,
    *_CONV_FANS,
    *_RESIDUAL,
    *_NORMALIZATION,
    *_DROPOUT,
    *_ATTENTION,
    *_TRANSFORMERS,
    *_LOSS_AND_DECAY,
    *_STRUCTURED,
    *_LOW_PRECISION,
]
"""The claims of this module, in order; :data:`theory.CLAIMS` holds them after the seeds' claims."""
