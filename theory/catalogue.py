"""Every claim of the seed documents and the literature they rest on, as data.

Seeds (``shared/seeds/``): 000 vanishing/exploding gradients and weight scale; 001 activations,
optimizers and initialization experiments; 002 Glorot & Bengio's derivation; 003 random
initialization and symmetry; 004 variance algebra, Xavier/Kaiming and the cross-entropy loss.
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
PT = "PyTorch torch/nn/init.py"

E, S, A = Kind.EXACT, Kind.STATISTICAL, Kind.ASYMPTOTIC

_VARIANCE_ALGEBRA = [
    Claim(
        "uniform-variance",
        "Variance of a symmetric uniform",
        "Var U[-a, a] = a^2 / 3",
        f"{S002}, Sec. 4; {S004}, eq. (3)",
        S,
        "a > 0",
    ),
    Claim(
        "uniform-bound-from-variance",
        "Uniform bound for a target variance",
        "U(-sqrt(3 v), sqrt(3 v)) has variance v; hence bound = sqrt(3) * std",
        f"{S002}, Sec. 4; {PT}",
        E,
    ),
    Claim(
        "product-variance",
        "Variance of a product of independent variables",
        "Var(XY) = Var X Var Y + Var X (E Y)^2 + Var Y (E X)^2",
        f"{S002}, Sec. 3; {S004}",
        S,
        "X, Y independent, finite fourth moments",
    ),
    Claim(
        "sum-variance",
        "Variance of a sum of independent variables",
        "Var(X + Y) = Var X + Var Y",
        S004,
        S,
        "X, Y independent",
    ),
    Claim(
        "preactivation-second-moment",
        "Variance of one pre-activation",
        "Var(sum_i w_i x_i) = n Var(w) E[x^2]",
        f"{HE15}, eq. (7); {S001}; {S002}",
        S,
        "w_i iid, zero-mean, independent of x",
        seed_said="Var(y) = n Var(w_i) Var(z_i) (seeds 001 and 002)",
        correction="n Var(w) E[x^2]; equal to n Var(w) Var(x) only when E x = 0 "
        "(e.g. not after a ReLU or a sigmoid)",
    ),
    Claim(
        "glorot-forward-product",
        "Glorot's forward variance product",
        "Var[z^i] = Var[x] prod_{j<i} n_j Var[W^j]",
        f"{GB10}, eq. (3); {S002}",
        A,
        "linear regime f'(s) = 1, independent zero-mean weights",
    ),
    Claim(
        "glorot-backward-product",
        "Glorot's backward variance product",
        "Var[dC/ds^i] = Var[dC/ds^d] prod_{j>=i} n_{j+1} Var[W^j]",
        f"{GB10}, eq. (6); {S002}",
        A,
        "linear regime, gradients independent of weights",
    ),
    Claim(
        "glorot-compromise",
        "Glorot's compromise variance",
        "n_i Var W = 1 and n_{i+1} Var W = 1 averaged: Var W = 2 / (n_i + n_{i+1})",
        f"{GB10}, eq. (12); {S002}; {S004}",
        E,
    ),
    Claim(
        "glorot-uniform-bound",
        "Glorot's normalized uniform initialization",
        "W ~ U[-sqrt(6)/sqrt(n_i + n_{i+1}), +sqrt(6)/sqrt(n_i + n_{i+1})]",
        f"{GB10}, eq. (16); {S002}; {S004}",
        S,
    ),
    Claim(
        "glorot-standard-init",
        "Glorot's 'standard' initialization",
        "W ~ U[-1/sqrt(n), 1/sqrt(n)] gives n Var W = 1/3",
        f"{GB10}, eq. (1); {S002}",
        S,
    ),
    Claim(
        "pytorch-linear-default",
        "PyTorch's nn.Linear / nn.ConvNd default",
        "kaiming_uniform(a = sqrt 5) = U(+-1/sqrt(fan_in)): Var W = 1/(3 fan_in)",
        f"{PT}; torch/nn/modules/linear.py (pytorch/pytorch#57109)",
        S,
    ),
    Claim(
        "chain-exponential",
        "A chain of equal weights explodes or vanishes",
        "z_n = w^n x: |w| = 1.5 grows and |w| = 0.5 shrinks exponentially with depth",
        S000,
        E,
        "identity activation, zero bias",
    ),
    Claim(
        "preactivation-step-chi-square",
        "One layer's pre-activations given its input",
        "given a_{l-1}, h_l = W a_{l-1} has iid N(0, sigma_w^2 |a_{l-1}|^2 / n) entries "
        "(exact at any width for Gaussian W)",
        f"{HE15}, eq. (7); {PO16}",
        S,
        "Gaussian weights",
    ),
]

_SCHEMES = [
    Claim(
        "fans-torch-layout",
        "Fans in PyTorch's layout",
        "(out, in, *k): fan_in = in * prod(k), fan_out = out * prod(k)",
        f"{PT}; {HE15} (n = k^2 c)",
        E,
    ),
    Claim(
        "fans-keras-layout",
        "Fans in Keras's layout",
        "(*k, in, out): fan_in = in * prod(k), fan_out = out * prod(k)",
        "keras/src/initializers/random_initializers.py::compute_fans",
        E,
    ),
    Claim(
        "xavier-uniform-law",
        "Xavier uniform",
        "U(+-gain sqrt(6 / (fan_in + fan_out)))",
        f"{GB10}, eq. (16); {PT}",
        S,
    ),
    Claim(
        "xavier-normal-law",
        "Xavier normal",
        "N(0, 2 gain^2 / (fan_in + fan_out))",
        f"{GB10}, eq. (12); {PT}; {S004}",
        S,
    ),
    Claim(
        "he-normal-law",
        "He normal",
        "N(0, gain^2 / fan) with gain = sqrt(2 / (1 + a^2)); 2 / fan_in for ReLU",
        f"{HE15}, eq. (10); {S001}; {S004}",
        S,
    ),
    Claim("he-uniform-law", "He uniform", "U(+-gain sqrt(3 / fan))", f"{HE15}; {PT}", S),
    Claim(
        "he-leaky-variance",
        "He's variance for leaky rectifiers",
        "1/2 (1 + a^2) n Var W = 1, i.e. Var W = 2 / ((1 + a^2) n)",
        f"{HE15}, eq. (15); {S004}",
        S,
    ),
    Claim(
        "he-fan-out",
        "He's backward condition",
        "mode fan_out: Var W = 2 / fan_out (1/2 n^ Var W = 1)",
        f"{HE15}, eq. (14)",
        S,
    ),
    Claim(
        "lecun-variance",
        "LeCun's variance",
        "Var W = 1 / fan_in (uniform and truncated normal)",
        f"LeCun et al. (1998); {KL17}; {S001} ('Xavier' N(0, 1/N)); {S004}",
        S,
        seed_said="seed 001 calls N(0, 1/N) 'Xavier initialization'",
        correction="N(0, 1/fan_in) is LeCun's initialization; Glorot's is 2/(n_in + n_out), "
        "the same only when n_in = n_out (seed 001's 500-unit layers)",
    ),
    Claim(
        "variance-scaling-modes",
        "Variance scaling",
        "Var W = scale / n, n = fan_in, fan_out, (fan_in + fan_out)/2 or sqrt(fan_in fan_out)",
        "JAX jax/_src/nn/initializers.py; Keras VarianceScaling",
        S,
    ),
    Claim(
        "variance-scaling-truncated-correction",
        "Truncated-normal std correction",
        "N(0, s^2) cut at +-2 s with s = sqrt(scale/n) / 0.87962566103423978 has variance scale/n",
        "keras-team/keras#8048; JAX variance_scaling",
        S,
    ),
    Claim(
        "truncated-normal-std-constant",
        "Std of a 2-sigma truncated standard normal",
        "std N(0,1)|(-2,2) = sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.87962566103423978",
        "Keras commit 895dba6; JAX initializers",
        E,
    ),
    Claim(
        "truncated-normal-law",
        "Truncated normal on any interval",
        "trunc_normal(mean, std, a, b) has the law of N(mean, std^2) conditioned on (a, b), "
        "with truncnorm's mean and variance",
        f"{PT} trunc_normal_ (absolute bounds)",
        S,
    ),
    Claim(
        "truncated-normal-support",
        "Truncated normal never leaves its interval",
        "every value lies strictly inside (a, b) in the output dtype (resampled, never clamped)",
        f"{PT} trunc_normal_ (PR #174997)",
        E,
    ),
    Claim(
        "plain-uniform-law", "Uniform initializer", "uniform(low, high) ~ U[low, high)", f"{PT} uniform_", S
    ),
    Claim("plain-normal-law", "Normal initializer", "normal(mean, std) ~ N(mean, std^2)", f"{PT} normal_", S),
    Claim(
        "sparse-structure",
        "Sparse initialization",
        "exactly ceil(sparsity * rows) zeros per column; the rest N(0, std^2)",
        f"Martens (2010), Sec. 5; {PT} sparse_",
        S,
    ),
    Claim(
        "deterministic-structure",
        "Eye and Dirac initializers",
        "eye: W_ij = [i = j]; dirac: a convolution with it copies min(out/groups, in) channels",
        f"{PT} eye_, dirac_",
        E,
    ),
]

_ACTIVATIONS = [
    Claim("sigmoid-derivative", "Derivative of the sigmoid", "sigma'(x) = sigma(x) (1 - sigma(x))", S001, E),
    Claim(
        "sigmoid-derivative-bound",
        "The sigmoid's derivative is at most 1/4",
        "sigma'(x) <= 1/4 with equality only at x = 0",
        f"{S001}; {GB10}",
        E,
    ),
    Claim("tanh-derivative", "Derivative of tanh", "tanh'(x) = 1 - tanh(x)^2", f"{S001}; {S002}", E),
    Claim(
        "tanh-derivative-bound",
        "tanh's derivative is at most 1",
        "tanh'(x) <= 1, equality only at 0",
        S001,
        E,
    ),
    Claim(
        "tanh-sigmoid-relation", "tanh is a rescaled sigmoid", "tanh(x) = 2 sigmoid(2x) - 1", "identity", E
    ),
    Claim("sigmoid-symmetry", "Sigmoid point symmetry", "sigmoid(-x) = 1 - sigmoid(x)", "identity", E),
    Claim(
        "saturation-beyond-10",
        "Saturation of sigmoid and tanh",
        "for |x| > 10: sigmoid'(x) < 4.54e-5 and tanh'(x) < 8.25e-9",
        S001,
        E,
        seed_said="'the local gradient is close to 0 when the input is above 10 or below -10'",
        correction="true, and far earlier for tanh: tanh'(x) < 1e-3 already for |x| > 4.1; "
        "sigmoid'(10) = 4.54e-5",
    ),
    Claim(
        "sigmoid-not-zero-centred",
        "The sigmoid is not zero-centred",
        "E[sigmoid(y)] = 1/2 for every y symmetric about 0",
        f"{S002}; {GB10}",
        S,
    ),
    Claim(
        "relu-half-second-moment",
        "Half second moment of a ReLU",
        "E[relu(y)^2] = Var(y) / 2 for y symmetric about 0",
        f"{HE15}, above eq. (8)",
        S,
    ),
    Claim(
        "relu-kink-convention", "ReLU's derivative at 0", "relu'(0) = 0 (and leaky_relu'(0) = slope)", S001, E
    ),
    Claim(
        "leaky-relu-no-dead-zone",
        "Leaky ReLU has no dead zone",
        "leaky_relu'(x) >= min(1, slope) > 0 everywhere for slope > 0",
        S001,
        E,
    ),
    Claim(
        "activation-derivatives",
        "Every derivative is the function's slope",
        "f'(x) = lim (f(x + h) - f(x - h)) / 2h for every activation, away from kinks",
        "torch.nn.functional / autograd",
        E,
    ),
    Claim(
        "activation-stability",
        "Activations are numerically stable",
        "no NaN and no overflow warning for any finite input; the right limits at +-inf",
        "torch.nn.functional semantics",
        E,
    ),
    Claim(
        "activation-gaussian-moments",
        "Gaussian moments of the activations",
        "E f(z), E f(z)^2, E f'(z)^2 for z ~ N(0, 1) "
        "(tanh: 0, 0.39429, 0.46440; relu 1/sqrt(2 pi), 1/2, 1/2)",
        "quadrature; theory_claims.md S3.3",
        S,
    ),
    Claim(
        "activation-gains",
        "Forward, backward and variance gains",
        "1/sqrt(E f^2), 1/sqrt(E f'^2), 1/sqrt(Var f): tanh 1.59254, 1.46741, 1.59254; "
        "relu sqrt 2, sqrt 2, 1.71286",
        "theory_claims.md S3.3",
        E,
    ),
    Claim(
        "pytorch-gain-table",
        "PyTorch's calculate_gain table",
        "linear/conv/sigmoid 1, tanh 5/3, relu sqrt 2, leaky sqrt(2/(1+s^2)) (s = 0.01), selu 3/4",
        f"{PT} calculate_gain",
        E,
    ),
    Claim(
        "relu-gain-is-forward-gain",
        "ReLU's gain is exact",
        "calculate_gain('relu') = sqrt 2 = 1/sqrt(E relu(z)^2), for every input scale",
        f"{HE15}; {PT}",
        E,
    ),
    Claim(
        "tanh-gain-vs-theory",
        "PyTorch's tanh gain is empirical",
        "5/3 is 4.7% above tanh's forward gain 1.59254",
        "theory_claims.md S3.3",
        E,
        seed_said="seed 004: calculate_gain(tanh) ~ 1.6 means tanh's output variance is 1.6x "
        "smaller than its input's",
        correction="the gain multiplies the weights' std; for z ~ N(0, 1), E tanh(z)^2 = 0.394, "
        "a variance 2.54x (std 1.59x) smaller; PyTorch's value is 5/3, not 1.6",
    ),
    Claim(
        "linear-regime-error",
        "How wrong f'(s) = 1 is for tanh",
        "E tanh(sqrt(q) z)^2 / q = 1 - 2q + O(q^2): 0.9805 at q = 0.01, 0.3943 at q = 1",
        f"{S002} (linear-regime assumption); {GB10}",
        E,
        seed_said="seed 002 assumes f'(s) ~ 1 for tanh at initialization",
        correction="only for small pre-activation variance: off by 2% at q = 0.01, 16% at 0.1, 61% at 1",
    ),
]

_SELU = [
    Claim(
        "selu-constants",
        "SELU's constants",
        "alpha, lambda solve E selu(z) = 0, E selu(z)^2 = 1: 1.6732632423543772, 1.0507009873554805",
        KL17,
        E,
    ),
    Claim(
        "selu-fixed-point-stable",
        "SELU's fixed point is attracting",
        "Jacobian of (mu, nu) -> (mu~, nu~) at (0, 1) = [[0, 0.088835], [0, 0.782648]], "
        "spectral norm 0.7877 < 1",
        f"{KL17}, Theorem 1",
        E,
    ),
    Claim(
        "selu-self-normalizing",
        "Deep SELU nets normalize their activations",
        "with LeCun normal weights, activations converge to mean 0, variance 1 from other starts",
        KL17,
        A,
        "width -> infinity",
    ),
    Claim("selu-chi1", "SELU is mildly chaotic", "E selu'(z)^2 = 1.07157 > 1", "theory_claims.md S4.3", E),
]

_MEAN_FIELD = [
    Claim(
        "meanfield-length-map",
        "The length map",
        "q^l = sigma_w^2 E phi(sqrt(q^{l-1}) z)^2 + sigma_b^2",
        f"{PO16}; {SC17}, Sec. 2",
        A,
        "width -> infinity",
    ),
    Claim(
        "meanfield-fixed-point",
        "Fixed points of the length map",
        "tanh (sigma_w, sigma_b) = (1.5, 0.05): q* = 0.798387, chi_1 = 1.136708",
        SC17,
        E,
    ),
    Claim(
        "meanfield-gradient-growth",
        "Gradients grow by chi_1 per layer",
        "E[delta_l^2] = chi_1 E[delta_{l+1}^2], chi_1 = sigma_w^2 E phi'(sqrt(q*) z)^2",
        f"{SC17}, Sec. 5",
        A,
    ),
    Claim(
        "tanh-critical-line",
        "The order-to-chaos line for tanh",
        "chi_1 = 1: sigma_w = 1 at sigma_b = 0; sigma_w^2 = 1.76095 at sigma_b^2 = 0.05",
        f"{SC17}; {PO16}",
        E,
    ),
    Claim(
        "relu-critical",
        "ReLU's critical initialization",
        "chi_1 = sigma_w^2 / 2: critical at sigma_w^2 = 2 (He)",
        f"{SC17}; {HE15}",
        E,
    ),
    Claim(
        "depth-scale-q",
        "Depth scale of the length",
        "|q^l - q*| ~ exp(-l / xi_q), xi_q = -1/log(slope at q*)",
        f"{SC17}, Sec. 3",
        E,
    ),
    Claim(
        "depth-scale-c",
        "Depth scale of correlations",
        "ordered phase: xi_c = -1/log chi_1; chaotic: -1/log(sigma_w^2 E phi'(u1) phi'(u2)) at c*",
        f"{SC17}, Sec. 3",
        E,
    ),
    Claim(
        "relu-correlation-map",
        "ReLU's correlation map",
        "c -> (sqrt(1 - c^2) + (pi - arccos c) c) / pi; 1 - c^l ~ 9 pi^2 / (2 l^2)",
        "Cho & Saul (2009); theory_claims.md S5",
        E,
    ),
    Claim(
        "tanh-pytorch-gain-chaotic",
        "tanh with gain 5/3 is chaotic",
        "sigma_w^2 = 25/9, sigma_b = 0: q* = 1.178480, chi_1 = 1.209831 > 1",
        "theory_claims.md S3.3",
        A,
    ),
]

_ISOMETRY = [
    Claim(
        "orthogonal-linear-isometry",
        "Orthogonal deep linear nets are isometries",
        "J = W_L ... W_1 orthogonal: every singular value is exactly 1",
        SA13,
        E,
    ),
    Claim(
        "gaussian-linear-spectrum",
        "Gaussian deep linear nets are not",
        "mean s^2 = 1, Var s^2 -> L (Fuss-Catalan)",
        PE17,
        A,
    ),
    Claim(
        "jx-norm-law",
        "Exact finite-width law of |Jx|^2",
        "|Jx|^2 ~ prod_l chi^2_N / N: mean 1, Var (1 + 2/N)^L - 1, E log = L (psi(N/2) + log(2/N))",
        "theory_claims.md S6.2",
        S,
        "Gaussian N(0, 1/N) weights, linear, unit x",
    ),
    Claim(
        "relu-spectrum-variance",
        "ReLU cannot be dynamically isometric",
        "at criticality Var s^2 = L (mu_2/mu_1^2 - 1 - s_1): 2L Gaussian, L orthogonal",
        f"{PE17}",
        A,
    ),
]

_HAAR = [
    Claim(
        "orthogonal-identity",
        "Orthogonal initializer's identity",
        "W W^T = gain^2 I (rows <= cols) or W^T W = gain^2 I",
        f"{SA13}; {PT} orthogonal_",
        E,
    ),
    Claim("haar-trace-moments", "Trace of a Haar orthogonal matrix", "E tr Q = 0, Var tr Q = 1", ME07, S),
    Claim("haar-determinant", "Determinant of a Haar orthogonal matrix", "P(det Q = +1) = 1/2", ME07, S),
    Claim(
        "haar-entry-law",
        "An entry of a Haar orthogonal matrix",
        "Q_11^2 ~ Beta(1/2, (n-1)/2); P(Q_11 < 0) = 1/2",
        ME07,
        S,
    ),
    Claim(
        "naive-qr-not-haar",
        "Uncorrected QR is not Haar",
        "LAPACK QR without the sign fix: Q_11 < 0 and det Q = (-1)^(n-1) always",
        ME07,
        E,
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
    ),
    Claim(
        "zero-init-stays-zero",
        "All-zero weights never move (phi(0) = 0)",
        "with tanh (or ReLU, relu'(0) = 0) and all-zero weights, every hidden weight gradient is 0 forever",
        S003,
        E,
    ),
    Claim(
        "symmetric-net-is-one-neuron",
        "A symmetric layer is one neuron",
        "a layer of k identical units computes the same function as one unit with k times "
        "the outgoing weight",
        S001,
        E,
    ),
    Claim(
        "random-init-breaks-symmetry",
        "Random initialization breaks symmetry",
        "with continuous random weights, no two units coincide (probability 1) and they stay distinct",
        S003,
        E,
    ),
]

_OPTIMIZERS = [
    Claim(
        "momentum-zero-is-sgd",
        "Momentum with mu = 0 is SGD",
        "v := 0 v + g; theta := theta - lr v equals theta - lr g",
        S001,
        E,
    ),
    Claim(
        "momentum-constant-gradient",
        "Momentum's buffer for a constant gradient",
        "v_t = g (1 - mu^t) / (1 - mu) -> g / (1 - mu)",
        S001,
        E,
    ),
    Claim(
        "adam-bias-correction-unbiased",
        "Adam's bias correction",
        "E[m_t] = (1 - b1^t) E[g], so E[m^_t] = E[g] and E[v^_t] = E[g^2] for stationary gradients",
        f"{KB15}, Sec. 3; {S001}",
        S,
        seed_said="seed 001: the correction fixes a cold start because early gradients are small",
        correction="the bias comes from initializing m and v at 0 (m_t is shrunk by 1 - b1^t whatever "
        "the gradients' size); the correction makes each moment unbiased, not the ratio",
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
        "lr (1 - b1) g / (sqrt(1 - b2) |g| + eps) ~ 3.16 lr at the defaults",
        f"{KB15}, Sec. 3",
        E,
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
    ),
    Claim(
        "seed-adam-update",
        "Seed 001's Adam is Algorithm 1",
        "theta := theta - alpha v~ / (sqrt(r~) + delta), v~ = v/(1 - mu^t), r~ = r/(1 - rho^t)",
        f"{S001}; {KB15}",
        E,
    ),
    Claim(
        "adagrad-rate-non-increasing",
        "AdaGrad's rate never grows",
        "lr / (sqrt(r_t) + delta) is non-increasing for any gradient sequence",
        f"{S001}; Duchi et al. (2011)",
        E,
        seed_said="seed 001: AdaGrad's step becomes very small as r grows, so it loses its effect",
        correction="the rate decays like lr/sqrt(t) for a constant gradient (a schedule, not a failure); "
        "it is RMSProp's forgetting that keeps it from vanishing",
    ),
    Claim(
        "adagrad-constant-gradient",
        "AdaGrad for a constant gradient",
        "step_t = lr g / (sqrt(t) |g| + eps)",
        "Duchi et al. (2011); theory_claims.md S9.7",
        E,
    ),
    Claim(
        "rmsprop-constant-gradient",
        "RMSProp for a constant gradient",
        "step_t = lr g / (sqrt(1 - rho^t) |g| + eps): 10 lr at t = 1 (rho = 0.99), within 1% after 391 steps",
        f"{S001}; Hinton lecture 6e",
        E,
        seed_said="seed 001: RMSProp's decay rate rho is usually 0.999",
        correction="Hinton proposed 0.9; PyTorch defaults to alpha = 0.99, Keras to 0.9; "
        "0.999 is Adam's beta2",
    ),
    Claim(
        "seed-rmsprop-update",
        "Seed 001's RMSProp and AdaGrad are PyTorch's",
        "r := rho r + (1 - rho) g^2; w := w - alpha g / (sqrt(r) + delta) (delta outside the root)",
        f"{S001}; torch/optim/rmsprop.py",
        E,
    ),
    Claim(
        "gradient-clipping",
        "Gradient clipping bounds the step and keeps its direction",
        "clip_grad_norm: |g'| <= max_norm and g' = c g with 0 < c <= 1",
        S001,
        E,
    ),
]

_LOSSES = [
    Claim("cross-entropy-decomposition", "Cross-entropy decomposes", "H(P, Q) = KL(P || Q) + H(P)", S004, E),
    Claim("kl-non-negative", "Gibbs' inequality", "KL(P || Q) >= 0 with equality iff P = Q", S004, E),
    Claim(
        "cross-entropy-is-nll-of-log-softmax",
        "CrossEntropyLoss = NLLLoss(LogSoftmax)",
        "cross_entropy(x, y) = -log_softmax(x)_y = logsumexp(x) - x_y",
        S004,
        E,
    ),
    Claim(
        "bce-with-logits-stable",
        "Stable BCE with logits",
        "-[y log s(x) + (1 - y) log(1 - s(x))] = max(x, 0) - x y + log(1 + e^-|x|), gradient s(x) - y",
        f"{S004}; TF sigmoid_cross_entropy_with_logits",
        E,
    ),
    Claim(
        "bce-log-clamp",
        "BCELoss caps each term at 100",
        "log outputs clamped at -100",
        "PyTorch BCELoss docs",
        E,
    ),
    Claim(
        "cross-entropy-gradient",
        "Gradient of softmax cross-entropy",
        "d CE / d x = softmax(x) - onehot(y)",
        f"{S002} (cross-entropy cost); {S004}",
        E,
    ),
]

_SEEDS = [
    Claim(
        "seed-000-neuron-std",
        "Seed 000's neuron with 10,000 inputs",
        "a = w . x with x ~ U(-1, 1): std a = sqrt(n Var w / 3) = 33.3 (U(-1,1)), 57.7 (N(0,1)), "
        "50.8 (truncated N(0,1)), 0.577 (N(0, 1/sqrt n))",
        S000,
        S,
        seed_said="after scaling w by 1/sqrt(n), |a| is confined within 1",
        correction="std a = 0.577, so P(|a| > 1) = 0.083: only about 92% of inputs land within 1",
    ),
    Claim(
        "seed-004-growth",
        "Seed 004's exploding chain",
        "linear layers of width 400, W ~ N(0, 1): the std grows x sqrt(400) = 20 per layer",
        S004,
        S,
    ),
    Claim(
        "seed-004-lecun-preserves",
        "Seed 004's cure",
        "std(W) = sqrt(1/n) keeps a linear chain's std at 1",
        S004,
        A,
    ),
    Claim(
        "seed-001-tanh-small-init",
        "Seed 001: tanh with N(0, 0.01)",
        "activations shrink x sqrt(500) 0.01 = 0.224 per layer",
        S001,
        A,
        seed_said="N(0, 0.01) (ambiguous: std or variance 0.01)",
        correction="read as std 0.01 (cs231n's 0.01 * randn), sigma_w^2 = 0.05: a geometric collapse",
    ),
    Claim(
        "seed-001-tanh-large-init",
        "Seed 001: tanh with N(0, 1)",
        "pre-activation std ~ 22, activations saturate at +-1 (post std 0.98)",
        S001,
        A,
    ),
    Claim(
        "seed-001-xavier-tanh",
        "Seed 001: Xavier with tanh",
        "activation std decays like mean field predicts: 1.00, 0.63, 0.49, ..., 0.24 at layer 10",
        S001,
        A,
        seed_said="Xavier keeps the variance of tanh activations roughly constant across layers",
        correction="only approximately: q^l ~ 1/(2l), a 4x drop in std over 10 layers, which mean "
        "field predicts to 3 digits",
    ),
    Claim(
        "seed-001-xavier-relu",
        "Seed 001: Xavier with ReLU",
        "the variance halves per layer (std x 0.707)",
        S001,
        A,
    ),
    Claim(
        "seed-001-he-relu",
        "Seed 001: He with ReLU",
        "N(0, 2/N) keeps the pre-activation std at sqrt 2",
        S001,
        A,
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
