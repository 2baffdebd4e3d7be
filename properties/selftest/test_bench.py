"""Tests of the benchmark's measurements: cells are pure and reproducible, frames feed sections.

No figure is drawn here (``plot`` is exercised by the CLI test in ``test_reports.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reports.bench import (
    EXPERIMENTS,
    coordinate_check,
    finite_width,
    isometry,
    low_precision,
    optimizers,
    propagation,
    seeds,
)
from reports.bench.common import Figure, Settings, Table
from reports.bench.experiment import Cell, cell_rng, gather, spawn_key
from theory import finite_width as theory_finite_width
from theory import isometry as theory_isometry
from theory import low_precision as theory_low_precision
from theory import width_scaling

QUICK = Settings(Path("unused"), seed=3, quick=True)


def test_one_list_of_experiments_in_report_order() -> None:
    assert list(EXPERIMENTS) == [
        "propagation",
        "seeds",
        "optimizers",
        "isometry",
        "residual_depth_sweep",
        "attention_pre_post_ln",
        "mup_coordinate_check",
        "finite_width_fluctuation",
        "low_precision_table",
        "speed",
    ]
    assert all(name == experiment.name for name, experiment in EXPERIMENTS.items())


def test_cell_streams_depend_on_run_seed_and_labels_only() -> None:
    a = cell_rng(0, "x", {"width": 64, "act": "tanh"}).standard_normal(4)
    b = cell_rng(0, "x", {"act": "tanh", "width": 64}).standard_normal(4)  # label order is irrelevant
    assert np.array_equal(a, b)
    assert not np.array_equal(a, cell_rng(1, "x", {"width": 64, "act": "tanh"}).standard_normal(4))
    assert not np.array_equal(a, cell_rng(0, "x", {"width": 65, "act": "tanh"}).standard_normal(4))
    assert len(spawn_key("x", {"width": 64})) == 4


def test_cells_are_reproducible_in_any_order() -> None:
    cells = propagation.cells(QUICK)[:3]
    for cell in cells:  # shrink: 2 layers, 1 seed
        object.__setattr__(cell, "params", {**cell.params, "depth": 2, "seeds": 1})
    forward = gather(cell.run(QUICK.seed) for cell in cells)
    backward = gather([cell.run(QUICK.seed) for cell in reversed(cells)][::-1])
    pd.testing.assert_frame_equal(forward, backward)
    assert cells[0].key(0) != cells[0].key(1) and cells[0].key(0) != cells[1].key(0)


def test_propagation_cell_has_theory_next_to_measurement() -> None:
    cell = Cell(
        "propagation",
        {"initializer": "he normal", "width": 64},
        propagation.measure_cell,
        {
            "initializer": "he normal",
            "activations": ["relu"],
            "width": 64,
            "depth": 3,
            "batch": 16,
            "seeds": 2,
        },
    )
    frame = cell.run(0)
    assert len(frame) == 2 * 3 and set(frame["seed"]) == {0, 1} and set(frame["dtype"]) == {"float32"}
    # He + ReLU: q_1 = sigma_w^2 q_0 = 2, then q_l = 2 q_{l-1} / 2 (sigma_w^2 = 2 from theory's scheme table)
    assert np.allclose(frame["pre_std_theory"], np.sqrt(2.0), rtol=1e-9)
    section = propagation.section(frame)
    assert section.title == "Signal propagation"
    assert {p.name for p in section.body if isinstance(p, Figure)} == {
        "propagation_pre_std",
        "propagation_grad_std",
    }


def test_a_network_whose_mean_field_overflows_is_named_not_run() -> None:
    """N(0, 1) weights at width 256 with SELU: q grows about 256 lambda^2 / 2 = 141-fold per layer,
    past float64 (1e308) by layer 150; mean field overflows, so the cell runs nothing and says so."""
    params = {"initializer": "normal std 1", "width": 256, "depth": 200, "batch": 4, "seeds": 1}
    cell = Cell(
        "propagation", {"initializer": "normal std 1", "width": 256}, propagation.measure_cell, params
    )
    skipped = Cell(cell.experiment, cell.labels, cell.function, {**params, "activations": ["selu"]}).run(0)
    assert list(skipped["dtype"]) == [propagation.NOT_RUN]
    small = {**params, "activations": ["tanh"], "depth": 3, "initializer": "he normal"}
    measured = Cell(cell.experiment, {**cell.labels, "initializer": "he normal"}, cell.function, small).run(0)
    text = propagation.section(gather([measured, skipped])).body[0]
    assert isinstance(text, str) and "Not run" in text and "normal std 1 + selu (width 256)" in text


def test_isometry_frame_and_section() -> None:
    small = {"depth": 2, "width": 16, "draws": 2}
    cells = [
        Cell(
            "isometry",
            {"activation": a, "weights": w, "depth": 2},
            isometry.measure_cell,
            {**small, "activation": a, "weights": w},
        )
        for a in theory_isometry.CRITICAL
        for w in isometry.WEIGHTS
    ]
    frame = gather(cell.run(0) for cell in cells)
    table = isometry.summarize(frame)
    assert len(table) == len(theory_isometry.CRITICAL) * 2
    orthogonal_linear = table[(table["activation"] == "linear") & (table["weights"] == "orthogonal")]
    assert np.allclose(orthogonal_linear["var s^2"], 0.0, atol=1e-20)  # exact isometries
    assert list(table["var s^2 (theory)"]) == [2.0, 0.0, 2.0, 0.0, 4.0, 2.0]  # L, 0, L, 0, 2L, L at L = 2
    assert "Width 16, 2 networks per depth" in isometry.section(frame).markdown()
    assert [c.labels for c in isometry.cells(QUICK)][:2] == [
        {"activation": "linear", "weights": "gaussian", "depth": 1},
        {"activation": "linear", "weights": "gaussian", "depth": 4},
    ]


def test_seeds_prose_numbers_come_from_theory_and_data() -> None:
    small: dict[Any, dict[str, int]] = {seeds.seed000_cell: {"inputs": 4}, seeds.seed001_cell: {"batch": 4}}
    cells = [
        Cell(c.experiment, c.labels, c.function, {**c.params, **small.get(c.function, {})})
        for c in seeds.cells(QUICK)
        if c.labels.get("repeat", 0) == 0 and c.labels.get("experiment", "tanh-xavier") == "tanh-xavier"
    ]
    frame = gather(c.run(0) for c in cells)
    text = seeds.section(frame).markdown()
    assert "Only 92% of |a| fall within 1" in text
    assert "0.24 at layer 10" in text
    assert "x20 per layer" in text


def test_optimizers_first_steps_in_prose() -> None:
    frame = gather(
        Cell(
            "optimizers",
            {"optimizer": name, "seed": 0},
            optimizers.measure_cell,
            {"optimizer": name, "steps": 3, "run_seed": 0},
        ).run(0)
        for name in optimizers.OPTIMIZERS
    )
    section = optimizers.section(frame)
    assert (
        "first step is 10 lr" in section.markdown()
        and "without bias correction 3.16 lr" in section.markdown()
    )
    table = next(p for p in section.body if isinstance(p, Table)).frame
    assert np.allclose(table["first step for g = 1 (measured)"], table["first step (theory)"], rtol=1e-12)


def test_settings_scales() -> None:
    assert Settings(Path("x"), quick=True).scale == "quick"
    assert Settings(Path("x")).scale == "default" and Settings(Path("x"), scale="large").pick(1, 2, 3) == 3
    with pytest.raises(ValueError, match="scale must be one of"):
        Settings(Path("x"), scale="huge")


def test_float32_only_where_mean_field_keeps_the_signal_in_range() -> None:
    """ReLU is rescaled by the simulator (positively homogeneous): float32 whether its signal
    grows x sqrt(5e5) = 707 per layer (sigma_w^2 = 1e6) or vanishes. tanh is not: sigma_w^2 =
    1e-6 shrinks its std x 1e-3 per layer, 1e-33 at layer 12 (past the FLOAT32_RANGE bound
    1e-30), so float64; sigma_w^2 = 1 decays like 1/sqrt(2l): float32. Sigmoid at sigma_w^2 =
    1e-6 keeps its values near 0.5 with a std of 0.25 x 5e-4 = 1.25e-4 (below 1e-3 of its
    mean): float64. SELU at
    sigma_w^2 = 1e6 overflows mean field itself (1e6^l): not run (None)."""
    assert propagation.precision("relu", 1e6, 10, 16) is np.float32
    assert propagation.precision("relu", 1e-6, 10, 16) is np.float32
    assert propagation.precision("tanh", 1e-6, 12, 16) is np.float64
    assert propagation.precision("tanh", 1.0, 10, 16) is np.float32
    assert propagation.precision("sigmoid", 1e-6, 10, 16) is np.float64
    assert propagation.precision("selu", 1e6, 60, 16) is None


def test_residual_and_attention_sections_quote_their_frames() -> None:
    from reports.bench import attention_layers, residual_depth

    frame = residual_depth.measure(QUICK)
    text = residual_depth.section(frame).markdown()
    table = residual_depth.summarize(frame)
    deepest = table[(table["scheme"] == "plain") & (table["depth"] == table["depth"].max())]
    assert f"{float(deepest['E ratio'].iloc[0]):.4g}" in text
    assert set(table["scheme"]) == set(residual_depth.SCHEMES)
    frame = attention_layers.measure(QUICK)
    text = attention_layers.section(frame).markdown()
    slopes = attention_layers.slopes(frame).set_index("norm")
    assert (
        f"L^{slopes.loc['Pre-LN', 'slope']:.2f}" in text and f"L^{slopes.loc['Post-LN', 'slope']:.2f}" in text
    )


def test_coordinate_check_slopes_and_prose_come_from_the_frame() -> None:
    frame = coordinate_check.measure(QUICK)
    assert set(frame["width"]) == {32, 64, 128} and frame["draw"].nunique() == 3
    table = coordinate_check.slopes(frame)
    assert len(table) == 3 * 2 * 3  # parametrizations x optimizers x layers
    theory = [
        e.exponent
        for p in width_scaling.PARAMETRIZATIONS
        for o in width_scaling.OPTIMIZERS
        for e in width_scaling.first_update_exponents(p, o)
    ]
    assert sorted(table["slope (theory)"]) == sorted(theory)
    mup = table[table["parametrization"] == "μP"]
    text = coordinate_check.section(frame).markdown()
    assert f"{mup['actual slope'].min():.3f} and {mup['actual slope'].max():.3f}" in text
    assert "widths 32..128, 3 networks per width" in text
    # the same draw index has the same input at every width: the ladders are paired
    first = frame[(frame["draw"] == 0) & (frame["optimizer"] == "sgd") & (frame["layer"] == "input")]
    assert first.groupby("parametrization")["width"].nunique().eq(3).all()


def test_finite_width_table_has_theory_next_to_measurement() -> None:
    frame = finite_width.measure(QUICK)
    table = finite_width.summarize(frame)
    assert list(zip(table["N"], table["L"], strict=True)) == [(8, 1), (8, 4), (16, 1), (16, 4)]
    assert list(table["(1+5/N)^L"]) == [
        theory_finite_width.he_relu_fourth_moment(n, d) for n, d in zip(table["N"], table["L"], strict=True)
    ]
    exact = theory_finite_width.relu_log_norm_moments(8, 4)
    assert table["var log R (exact)"].iloc[1] == exact.variance
    text = finite_width.section(frame).markdown()
    assert f"{int(table['samples'].min())}..{int(table['samples'].max())} networks per cell" in text


def test_low_precision_prose_numbers_come_from_the_frame() -> None:
    cells = [
        Cell(c.experiment, c.labels, c.function, {**c.params, "draws": 4096})
        for c in low_precision.cells(QUICK)
    ]
    frame = gather(c.run(0) for c in cells)
    assert len(frame) == len(low_precision.INITIALIZERS) * 3 * 2 and set(frame["fan"]) == {64, 16384}
    readout = frame[(frame["initializer"] == "normal std 1/fan (muP readout)") & (frame["fan"] == 16384)]
    f16 = readout[readout["dtype"] == "float16"].iloc[0]
    assert f16["subnormal (theory)"] == pytest.approx(theory_low_precision.subnormal_probability(1 / 16384))
    text = low_precision.section(frame).markdown()
    assert f"is {f16['subnormal or zero']:.1%} subnormal or zero in float16" in text
    assert "theory 0.002, half the uniform's spacing" in text
    assert set(low_precision.EXPERIMENT.render(frame).files) == {
        "low_precision_table.csv",
        "low_precision_table.md",
        "low_precision_distance.png",
        "section_low_precision_table.md",
    }
