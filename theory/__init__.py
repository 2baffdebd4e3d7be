"""The analytic claims of initialization theory, as data (:data:`CLAIMS`) and as formulas.

Modules group formulas by subject: :mod:`theory.variance`, :mod:`theory.distributions`,
:mod:`theory.activations`, :mod:`theory.selu`, :mod:`theory.meanfield`, :mod:`theory.isometry`,
:mod:`theory.haar`, :mod:`theory.optimizers`, :mod:`theory.losses`, :mod:`theory.seeds`, and
since 2017 :mod:`theory.residual`, :mod:`theory.finite_width`, :mod:`theory.normalization`,
:mod:`theory.attention`, :mod:`theory.initial_loss`, :mod:`theory.weight_decay`,
:mod:`theory.transformer`, :mod:`theory.width_scaling`, :mod:`theory.edge_of_chaos`.
``theory`` never imports ``impls``: predictions are derived independently.
"""

from theory.catalogue import CLAIMS as _SEED_CLAIMS
from theory.catalogue_since_2017 import CLAIMS_SINCE_2017
from theory.claims import Claim, Kind, Registry

CLAIMS = Registry([*_SEED_CLAIMS, *CLAIMS_SINCE_2017])
"""Every claim: the seeds' and their literature's, then the theory since 2017."""

__all__ = ["CLAIMS", "Claim", "Kind", "Registry"]
