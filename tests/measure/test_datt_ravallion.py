"""Datt-Ravallion (1992) decomposition: cases with a known answer, from microdata and from Lorenz curves."""

from __future__ import annotations

import numpy as np
import pytest

from entas.errors import DecompositionError
from entas.measure.decompose import DattRavallion, datt_ravallion_lorenz, datt_ravallion_microdata
from entas.measure.grouped_lorenz import BetaLorenz, GQLorenz

LINE = 100.0
MEASURES = ("headcount", "poverty_gap", "squared_poverty_gap")
REFERENCES = ("initial", "final", "shapley")
GQ = GQLorenz(0.8877478436239881, -1.4514459181271322, 0.20264004773877686)  # Datt (1998) example fit
BETA = BetaLorenz(0.5613531744252754, 0.9309500660490777, 0.5800259243683258)


def _sample(seed: int, n: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.lognormal(np.log(120.0), 0.6, n), rng.uniform(1.0, 6.0, n)


def _fgt(y: np.ndarray, w: np.ndarray, alpha: int) -> float:
    poor = y < LINE
    return float(np.sum(w * poor * np.where(poor, 1 - y / LINE, 0.0) ** alpha) / w.sum())


@pytest.fixture(scope="module")
def general() -> DattRavallion:
    y1, w1 = _sample(1)
    y2, w2 = _sample(2)
    return datt_ravallion_microdata(y1, y2 * 1.15 + 5.0, line=LINE, weights1=w1, weights2=w2)


@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("measure", MEASURES)
def test_components_add_up_to_the_change(general: DattRavallion, measure: str, reference: str) -> None:
    row = general.get(measure, reference)  # type: ignore[arg-type]
    assert row.growth + row.redistribution + row.residual == pytest.approx(row.change, abs=1e-15)


@pytest.mark.parametrize("measure", MEASURES)
def test_shapley_residual_is_zero_and_final_residual_is_minus_initial(general: DattRavallion, measure: str) -> None:
    assert general.get(measure, "shapley").residual == pytest.approx(0.0, abs=1e-15)
    assert general.get(measure, "final").residual == pytest.approx(-general.get(measure, "initial").residual, abs=1e-15)


@pytest.mark.parametrize("alpha", [0, 1, 2])
def test_initial_and_final_levels_are_the_weighted_fgt(general: DattRavallion, alpha: int) -> None:
    y1, w1 = _sample(1)
    y2, w2 = _sample(2)
    row = general.get(alpha)
    assert row.initial == pytest.approx(_fgt(y1, w1, alpha), abs=1e-14)
    assert row.final == pytest.approx(_fgt(y2 * 1.15 + 5.0, w2, alpha), abs=1e-14)


@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("measure", MEASURES)
def test_pure_scaling_is_all_growth(measure: str, reference: str) -> None:
    y, w = _sample(3)
    row = datt_ravallion_microdata(y, y * 1.25, line=LINE, weights1=w, weights2=w).get(measure, reference)  # type: ignore[arg-type]
    assert row.redistribution == pytest.approx(0.0, abs=1e-12)
    assert row.residual == pytest.approx(0.0, abs=1e-12)
    assert row.growth == pytest.approx(row.change, abs=1e-12) and row.change < 0


@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("measure", MEASURES)
def test_mean_preserving_change_has_no_growth_component(measure: str, reference: str) -> None:
    y, w = _sample(4)
    mean = float(w @ y / w.sum())
    spread = mean + 1.3 * (y - mean)  # same mean, more unequal
    spread = np.clip(spread, 0.0, None)
    spread *= mean / float(w @ spread / w.sum())  # restore the mean after clipping
    row = datt_ravallion_microdata(y, spread, line=LINE, weights1=w, weights2=w).get(measure, reference)  # type: ignore[arg-type]
    assert row.growth == pytest.approx(0.0, abs=1e-12)
    assert row.redistribution == pytest.approx(row.change, abs=1e-12) and row.change > 0


def test_person_weights_equal_replicated_records() -> None:
    y1, y2 = np.array([40.0, 90.0, 150.0, 300.0]), np.array([60.0, 95.0, 170.0, 260.0])
    w = np.array([1, 3, 2, 1])
    weighted = datt_ravallion_microdata(y1, y2, line=LINE, weights1=w, weights2=w).to_frame()
    replicated = datt_ravallion_microdata(np.repeat(y1, w), np.repeat(y2, w), line=LINE).to_frame()
    columns = ["initial", "final", "growth", "redistribution", "residual"]
    assert np.allclose(weighted.select(columns).to_numpy(), replicated.select(columns).to_numpy(), rtol=0, atol=1e-15)


def test_strictly_below_the_line_is_poor() -> None:
    d = datt_ravallion_microdata([100.0, 200.0], [100.0, 200.0], line=100.0)
    assert d.get("headcount").initial == 0.0


@pytest.mark.parametrize("reference", REFERENCES)
@pytest.mark.parametrize("curve", [GQ, BETA], ids=["gq", "beta"])
def test_lorenz_same_curve_is_pure_growth(curve: GQLorenz | BetaLorenz, reference: str) -> None:
    d = datt_ravallion_lorenz(curve, 109.9, curve, 130.0, line=89.0)
    for measure in MEASURES:
        row = d.get(measure, reference)  # type: ignore[arg-type]
        assert row.redistribution == 0.0 and row.residual == pytest.approx(0.0, abs=1e-15)
        assert row.growth == pytest.approx(row.change, abs=1e-15)


@pytest.mark.parametrize("reference", REFERENCES)
def test_lorenz_same_mean_is_pure_redistribution(reference: str) -> None:
    d = datt_ravallion_lorenz(GQ, 109.9, BETA, 109.9, line=89.0)
    for measure in MEASURES:
        row = d.get(measure, reference)  # type: ignore[arg-type]
        assert row.growth == 0.0
        assert row.redistribution == pytest.approx(row.change, abs=1e-15)


def test_lorenz_levels_match_the_datt_example() -> None:
    d = datt_ravallion_lorenz(GQ, 109.9, GQ, 120.0, line=89.0)
    assert d.get("headcount").initial == pytest.approx(0.4506, abs=5e-5)  # Datt (1998): H = 45.06%


def test_frame_has_one_row_per_measure_and_reference(general: DattRavallion) -> None:
    frame = general.to_frame()
    assert frame.height == 9
    assert set(frame.columns) >= {"measure", "reference", "growth", "redistribution", "residual", "change", "line"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"welfare1": [], "welfare2": [1.0]}, "non-empty"),
        ({"welfare1": [1.0, np.nan], "welfare2": [1.0]}, "non-finite"),
        ({"welfare1": [1.0, -2.0], "welfare2": [1.0]}, ">= 0"),
        ({"welfare1": [1.0, 2.0], "welfare2": [1.0], "weights1": [1.0]}, "weights must match"),
        ({"welfare1": [1.0, 2.0], "welfare2": [1.0], "weights1": [1.0, -1.0]}, "weights must be finite"),
        ({"welfare1": [0.0, 0.0], "welfare2": [1.0]}, "mean welfare must be > 0"),
    ],
)
def test_invalid_microdata_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DecompositionError, match=message):
        datt_ravallion_microdata(line=LINE, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("line", [0.0, -1.0, float("nan")])
def test_line_must_be_positive(line: float) -> None:
    with pytest.raises(DecompositionError, match="line must be a finite number > 0"):
        datt_ravallion_microdata([1.0], [2.0], line=line)


def test_unknown_row_is_an_error(general: DattRavallion) -> None:
    with pytest.raises(DecompositionError, match="no row"):
        general.get("watts")


@pytest.mark.parametrize("alpha", [0, 1, 2])
def test_components_equal_the_poverty_of_rescaled_samples(general: DattRavallion, alpha: int) -> None:
    """Datt and Ravallion (1992), eq. 2-3, computed directly: P(mu2, L1) is the poverty of y1 rescaled to mean
    mu2, P(mu1, L2) that of y2 rescaled to mean mu1 (initial reference; the final one swaps the periods)."""
    y1, w1 = _sample(1)
    y2, w2 = _sample(2)
    y2 = y2 * 1.15 + 5.0
    mu1, mu2 = np.sum(w1 * y1) / w1.sum(), np.sum(w2 * y2) / w2.sum()
    p1, p2 = _fgt(y1, w1, alpha), _fgt(y2, w2, alpha)
    growth_1 = _fgt(y1 * mu2 / mu1, w1, alpha) - p1
    redistribution_1 = _fgt(y2 * mu1 / mu2, w2, alpha) - p1
    initial, final = general.get(alpha, "initial"), general.get(alpha, "final")
    assert initial.growth == pytest.approx(growth_1, abs=1e-14)
    assert initial.redistribution == pytest.approx(redistribution_1, abs=1e-14)
    assert final.growth == pytest.approx(p2 - _fgt(y2 * mu1 / mu2, w2, alpha), abs=1e-14)
    assert final.redistribution == pytest.approx(p2 - _fgt(y1 * mu2 / mu1, w1, alpha), abs=1e-14)
