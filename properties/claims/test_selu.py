"""SELU's claims against the implementation: the constants, the stable fixed point, chi_1."""

from __future__ import annotations

import numpy as np
import pytest

from properties.checks import gaussian_expectation
from theory import selu


@pytest.mark.claim("selu-constants")
def test_selu_constants_solve_their_equations(impl) -> None:
    solved = selu.selu_constants_solved()
    assert solved == pytest.approx((impl.SELU_ALPHA, impl.SELU_SCALE), rel=1e-11)
    assert gaussian_expectation(impl.selu) == pytest.approx(0.0, abs=1e-10)
    assert gaussian_expectation(lambda v: impl.selu(v) ** 2) == pytest.approx(1.0, rel=1e-10)


def impls_selu_moment_map(impl, mean: float, var: float) -> tuple[float, float]:
    """(mu, nu) -> (E selu(z), Var selu(z)) for z ~ N(mean * omega, var * tau), omega = 0, tau = 1."""
    first = gaussian_expectation(impl.selu, var)
    return first, gaussian_expectation(lambda v: impl.selu(v) ** 2, var) - first**2


@pytest.mark.claim("selu-fixed-point-stable")
def test_selu_fixed_point_jacobian(impl) -> None:
    step = 1e-5
    jac = np.empty((2, 2))
    for column, (dm, dv) in enumerate(((step, 0.0), (0.0, step))):
        plus, minus = impls_selu_moment_map(impl, dm, 1 + dv), impls_selu_moment_map(impl, -dm, 1 - dv)
        jac[:, column] = (np.array(plus) - np.array(minus)) / (2 * step)
    theory_jac = selu.moment_map_jacobian(*selu.selu_constants_closed_form())
    assert np.allclose(jac, theory_jac, atol=1e-6)
    assert np.allclose(jac, [[0, 0.088835], [0, 0.782648]], atol=2e-6)
    assert np.linalg.norm(jac, 2) == pytest.approx(0.7877, abs=1e-4) and np.linalg.norm(jac, 2) < 1


@pytest.mark.claim("selu-chi1")
def test_selu_chi1(impl) -> None:
    chi = gaussian_expectation(lambda v: impl.ACTIVATIONS["selu"].derivative(v) ** 2)
    assert chi == pytest.approx(selu.selu_chi1(), rel=1e-9)
    assert chi == pytest.approx(1.071575, abs=1e-6) and chi > 1
