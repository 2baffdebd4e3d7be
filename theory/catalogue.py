"""Every claim of the seed documents and the literature they rest on, as data.

Seeds (``shared/seeds/``): 000 vanishing/exploding gradients and weight scale; 001 activations,
optimizers and initialization experiments; 002 Glorot & Bengio's derivation; 003 random
initialization and symmetry; 004 variance algebra, Xavier/Kaiming and the cross-entropy loss.

Notation, used throughout: ``sigma_w`` and ``sigma_b`` are standard deviations, with
``W_ij ~ N(0, sigma_w^2 / N)`` (N the fan-in) and ``b_i ~ N(0, sigma_b^2)``; a variance is always
written squared (``sigma_w^2 = N Var W``). ``N(m, v)`` names a normal law by its variance; a law
given by its std says "std". Every decimal number in a title, statement, assumption or correction
is computed by a function of ``theory`` (``properties/selftest/test_theory.py`` checks each one
to its printed precision) or is an input of the claim (a parameter or a default).
"""

from __future__ import annotations

from theory.claims import Claim, Kind, Registry

S000 = "seed 000_133311a7b8f8ce57.txt"
S001 = "seed 001_000aec939d0892fd.txt"
S002 = "seed 002_23034b6130e39528.txt"
S003 = "seed 003_adb8de2030803c7d.txt"
S004 = "seed 004_076787204e450158.txt"
GB10 = "Glorot & Bengio (2010), AISTATS, Sec. 4.2.1"
HE15 = "He, Zhang, Ren & Sun (2015), arXiv:1502.01852, Sec. 2.2"
KB15 = "Kingma & Ba (2015), arXiv:1412.6980"
KL17 = "Klambauer et al. (2017), arXiv:1706.02515, Sec. 3"
SC17 = "Schoenholz et al. (2017), arXiv:1611.01232"
PO16 = "Poole et al. (2016), arXiv:1606.05340, eq. (3)"
SA13 = "Saxe, McClelland & Ganguli (2013), arXiv:1312.6120"
PE17 = "Pennington, Schoenholz & Ganguli (2017), arXiv:1711.04735"
ME07 = "Mezzadri (2007), Notices AMS 54(5), arXiv:math-ph/0609050"
LE98 = "LeCun, Bottou, Orr & Mueller (1998), Efficient BackProp, Sec. 4.6"
CS09 = "Cho & Saul (2009), NeurIPS, 'Kernel methods for deep learning' (arc-cosine kernel, degree 1)"
HA19 = (
    "Hayou, Doucet & Rousseau (2019), ICML, arXiv:1902.06853 (ReLU on the edge of chaos: c^l -> 1 "
    "polynomially)"
)
LN23 = (
    "Li & Nica (2023), TMLR, 'Differential equation scaling limits of shaped and unshaped neural "
    "networks' (unshaped MLP: l^2 (1 - rho_l) in t = l/n)"
)
HN19 = "Hanin & Nica (2019), Comm. Math. Phys. 376, arXiv:1812.05994"
HA18 = "Hanin (2018), NeurIPS, arXiv:1801.03744"
DU11 = "Duchi, Hazan & Singer (2011), JMLR 12"
GBC16 = "Goodfellow, Bengio & Courville (2016), Deep Learning"
DS94 = "Diaconis & Shahshahani (1994), J. Appl. Probab. 31A"
GO60 = "Goodman (1960), JASA 55, 'On the exact variance of products'"
PT = "PyTorch torch/nn/init.py"

C, E, S, A = Kind.CONTRACT, Kind.EXACT, Kind.STATISTICAL, Kind.ASYMPTOTIC

MEAN_FIELD = (
    "fully connected, equal widths N; W_ij iid N(0, sigma_w^2 / N), b_i iid N(0, sigma_b^2), "
    "independent across layers; N -> infinity"
)
DEPTH_LIMIT = (
    "asymptotic in depth l -> infinity; at finite width N it also needs l << N (finite-width "
    "fluctuations accumulate over layers)"
)
SEED001_SETUP = (
    "10 fully connected layers of 500 units, zero biases, inputs x ~ N(0, I) (unit variance: the "
    "seed does not state its inputs); mean field, N -> infinity"
)

_VARIANCE_ALGEBRA = [
    Claim(
        "uniform-variance",
        "Variance of a symmetric uniform",
        "Var U[-a, a] = a^2 / 3",
        f"{S002}, Sec. 4; {S004}, eq. (3)",
        S,
        "a > 0",
        see_also=("uniform-bound-from-variance",),
    ),
    Claim(
        "uniform-bound-from-variance",
        "Uniform bound for a target variance",
        "U(-sqrt(3 v), sqrt(3 v)) has variance v; hence bound = sqrt(3) * std",
        f"{S002}, Sec. 4; {PT}",
        C,
        "v > 0",
        see_also=("uniform-variance",),
    ),
    Claim(
        "product-variance",
        "Variance of a product of independent variables",
        "Var(XY) = Var X Var Y + Var X (E Y)^2 + Var Y (E X)^2",
        f"{S002}, Sec. 3; {S004}",
        S,
        "X, Y independent, finite fourth moments",
        references=(GO60,),
    ),
    Claim(
        "sum-variance",
        "Variance of a sum of independent variables",
        "Var(X + Y) = Var X + Var Y",
        S004,
        S,
        "X, Y independent, finite second moments",
    ),
    Claim(
        "preactivation-second-moment",
        "Variance of one pre-activation",
        "Var(sum_i w_i x_i) = n Var(w) E[x^2]",
        f"{HE15}, eq. (7); {S001}; {S002}",
        S,
        "w_i iid, zero-mean, independent of x (the x_i may be correlated and need not be zero-mean). "
        "Scope: with E x = 0, as seeds 001, 002 and 004 state, this is n Var(w) Var(x); after a ReLU "
        "or a sigmoid E x != 0 and only the second moment E[x^2] is right",
        references=(f"{HE15}, eq. (7)",),
    ),
    Claim(
        "glorot-forward-product",
        "Glorot's forward variance product",
        "Var[z^i] = Var[x] prod_{j<i} n_j Var[W^j] (z^0 = x)",
        f"{GB10}, eq. (5); {S002}, its eq. (3)",
        A,
        "zero-mean inputs E x = 0 (otherwise E[x^2] replaces Var[x], see preactivation-second-moment); "
        "the linear regime f'(s) = 1 (Glorot's eq. (4): exact for a linear network, for tanh only as "
        "the pre-activation variance q -> 0, see linear-regime-error); independent zero-mean weights; "
        "zero biases; equal input feature variances",
        see_also=("preactivation-second-moment", "linear-regime-error", "glorot-backward-product"),
        references=(f"{GB10}, eqs. (4)-(5)",),
    ),
    Claim(
        "glorot-backward-product",
        "Glorot's backward variance product",
        "Var[dC/ds^i] = Var[dC/ds^d] prod_{j>=i} n_{j+1} Var[W^j]",
        f"{GB10}, eq. (6); {S002}",
        A,
        "the linear regime f'(s) = 1; independent zero-mean weights; back-propagated gradients "
        "independent of the weights",
        seed_said="seed 002 writes the equal-width weight-gradient variance as "
        "[n Var W]^d Var[x] Var[dCost/dw^n]",
        correction="the last factor is the top layer's back-propagated gradient Var[dCost/ds^d] "
        "(Glorot's eq. (14)), not a weight gradient",
        see_also=("glorot-forward-product",),
        references=(f"{GB10}, eqs. (6), (7), (14)",),
    ),
    Claim(
        "glorot-compromise",
        "Glorot's compromise variance",
        "n_i Var W = 1 (forward, eq. (10)) and n_{i+1} Var W = 1 (backward, eq. (11)) both hold only "
        "if n_i = n_{i+1}; the compromise is Var W = 2 / (n_i + n_{i+1}) (eq. (12))",
        f"{GB10}, eqs. (10)-(12); {S002}; {S004}",
        C,
        "a choice (the harmonic mean of the two variances 1/n_i and 1/n_{i+1}), not a consequence",
        see_also=("glorot-uniform-bound", "xavier-normal-law"),
    ),
    Claim(
        "glorot-uniform-bound",
        "Glorot's normalized initialization has the compromise variance",
        "W ~ U[-sqrt(6)/sqrt(n_i + n_{i+1}), +sqrt(6)/sqrt(n_i + n_{i+1})] (eq. (16)) has "
        "Var W = 2 / (n_i + n_{i+1})",
        f"{GB10}, eq. (16); {S002}; {S004}",
        S,
        "the variance of the law; the law itself, with PyTorch's gain, is xavier-uniform-law",
        see_also=("xavier-uniform-law", "glorot-compromise"),
    ),
    Claim(
        "glorot-standard-init",
        "Glorot's 'standard' initialization",
        "W ~ U[-1/sqrt(n), 1/sqrt(n)] (the paper's eq. (1)) gives n Var W = 1/3 (its eq. (15))",
        f"Glorot & Bengio (2010), AISTATS, Sec. 3 eq. (1) and Sec. 4.2.1 eq. (15); {S002}",
        S,
        "n = fan_in, the size of the previous layer; the variance of the law; PyTorch's nn.Linear "
        "default draws the same law (pytorch-linear-default)",
        see_also=("pytorch-linear-default",),
    ),
    Claim(
        "pytorch-linear-default",
        "PyTorch's nn.Linear / nn.ConvNd default",
        "kaiming_uniform(a = sqrt 5) = U(+-1/sqrt(fan_in)): Var W = 1/(3 fan_in)",
        f"{PT}; torch/nn/modules/linear.py (pytorch/pytorch#57109)",
        S,
        "the law (CDF); it is Glorot's standard initialization (glorot-standard-init)",
        see_also=("glorot-standard-init",),
    ),
    Claim(
        "chain-exponential",
        "A chain of equal weights explodes or vanishes",
        "z_n = w^n x: |w| = 1.5 grows and |w| = 0.5 shrinks exponentially with depth",
        S000,
        C,
        "a scalar chain, identity activation, zero biases",
    ),
    Claim(
        "preactivation-step-chi-square",
        "One layer's pre-activations given its input",
        "given a_{l-1}, h_l = W a_{l-1} has iid N(0, sigma_w^2 |a_{l-1}|^2 / n) entries "
        "(exact at any width for Gaussian W)",
        f"{HE15}, eq. (7); {PO16}",
        S,
        "W_ij iid N(0, sigma_w^2 / n) independent of a_{l-1} (Gaussian weights: rotation invariance), "
        "zero biases",
        references=(HN19,),
    ),
]

_SCHEMES = [
    Claim(
        "fans-torch-layout",
        "Fans in PyTorch's layout",
        "(out, in, *k): fan_in = in * prod(k), fan_out = out * prod(k)",
        f"{PT} _calculate_fan_in_and_fan_out; {HE15} (n = k^2 c)",
        C,
    ),
    Claim(
        "fans-keras-layout",
        "Fans in Keras's layout",
        "(*k, in, out): fan_in = in * prod(k), fan_out = out * prod(k)",
        "keras/src/initializers/random_initializers.py::compute_fans",
        C,
    ),
    Claim(
        "xavier-uniform-law",
        "Xavier uniform",
        "xavier_uniform(gain) ~ U(+-gain sqrt(6 / (fan_in + fan_out)))",
        f"{PT} xavier_uniform_; {GB10}, eq. (16) (gain 1)",
        S,
        "gain > 0; Glorot & Bengio define this law for gain 1, the gain is PyTorch's",
        see_also=("glorot-uniform-bound",),
    ),
    Claim(
        "xavier-normal-law",
        "Xavier normal",
        "xavier_normal(gain) ~ N(0, 2 gain^2 / (fan_in + fan_out))",
        f"{PT} xavier_normal_; {S004}",
        S,
        "a framework convention: Glorot & Bengio define only the uniform law (eq. (16)); this normal "
        "law has their variance (eq. (12)); Keras's GlorotNormal is a truncated normal with it",
        see_also=("glorot-compromise",),
        references=(f"{GB10}, eq. (12)",),
    ),
    Claim(
        "he-normal-law",
        "He normal",
        "kaiming_normal ~ N(0, gain^2 / fan) with gain = sqrt(2 / (1 + a^2)); 2 / fan_in for ReLU",
        f"{HE15}, eq. (10) (ReLU, fan_in); {PT} kaiming_normal_; {S001}; {S004}",
        S,
        "He et al. define this Gaussian law (std sqrt(2 / n_l); fan_out in eq. (14), leaky slopes in "
        "eq. (15)); the gains of other nonlinearities are PyTorch's",
        references=(f"{HE15}, eq. (10)",),
    ),
    Claim(
        "he-uniform-law",
        "He uniform",
        "kaiming_uniform ~ U(+-gain sqrt(3 / fan))",
        f"{PT} kaiming_uniform_",
        S,
        "a framework convention: He et al. define only the Gaussian law; this uniform law has its "
        "variance gain^2 / fan",
        see_also=("he-normal-law",),
        references=(f"{HE15}, eq. (10)",),
    ),
    Claim(
        "he-leaky-variance",
        "He's variance for leaky rectifiers",
        "1/2 (1 + a^2) n Var W = 1, i.e. Var W = 2 / ((1 + a^2) n)",
        f"{HE15}, eq. (15); {S004}",
        S,
        "a >= 0 the negative slope",
    ),
    Claim(
        "he-fan-out",
        "He's backward condition",
        "mode fan_out: Var W = 2 / fan_out (1/2 n^ Var W = 1, n^ = fan_out)",
        f"{HE15}, eq. (14)",
        S,
    ),
    Claim(
        "lecun-variance",
        "LeCun's variance",
        "Var W = 1 / fan_in (lecun_uniform; lecun_normal, a truncated normal in Keras)",
        f"{LE98}; {KL17}; {S001} ('Xavier' N(0, 1/N)); {S004}",
        S,
        seed_said="seed 001 calls N(0, 1/N) 'Xavier initialization'",
        correction="N(0, 1/fan_in) is LeCun's initialization; Glorot's is 2/(n_in + n_out), "
        "the same only when n_in = n_out (as in seed 001's 500-unit layers)",
        references=(LE98,),
    ),
    Claim(
        "variance-scaling-modes",
        "Variance scaling",
        "Var W = scale / n, n = fan_in, fan_out, (fan_in + fan_out)/2 (fan_avg) or "
        "sqrt(fan_in fan_out) (fan_geo_avg)",
        "JAX jax/_src/nn/initializers.py variance_scaling (all four modes); Keras VarianceScaling "
        "(fan_in, fan_out, fan_avg; no fan_geo_avg)",
        S,
        "scale > 0",
    ),
    Claim(
        "variance-scaling-truncated-correction",
        "Truncated-normal std correction",
        "N(0, s^2) cut at +-2 s with s = sqrt(scale/n) / 0.87962566103423978 has variance scale/n",
        "Keras VarianceScaling (keras-team/keras#8048); JAX variance_scaling",
        S,
        see_also=("truncated-normal-std-constant",),
    ),
    Claim(
        "truncated-normal-std-constant",
        "Std of a 2-sigma truncated standard normal",
        "std N(0,1)|(-2,2) = sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.87962566103423978",
        "the std of a truncated normal; hard-coded by Keras (commit 895dba6) and JAX",
        E,
        see_also=("variance-scaling-truncated-correction",),
    ),
    Claim(
        "truncated-normal-law",
        "Truncated normal on any interval",
        "trunc_normal(mean, std, a, b) has the law of N(mean, std^2) conditioned on (a, b), "
        "with truncnorm's mean and variance",
        f"{PT} trunc_normal_ (absolute bounds a, b)",
        S,
        "std > 0, a < b",
    ),
    Claim(
        "truncated-normal-support",
        "impls' truncated normal stays inside its open interval",
        "every value lies strictly inside (a, b) in the output dtype: out-of-range draws are "
        "resampled, never clamped",
        "impls.truncated_normal: this package's contract, stricter than PyTorch's",
        C,
        "a < b with a value of the dtype strictly between. PyTorch does not promise it: its "
        "inverse-CDF trunc_normal_ (erfinv_ then clamp_, in every release before PR #174997 of "
        "2026-02) can return a or b themselves (pytorch#145498, #155588); the rejection sampler of "
        "that PR (read in the installed torch 2.13.0) redraws values outside [a, b] but keeps a "
        "value equal to a or b (as cast to the dtype)",
        see_also=("truncated-normal-law",),
        references=("pytorch/pytorch#145498", "pytorch/pytorch#155588", "pytorch/pytorch#174997"),
    ),
    Claim(
        "plain-uniform-law", "Uniform initializer", "uniform(low, high) ~ U[low, high)", f"{PT} uniform_", S
    ),
    Claim("plain-normal-law", "Normal initializer", "normal(mean, std) ~ N(mean, std^2)", f"{PT} normal_", S),
    Claim(
        "sparse-structure",
        "PyTorch's sparse initialization",
        "sparse_(sparsity, std): exactly ceil(sparsity * rows) zeros per column; the rest N(0, std^2)",
        f"{PT} sparse_",
        S,
        "a 2-D weight (rows, cols) = (fan_out, fan_in): the rule fixes the zeros of each column, "
        "i.e. of each input's outgoing weights. It is PyTorch's rule: Martens (2010), whom PyTorch "
        "cites, fixes the number of non-zero incoming weights of each unit (15 in his experiments)",
        references=("Martens (2010), ICML, 'Deep learning via Hessian-free optimization', Sec. 5",),
    ),
    Claim(
        "deterministic-structure",
        "Eye and Dirac initializers",
        "eye: W_ij = [i = j]; dirac: a convolution with it copies min(out/groups, in) channels",
        f"{PT} eye_, dirac_",
        C,
    ),
]

_ACTIVATIONS = [
    Claim("sigmoid-derivative", "Derivative of the sigmoid", "sigma'(x) = sigma(x) (1 - sigma(x))", S001, C),
    Claim(
        "sigmoid-derivative-bound",
        "The sigmoid's derivative is at most 1/4",
        "sigma'(x) <= 1/4 with equality only at x = 0",
        f"{S001}; {GB10}",
        C,
    ),
    Claim("tanh-derivative", "Derivative of tanh", "tanh'(x) = 1 - tanh(x)^2", f"{S001}; {S002}", C),
    Claim(
        "tanh-derivative-bound",
        "tanh's derivative is at most 1",
        "tanh'(x) <= 1, equality only at 0",
        S001,
        C,
    ),
    Claim(
        "tanh-sigmoid-relation",
        "tanh is a rescaled sigmoid",
        "tanh(x) = 2 sigmoid(2x) - 1",
        "textbook identity",
        C,
    ),
    Claim(
        "sigmoid-symmetry", "Sigmoid point symmetry", "sigmoid(-x) = 1 - sigmoid(x)", "textbook identity", C
    ),
    Claim(
        "saturation-beyond-10",
        "Saturation of sigmoid and tanh",
        "sigmoid'(10) = 4.54e-5 and tanh'(10) = 8.24e-9; both derivatives decrease in |x|, so both are "
        "smaller for every |x| > 10",
        S001,
        E,
        seed_said="'the local gradient is close to 0 when the input is above 10 or below -10' "
        "(of the sigmoid)",
        correction="true, and both saturate much earlier: sigmoid' is below 1% of its maximum for "
        "|x| > 5.9864, and tanh'(x) = 1/cosh(x)^2 < 1e-3 exactly for |x| > arccosh(sqrt(1000)) = 4.1468",
        see_also=("sigmoid-slope-at-one",),
    ),
    Claim(
        "sigmoid-slope-at-one",
        "A sigmoid is far from saturated at |a| = 1",
        "sigmoid(1) = 0.7311 and sigmoid'(1) = 0.1966, 78.64% of the maximum sigmoid'(0) = 1/4; "
        "sigmoid' falls below 1% of its maximum only for |a| > 5.9864",
        S000,
        E,
        seed_said="seed 000: for a sigmoid, |a| > 1 means the curve flattens and z approaches 1 or 0, "
        "so the gradient vanishes",
        correction="the slope does fall as |a| grows, but at |a| = 1 it is still 79% of its maximum "
        "(z = 0.73 or 0.27); the sigmoid saturates (slope below 1% of its maximum) only near |a| = 6",
        see_also=("saturation-beyond-10", "sigmoid-derivative-bound"),
    ),
    Claim(
        "sigmoid-not-zero-centred",
        "The sigmoid is not zero-centred",
        "E[sigmoid(y)] = 1/2 for every y symmetric about 0",
        f"{S002}; {GB10}",
        S,
        "y symmetric about 0 (any law)",
    ),
    Claim(
        "relu-half-second-moment",
        "Half second moment of a ReLU",
        "E[relu(y)^2] = Var(y) / 2 for y symmetric about 0",
        f"{HE15}, above eq. (8)",
        S,
        "y symmetric about 0 (e.g. symmetric zero-mean weights and a zero bias, whatever the inputs)",
    ),
    Claim(
        "relu-kink-convention", "ReLU's derivative at 0", "relu'(0) = 0 (and leaky_relu'(0) = slope)", S001, C
    ),
    Claim(
        "leaky-relu-no-dead-zone",
        "Leaky ReLU has no dead zone",
        "leaky_relu'(x) >= min(1, slope) > 0 everywhere for slope > 0",
        S001,
        C,
    ),
    Claim(
        "activation-derivatives",
        "Every derivative is the function's slope",
        "f'(x) = lim (f(x + h) - f(x - h)) / 2h for every activation, away from kinks",
        "torch.nn.functional / autograd",
        C,
    ),
    Claim(
        "activation-stability",
        "Activations are numerically stable",
        "no NaN and no overflow warning for any finite input; the right limits at +-inf",
        "torch.nn.functional semantics",
        C,
    ),
    Claim(
        "activation-gaussian-moments",
        "Gaussian moments of the activations",
        "E f(z), E f(z)^2, E f'(z)^2 for z ~ N(0, 1) "
        "(tanh: 0, 0.39429, 0.46440; relu 1/sqrt(2 pi), 1/2, 1/2)",
        "Gaussian integrals, by quadrature (theory.activations.moment)",
        E,
        "z ~ N(0, 1), i.e. pre-activation variance q = 1; E f^2 drives the length map, E f'^2 gives chi_1",
        see_also=("activation-gains",),
        references=(PO16, f"{SC17}, Sec. 3 (chi_1)", f"{HE15}, eqs. (7)-(8)"),
    ),
    Claim(
        "activation-gains",
        "Forward, backward and variance gains",
        "1/sqrt(E f^2), 1/sqrt(E f'^2), 1/sqrt(Var f): tanh 1.59254, 1.46741, 1.59254; "
        "relu sqrt 2, sqrt 2, 1.71286",
        "Gaussian integrals, by quadrature (theory.activations.gains)",
        E,
        "z ~ N(0, 1): the forward gain makes q = 1 a fixed point of the length map, the backward "
        "gain makes chi_1 = 1 at q = 1; the variance gain (the variance instead of the second "
        "moment) is a common mistake for a non-centred f",
        see_also=("activation-gaussian-moments", "pytorch-gain-table"),
        references=(
            PO16,
            f"{SC17}, Sec. 3 (chi_1)",
            f"{HE15}, eq. (7) (the second moment, not the variance)",
        ),
    ),
    Claim(
        "pytorch-gain-table",
        "PyTorch's calculate_gain table",
        "linear/conv/sigmoid 1, tanh 5/3, relu sqrt 2, leaky sqrt(2/(1+s^2)) (s = 0.01), selu 3/4",
        f"{PT} calculate_gain",
        C,
        references=("pytorch/pytorch#50664 (selu 3/4, found empirically)",),
    ),
    Claim(
        "relu-gain-is-forward-gain",
        "ReLU's gain is exact",
        "calculate_gain('relu') = sqrt 2 = 1/sqrt(E relu(z)^2), for every input scale",
        f"{HE15}; {PT}",
        E,
        "relu is positively homogeneous, so E relu(sqrt(q) z)^2 = q/2 for every q",
    ),
    Claim(
        "tanh-gain-vs-theory",
        "PyTorch's tanh gain is empirical",
        "5/3 is 4.7% above tanh's forward gain 1.59254",
        f"{PT} calculate_gain; {S004}",
        E,
        "z ~ N(0, 1)",
        seed_said="seed 004: calculate_gain(tanh) ~ 1.6 means tanh's output variance is 1.6x "
        "smaller than its input's",
        correction="the gain multiplies the weights' std; for z ~ N(0, 1), E tanh(z)^2 = 0.394, "
        "a variance 2.54x (a std 1.59x) smaller; PyTorch's 5/3 is neither ratio",
        see_also=("activation-gains", "tanh-pytorch-gain-chaotic"),
        references=(PO16,),
    ),
    Claim(
        "linear-regime-error",
        "How wrong f'(s) = 1 is for tanh",
        "E tanh(sqrt(q) z)^2 / q = 1 - 2q + O(q^2): 0.9805 at q = 0.01, 0.8421 at q = 0.1, 0.3943 at q = 1",
        f"{GB10}, eq. (4); {S002}",
        E,
        "z ~ N(0, 1). f'(s) = 1 is Glorot & Bengio's linear-regime assumption, which seed 002 "
        "reports and itself doubts; the ratio says how wrong it is per layer: by 2% at q = 0.01, "
        "16% at 0.1, 61% at 1",
        seed_said="seed 001 defines y = f(w_1 z_1 + ... + w_N z_N) with f = tanh, then computes "
        "Var(y) = Var(sum_i w_i z_i), dropping f without saying so",
        correction="that is Glorot's linear-regime assumption f(s) = s, left unstated; for tanh it "
        "is off by 2% per layer at q = 0.01 and by 61% at q = 1",
        see_also=("glorot-forward-product",),
    ),
]

_SELU = [
    Claim(
        "selu-constants",
        "SELU's constants",
        "alpha, lambda solve E selu(z) = 0, E selu(z)^2 = 1: 1.6732632423543772, 1.0507009873554805",
        KL17,
        E,
        "z ~ N(0, 1) (weights with omega = sum w_i = 0 and tau = sum w_i^2 = 1)",
    ),
    Claim(
        "selu-fixed-point-stable",
        "SELU's fixed point is attracting",
        "Jacobian of (mu, nu) -> (mu~, nu~) at (0, 1) = [[0, 0.088835], [0, 0.782648]], "
        "spectral norm 0.7877 < 1",
        f"{KL17}, Theorem 1",
        E,
        "omega = sum_i w_i = 0 and tau = sum_i w_i^2 = 1 (the Jacobian is taken in (mu, nu) only); "
        "Theorem 1 extends the contraction to mu in [-0.1, 0.1], nu in [0.8, 1.5], omega in "
        "[-0.1, 0.1], tau in [0.95, 1.1]",
    ),
    Claim(
        "selu-self-normalizing",
        "Deep SELU nets normalize their activations",
        "with LeCun normal weights, activations converge to mean 0, variance 1 from other starts",
        KL17,
        A,
        "weights of variance 1/N (sigma_w^2 = 1), zero biases, width N -> infinity; per unit "
        "omega = sum w_i ~ N(0, 1) is not 0: the fixed-point argument holds for the layer average",
        see_also=("selu-fixed-point-stable",),
    ),
    Claim(
        "selu-chi1",
        "SELU is mildly chaotic",
        "E selu'(z)^2 = 1.07157 > 1: chi_1 > 1 at SELU's (0, 1) fixed point with sigma_w^2 = 1",
        f"{KL17} (the fixed point); {SC17} (chi_1)",
        E,
        "z ~ N(0, 1), sigma_w^2 = 1, sigma_b = 0; " + MEAN_FIELD,
        references=(KL17, f"{SC17}, Sec. 3"),
    ),
]

_MEAN_FIELD = [
    Claim(
        "meanfield-length-map",
        "The length map",
        "q^l = sigma_w^2 E phi(sqrt(q^{l-1}) z)^2 + sigma_b^2",
        f"{PO16}; {SC17}, Sec. 2",
        A,
        MEAN_FIELD,
    ),
    Claim(
        "meanfield-fixed-point",
        "Fixed points of the length map",
        "tanh, (sigma_w, sigma_b) = (1.5, 0.05): q* = 0.798387, chi_1 = 1.136708 > 1 (chaotic)",
        f"computed from the length map of {PO16}",
        E,
        "q* is the fixed point of the infinite-width length map (a Gaussian integral equation), "
        "computed by quadrature and root finding; " + MEAN_FIELD,
        see_also=("meanfield-length-map", "tanh-pytorch-gain-chaotic"),
        references=(PO16, f"{SC17}, Sec. 2-3"),
    ),
    Claim(
        "meanfield-gradient-growth",
        "Gradients grow by chi_1 per layer",
        "E[delta_l^2] = chi_1 E[delta_{l+1}^2], chi_1 = sigma_w^2 E phi'(sqrt(q*) z)^2",
        f"{SC17}, Sec. 5",
        A,
        MEAN_FIELD + "; at the fixed point q* (pre-activations converged); equal widths; the "
        "gradient-independence assumption (backward weights independent of the forward pass)",
    ),
    Claim(
        "tanh-critical-line",
        "The order-to-chaos line for tanh",
        "chi_1 = 1: sigma_w = 1 at sigma_b = 0; sigma_w = 1.122539 at sigma_b = 0.05; "
        "sigma_w^2 = 1.76095 at sigma_b^2 = 0.05",
        f"{SC17}; {PO16}",
        E,
        MEAN_FIELD,
    ),
    Claim(
        "relu-critical",
        "ReLU's critical initialization",
        "chi_1 = sigma_w^2 / 2 for every q: critical at sigma_w^2 = 2 (He)",
        f"{SC17}; {HE15}",
        E,
        MEAN_FIELD + "; sigma_b = 0 for a finite fixed point (at criticality q grows by sigma_b^2 per layer)",
    ),
    Claim(
        "depth-scale-q",
        "Depth scale of the length",
        "|q^l - q*| ~ exp(-l / xi_q), xi_q = -1/log(slope of the length map at q*)",
        f"{SC17}, Sec. 3",
        A,
        MEAN_FIELD + "; " + DEPTH_LIMIT,
    ),
    Claim(
        "depth-scale-c",
        "Depth scale of correlations",
        "ordered phase: xi_c = -1/log chi_1; chaotic: -1/log(sigma_w^2 E phi'(u1) phi'(u2)) at c*",
        f"{SC17}, Sec. 3",
        A,
        MEAN_FIELD + "; " + DEPTH_LIMIT,
    ),
    Claim(
        "relu-correlation-map",
        "ReLU's correlation map",
        "c -> (sqrt(1 - c^2) + (pi - arccos c) c) / pi; at criticality 1 - c^l ~ 9 pi^2 / (2 l^2) "
        "= 44.41 / l^2",
        f"{CS09}; {HA19}",
        A,
        MEAN_FIELD + "; ReLU with sigma_b = 0 (the normalized map then does not depend on sigma_w). "
        "The map is exact at infinite width; the decay (expand the map at c = 1: 1 - c' = (1 - c) - "
        "(2 sqrt 2 / (3 pi)) (1 - c)^(3/2) + ...) is " + DEPTH_LIMIT + " (Li & Nica: the "
        "correction is governed by l/N)",
        references=(CS09, HA19, LN23),
    ),
    Claim(
        "tanh-pytorch-gain-chaotic",
        "tanh with gain 5/3 is chaotic",
        "sigma_w^2 = 25/9, sigma_b = 0: q* = 1.178480, chi_1 = 1.209831 > 1",
        "computed from the length map (Poole et al. 2016) at PyTorch's tanh gain; no paper states it",
        E,
        "q* and chi_1 of the infinite-width length map, by quadrature and root finding; " + MEAN_FIELD,
        see_also=("meanfield-fixed-point", "meanfield-gradient-growth", "tanh-gain-vs-theory"),
        references=(PO16, f"{SC17}, Sec. 3", f"{PT} calculate_gain"),
    ),
]

_ISOMETRY = [
    Claim(
        "orthogonal-linear-isometry",
        "Orthogonal deep linear nets are isometries",
        "J = W_L ... W_1 orthogonal: every singular value is exactly 1",
        SA13,
        E,
        "square orthogonal layers, linear activation",
    ),
    Claim(
        "gaussian-linear-spectrum",
        "Gaussian deep linear nets are not",
        "mean s^2 = 1, Var s^2 -> L (Fuss-Catalan)",
        PE17,
        A,
        "square layers of width N -> infinity, W_ij iid N(0, 1/N) (sigma_w^2 = 1), linear, zero biases",
        see_also=("jx-norm-law",),
    ),
    Claim(
        "jx-norm-law",
        "Exact finite-width law of |Jx|^2",
        "|Jx|^2 ~ prod_l chi^2_N / N: mean 1, Var (1 + 2/N)^L - 1, E log = L (psi(N/2) + log(2/N))",
        f"{HN19}; {HA18}",
        S,
        "square Gaussian layers W_ij iid N(0, 1/N) (sigma_w^2 = 1), linear, zero biases, a fixed "
        "unit x; exact at every width N and depth L",
        see_also=("gaussian-linear-spectrum",),
        references=(HN19, HA18),
    ),
    Claim(
        "relu-spectrum-variance",
        "ReLU cannot be dynamically isometric",
        "at criticality Var s^2 = L (mu_2/mu_1^2 - 1 - s_1): 2L Gaussian, L orthogonal",
        f"{PE17}",
        A,
        "square layers of width N -> infinity, ReLU at criticality sigma_w^2 = 2 (Gaussian "
        "N(0, 2/N), or orthogonal times sqrt 2), sigma_b = 0; mu_k = E phi'(h)^(2k) = 1/2",
    ),
]

_HAAR = [
    Claim(
        "orthogonal-identity",
        "Orthogonal initializer's identity",
        "W W^T = gain^2 I (rows <= cols) or W^T W = gain^2 I",
        f"{SA13}; {PT} orthogonal_",
        C,
    ),
    Claim(
        "haar-trace-moments",
        "Trace of a Haar orthogonal matrix",
        "E tr Q = 0, Var tr Q = 1",
        ME07,
        S,
        references=(DS94,),
    ),
    Claim("haar-determinant", "Determinant of a Haar orthogonal matrix", "P(det Q = +1) = 1/2", ME07, S),
    Claim(
        "haar-entry-law",
        "An entry of a Haar orthogonal matrix",
        "Q_11^2 ~ Beta(1/2, (n-1)/2); P(Q_11 < 0) = 1/2",
        ME07,
        S,
        "n >= 2",
    ),
    Claim(
        "naive-qr-not-haar",
        "LAPACK's Householder QR without a sign fix is not Haar",
        "Q of numpy/LAPACK QR (geqrf + orgqr) of a Gaussian n x n matrix, without Mezzadri's sign "
        "fix: Q_11 < 0 and det Q = (-1)^(n-1) always",
        "LAPACK dlarfg's convention (beta = -sign(alpha) |x|; n - 1 non-trivial Householder "
        "reflectors for an n x n matrix); numpy.linalg.qr",
        C,
        "n >= 2. These are LAPACK's Householder conventions, not Mezzadri's: a QR whose R has a "
        "positive diagonal (Gram-Schmidt, or Mezzadri's Q diag(sign r_ii)) is already Haar; another "
        "backend may give another, still non-Haar, sign pattern",
        see_also=("haar-determinant", "haar-entry-law"),
        references=(f"{ME07} (why the sign must be fixed)",),
    ),
]

_SYMMETRY = [
    Claim(
        "zero-init-symmetry",
        "Equal units stay equal",
        "units with identical incoming and outgoing weights receive identical gradients and stay "
        "identical under any per-coordinate optimizer",
        f"{S003}; {S001}",
        E,
        "the units also have equal biases; any loss and data; no dropout or other per-unit "
        "randomness; an optimizer whose update is a per-coordinate function of the gradient "
        "history (SGD, momentum, Adam, RMSProp, AdaGrad, weight decay)",
        references=(f"{GBC16}, Sec. 8.4",),
    ),
    Claim(
        "zero-init-stays-zero",
        "All-zero weights and biases never move (phi(0) = 0)",
        "with all weights and hidden biases 0 and phi(0) = 0 (tanh, ReLU), every weight and "
        "hidden-bias gradient is 0 forever; only the output bias learns",
        S003,
        E,
        "zero hidden biases (with a hidden bias of 0.3, tanh(0.3) != 0 reaches the output weights "
        "and the weights move); any value of phi'(0) (the zero outgoing weights already make every "
        "back-propagated gradient 0); an optimizer that leaves a parameter with an all-zero "
        "gradient history at 0 (SGD, momentum, Adam, RMSProp, AdaGrad; decay keeps 0 at 0)",
        seed_said="seed 003: with W = 0 every row of dW is the same, so after each update "
        "W - a dW the rows of W stay equal (the weights move, in lockstep)",
        correction="with tanh or ReLU and zero biases (as the seed sets b = 0) dW is 0 itself: the "
        "weights never move; they move with equal rows only when phi(0) != 0 (a sigmoid) or a "
        "hidden bias is non-zero",
        see_also=("zero-init-symmetry",),
    ),
    Claim(
        "symmetric-net-is-one-neuron",
        "A symmetric layer is one neuron",
        "a layer of k identical units computes the same function as one unit with k times "
        "the outgoing weight",
        S001,
        E,
        "identical incoming weights and biases",
        see_also=("zero-init-symmetry",),
    ),
    Claim(
        "random-init-breaks-symmetry",
        "Random initialization breaks symmetry",
        "with continuous random weights, no two units coincide (probability 1) and they stay distinct",
        S003,
        E,
        "a continuous weight law (no atoms)",
    ),
]

_OPTIMIZERS = [
    Claim(
        "momentum-zero-is-sgd",
        "Momentum with mu = 0 is SGD",
        "v := 0 v + g; theta := theta - lr v equals theta - lr g",
        S001,
        C,
    ),
    Claim(
        "momentum-constant-gradient",
        "Momentum's buffer for a constant gradient",
        "v_t = g (1 - mu^t) / (1 - mu) -> g / (1 - mu)",
        S001,
        E,
        "0 <= mu < 1, v_0 = 0",
    ),
    Claim(
        "adam-bias-correction-unbiased",
        "Adam's bias correction",
        "E[m_t] = (1 - b1^t) E[g], so E[m^_t] = E[g] and E[v^_t] = E[g^2] for stationary gradients",
        f"{KB15}, Sec. 3; {S001}",
        S,
        "stationary gradients (E g_t and E g_t^2 the same for every t); m_0 = v_0 = 0",
        seed_said="seed 001: the correction relieves a cold start: early gradients are small, and "
        "without it convergence slows",
        correction="the bias comes from starting m and v at 0, whatever the gradients' size; and "
        "without the correction the early steps are larger, not smaller: for a constant gradient "
        "the uncorrected step is (1 - b1^t)/sqrt(1 - b2^t) times the corrected one, x3.1623 (sqrt 10) at "
        "t = 1, x6.5279 at t = 10, at most x6.5685 (t = 12) and above 1 at every t, at the default "
        "betas (Kingma & Ba, Sec. 3). The seed's 'slower' has the wrong direction",
        see_also=("adam-uncorrected-first-step",),
    ),
    Claim(
        "adam-constant-gradient",
        "Adam's step for a constant gradient",
        "every bias-corrected step is lr g / (|g| + eps)",
        f"{KB15}, Algorithm 1",
        E,
    ),
    Claim(
        "adam-uncorrected-first-step",
        "Adam's first step without bias correction",
        "lr (1 - b1) g / (sqrt(1 - b2) |g| + eps) = 3.16228 lr sign(g) at the default betas (eps = 0)",
        f"{KB15}, Sec. 3",
        E,
        see_also=("adam-bias-correction-unbiased",),
    ),
    Claim(
        "adam-scale-invariance",
        "Adam is invariant to gradient scale",
        "with eps = 0, g -> c g (c > 0) leaves every step unchanged",
        f"{KB15}, Sec. 2.1",
        E,
    ),
    Claim(
        "adam-step-bound",
        "Adam's steps are bounded",
        "|m_t| / sqrt(v_t) <= (1 - b1) / sqrt((1 - b2)(1 - b1^2/b2)); step 1 is exactly lr (eps = 0)",
        f"{KB15}, Sec. 2.1 (heuristic); Cauchy-Schwarz",
        E,
        "b1^2 < b2",
    ),
    Claim(
        "seed-adam-update",
        "Seed 001's Adam is Algorithm 1",
        "theta := theta - alpha v~ / (sqrt(r~) + delta), v~ = v/(1 - mu^t), r~ = r/(1 - rho^t)",
        f"{S001}; {KB15}, Algorithm 1",
        C,
        seed_said="seed 001: the small constant delta is usually set to 1e-5 (for Adam as for "
        "AdaGrad and RMSProp)",
        correction="Kingma & Ba's default for Adam is eps = 1e-8 (PyTorch and Optax 1e-8, Keras "
        "1e-7); 1e-5 is a legitimate choice, not the usual one",
    ),
    Claim(
        "adagrad-rate-non-increasing",
        "AdaGrad's rate never grows",
        "lr / (sqrt(r_t) + delta) is non-increasing for any gradient sequence",
        f"{S001}; {DU11}",
        E,
        "delta > 0. Scope: seed 001's remark that AdaGrad's steps become very small as r grows is "
        "the textbook criticism (Goodfellow et al. 2016, Sec. 8.5.1), not an error; RMSProp's "
        "forgetting is the usual answer",
        references=(DU11, f"{GBC16}, Sec. 8.5.1"),
    ),
    Claim(
        "adagrad-constant-gradient",
        "AdaGrad for a constant gradient",
        "step_t = lr g / (sqrt(t) |g| + eps)",
        DU11,
        E,
        references=(DU11,),
    ),
    Claim(
        "rmsprop-constant-gradient",
        "RMSProp for a constant gradient",
        "step_t = lr g / (sqrt(1 - rho^t) |g| + eps): 10 lr at t = 1 (rho = 0.99), within 1% after 391 steps",
        f"{S001}; Hinton lecture 6e",
        E,
        "v_0 = 0, no bias correction (PyTorch's RMSprop)",
        seed_said="seed 001: RMSProp's decay rate rho is usually set to 0.999",
        correction="0.999 works but is an unusual choice: Hinton proposed 0.9, PyTorch defaults to "
        "alpha = 0.99, Keras and Optax to 0.9; 0.999 is Adam's beta2 default",
    ),
    Claim(
        "seed-rmsprop-update",
        "Seed 001's RMSProp and AdaGrad are PyTorch's",
        "r := rho r + (1 - rho) g^2; w := w - alpha g / (sqrt(r) + delta) (delta outside the root)",
        f"{S001}; torch/optim/rmsprop.py",
        C,
    ),
    Claim(
        "gradient-clipping",
        "Gradient clipping bounds the step and keeps its direction",
        "clip_grad_norm: |g'| <= max_norm and g' = c g with 0 < c <= 1",
        f"{S001}; torch.nn.utils.clip_grad_norm_",
        C,
        "max_norm > 0, a finite gradient norm",
    ),
]

_LOSSES = [
    Claim("cross-entropy-decomposition", "Cross-entropy decomposes", "H(P, Q) = KL(P || Q) + H(P)", S004, C),
    Claim("kl-non-negative", "Gibbs' inequality", "KL(P || Q) >= 0 with equality iff P = Q", S004, C),
    Claim(
        "cross-entropy-is-nll-of-log-softmax",
        "CrossEntropyLoss = NLLLoss(LogSoftmax)",
        "cross_entropy(x, y) = -log_softmax(x)_y = logsumexp(x) - x_y",
        S004,
        C,
    ),
    Claim(
        "bce-with-logits-stable",
        "Stable BCE with logits",
        "-[y log s(x) + (1 - y) log(1 - s(x))] = max(x, 0) - x y + log(1 + e^-|x|), gradient s(x) - y",
        f"{S004}; TF sigmoid_cross_entropy_with_logits",
        C,
    ),
    Claim(
        "bce-log-clamp",
        "BCELoss caps each term at 100",
        "log outputs clamped at -100",
        "PyTorch BCELoss docs",
        C,
    ),
    Claim(
        "cross-entropy-gradient",
        "Gradient of softmax cross-entropy",
        "d CE / d x = softmax(x) - onehot(y)",
        f"{S002} (cross-entropy cost); {S004}",
        C,
    ),
]

_SEEDS = [
    Claim(
        "seed-000-neuron-std",
        "Seed 000's neuron with 10,000 inputs",
        "a = w . x with x ~ U(-1, 1): std a = sqrt(n Var w / 3) = 33.3 (w ~ U(-1, 1)), 57.7 (N(0, 1)), "
        "50.8 (N(0, 1) truncated at +-2), 0.577 (normal with std 1/sqrt(n))",
        S000,
        S,
        "n = 10,000; w and x independent, x_i iid U(-1, 1) (E x^2 = 1/3), zero bias",
        seed_said="after scaling w by 1/sqrt(n), |a| is confined within 1",
        correction="std a = 0.577, so P(|a| > 1) = 0.083: |a| <= 1 for about 91.7% of inputs, not all",
    ),
    Claim(
        "seed-004-growth",
        "Seed 004's exploding chain",
        "linear layers of width 400, W ~ N(0, 1): the std grows x sqrt(400) = 20 per layer",
        S004,
        S,
        "linear layers, W_ij iid N(0, 1), zero biases, unit-variance inputs",
    ),
    Claim(
        "seed-004-lecun-preserves",
        "Seed 004's cure",
        "std(W) = sqrt(1/n) keeps a linear chain's std at 1",
        S004,
        A,
        "linear layers of width 400, W_ij iid N(0, 1/n), zero biases, unit-variance inputs; exact in "
        "expectation, for a single network only as the width grows",
    ),
    Claim(
        "seed-004-xavier-relu",
        "Seed 004: Xavier with ReLU vanishes at gain 1 and explodes only at gain 5/3",
        "square layers, xavier_uniform(gain) (sigma_w^2 = gain^2) and ReLU: the pre-activation std "
        "changes by gain/sqrt(2) per layer: x0.7071 at gain 1, x1.1785 at gain 5/3",
        S004,
        A,
        "square layers, zero biases, unit-variance inputs; width N -> infinity",
        seed_said="seed 004: the Xavier method does not work with ReLU: it explodes",
        correction="with Xavier's own gain 1 a ReLU net vanishes (std x0.7071 per layer); it explodes "
        "(x1.1785 per layer) only with the gain the seed's code passes, calculate_gain('tanh') = 5/3",
        see_also=("seed-001-xavier-relu",),
        references=(f"{HE15}, eq. (8)",),
    ),
    Claim(
        "seed-001-tanh-small-init",
        "Seed 001: tanh with 'N(0, 0.01)', read as std 0.01",
        "sigma_w^2 = 0.05: once the pre-activations are small the std shrinks x sqrt(500) 0.01 = "
        "0.2236 per layer (x0.2135 from layer 1 to 2, where tanh still compresses the unit input)",
        S001,
        A,
        SEED001_SETUP,
        seed_said="N(0, 0.01) (ambiguous: std or variance 0.01)",
        correction="read as std 0.01 (cs231n's 0.01 * randn), sigma_w^2 = 0.05: a geometric collapse",
    ),
    Claim(
        "seed-001-tanh-large-init",
        "Seed 001: tanh with N(0, 1)",
        "sigma_w^2 = 500: pre-activation std 22.36 at layer 1, 21.95 from layer 3 on; activations "
        "saturate at +-1 (post-activation std 0.9817)",
        S001,
        A,
        SEED001_SETUP,
    ),
    Claim(
        "seed-001-xavier-tanh",
        "Seed 001: Xavier with tanh",
        "pre-activation std 1.000, 0.628, 0.486, ..., 0.241 at layer 10; activation (post-tanh) std "
        "0.628, 0.486, ..., 0.228 at layer 10 (mean field)",
        S001,
        A,
        SEED001_SETUP + "; Xavier on square layers: sigma_w^2 = 1",
        seed_said="Xavier keeps the variance of tanh activations roughly constant across layers",
        correction="only roughly: q^l ~ 1/(2 l) for large l, so the activation std falls 2.75x from "
        "layer 1 to layer 10 (0.628 to 0.228), as mean field predicts",
    ),
    Claim(
        "seed-001-xavier-relu",
        "Seed 001: Xavier with ReLU",
        "sigma_w^2 = 1: the pre-activation variance halves per layer (std x0.7071)",
        S001,
        A,
        SEED001_SETUP,
        see_also=("seed-004-xavier-relu",),
    ),
    Claim(
        "seed-001-he-relu",
        "Seed 001: He with ReLU",
        "N(0, 2/N) keeps the pre-activation std at sqrt 2",
        S001,
        A,
        SEED001_SETUP,
        see_also=("relu-critical",),
    ),
]

CLAIMS = Registry(
    _VARIANCE_ALGEBRA
    + _SCHEMES
    + _ACTIVATIONS
    + _SELU
    + _MEAN_FIELD
    + _ISOMETRY
    + _HAAR
    + _SYMMETRY
    + _OPTIMIZERS
    + _LOSSES
    + _SEEDS
)
"""The registry of every claim."""
