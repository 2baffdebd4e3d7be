"""The analytic claims of initialization theory, as data (:data:`CLAIMS`) and as formulas.

Modules group formulas by subject: :mod:`theory.variance`, :mod:`theory.distributions`,
:mod:`theory.activations`, :mod:`theory.selu`, :mod:`theory.meanfield`, :mod:`theory.isometry`,
:mod:`theory.haar`, :mod:`theory.optimizers`, :mod:`theory.losses`, :mod:`theory.seeds`.
``theory`` never imports ``impls``: predictions are derived independently.
"""

from theory.catalogue import CLAIMS
from theory.claims import Claim, Kind, Registry

__all__ = ["CLAIMS", "Claim", "Kind", "Registry"]
