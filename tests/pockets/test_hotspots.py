"""Hot spots: Gi* and local Moran against R spdep, q-values against R p.adjust, permutation p-values loosely
against the normal ones, and the conventions (islands, ties, seeds, classification).

Reference: tests/fixtures/pockets/make_hotspot_reference.R (R 4.2.2, spdep 1.2.7) on the 105 subdistricts of
province 64 with the neighbour pairs of hotspot_pairs.csv (the schematic tree graph, and the same graph with
one subdistrict cut off), two synthetic rates each (hotspot_values.csv, from make_hotspot_input.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import esda
import numpy as np
import polars as pl
import pytest
from scipy import stats

from entas.areas.neighbours import AreaNeighbours, neighbours_from_table
from entas.errors import HotSpotError
from entas.pockets.hotspots import benjamini_hochberg, hot_spots, permutation_p_value

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pockets"
STATISTIC_TOLERANCE = 1e-8  # absolute, on statistics and z-scores; measured agreement is ~3e-15
ISLAND = "64.02.05"
CASES = [(case, variable) for case in ("connected", "island") for variable in ("poverty_rate", "extreme_poverty_rate")]

VALUES = pl.read_csv(FIXTURES / "hotspot_values.csv", schema_overrides={"area_code": pl.Utf8})
PAIRS = pl.read_csv(FIXTURES / "hotspot_pairs.csv", infer_schema=False)
REFERENCE = pl.read_csv(
    FIXTURES / "hotspot_reference.csv", null_values=["NA", "NaN"], schema_overrides={"area_code": pl.Utf8}
)


def _graph(case: str) -> AreaNeighbours:
    return neighbours_from_table(
        PAIRS.filter(pl.col("case") == case), level="subdistrict", codes=VALUES["area_code"].to_list()
    )


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], pl.DataFrame]:
    """entas results joined to the R reference, per (case, variable), tested areas only."""
    out = {}
    for case, variable in CASES:
        ours = hot_spots(VALUES, _graph(case), value=variable, permutations=999, seed=7)
        reference = REFERENCE.filter((pl.col("case") == case) & (pl.col("variable") == variable))
        out[case, variable] = ours.join(reference, on="area_code", suffix="_r").filter(pl.col("tested"))
    return out


@pytest.mark.parametrize(("case", "variable"), CASES)
def test_gi_star_matches_spdep_localg_with_self_included(results, case: str, variable: str) -> None:
    joined = results[case, variable]
    for column in ("gi_star", "gi_star_z"):
        np.testing.assert_allclose(joined[column], joined[f"{column}_r"], rtol=0, atol=STATISTIC_TOLERANCE)


@pytest.mark.parametrize(("case", "variable"), CASES)
def test_local_moran_matches_spdep_localmoran_conditional(results, case: str, variable: str) -> None:
    joined = results[case, variable]
    for column in ("moran_i", "moran_z"):
        np.testing.assert_allclose(joined[column], joined[f"{column}_r"], rtol=0, atol=STATISTIC_TOLERANCE)
    assert joined["quadrant"].to_list() == joined["quadrant_r"].to_list()


@pytest.mark.parametrize(("variable", "max_gap"), [("poverty_rate", 0.15), ("extreme_poverty_rate", 0.25)])
def test_permutation_p_values_agree_loosely_with_the_normal_ones(results, variable: str, max_gap: float) -> None:
    # Same null, exact permutation distribution vs normal approximation: measured gaps (P = 999 and 9,999,
    # three seeds) up to 0.09 (Gi*) / 0.12 (Moran) on the continuous rate, 0.19 / 0.20 on the extreme rate,
    # whose half zeros make the sums skewed. Rank correlation >= 0.95 in every run.
    joined = results["connected", variable]
    for name in ("gi_star", "moran"):
        both = joined.drop_nulls(f"{name}_p_norm")
        gap = (both[f"{name}_p"] - both[f"{name}_p_norm"]).abs().max()
        assert isinstance(gap, float)
        assert gap < max_gap, name
        assert stats.spearmanr(both[f"{name}_p"], both[f"{name}_p_norm"])[0] > 0.9, name


def test_conditional_gi_star_permutations_would_not_agree_with_its_normal_p() -> None:
    # Why Gi* uses total permutation: esda's conditional permutation holds x_i fixed and drifts far from the
    # Ord-Getis normal p (measured gap 0.6-0.76 here), while ours stays within the tolerance above.
    joined = REFERENCE.filter((pl.col("case") == "connected") & (pl.col("variable") == "poverty_rate"))
    y = VALUES["poverty_rate"].to_numpy()
    with_self = {code: [code, *near] for code, near in _graph("connected").as_dict().items()}
    from libpysal.weights import W

    state = np.random.get_state()
    with pytest.warns(DeprecationWarning, match="alternative hypothesis"):
        conditional = esda.G_Local(
            y, W(with_self, silence_warnings=True), transform="B", star=True, permutations=999, seed=7, n_jobs=1
        )
    np.random.set_state(state)
    assert np.abs(np.minimum(1, 2 * conditional.p_sim) - joined["gi_star_p_norm"].to_numpy()).max() > 0.3


def test_bh_q_values_equal_r_p_adjust() -> None:
    reference = pl.read_csv(FIXTURES / "bh_reference.csv")
    np.testing.assert_array_equal(benjamini_hochberg(reference["p"].to_numpy()), reference["q"].to_numpy())
    for case, variable in CASES:
        rows = REFERENCE.filter(
            (pl.col("case") == case) & (pl.col("variable") == variable) & (pl.col("neighbours") > 0)
        )
        for name in ("gi_star", "moran"):
            q = benjamini_hochberg(rows[f"{name}_p_norm"].to_numpy())
            np.testing.assert_array_equal(q, rows[f"{name}_q_norm"].to_numpy())


def test_bh_rejections_equal_esda_fdr_cutoff() -> None:
    p = np.random.default_rng(3).beta(0.3, 2.0, size=200)
    cutoff = esda.fdr(p, 0.05)
    assert 0 < (p < cutoff).sum() < 200
    assert np.array_equal(benjamini_hochberg(p) <= 0.05, p < cutoff)


def test_bh_keeps_missing_p_values_out_of_the_count() -> None:
    q = benjamini_hochberg([0.01, np.nan, 0.04])
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2]], [0.02, 0.04])


def test_island_is_flagged_not_tested_and_counted_in_the_moments(results) -> None:
    ours = hot_spots(VALUES, _graph("island"), value="poverty_rate", permutations=99, seed=1)
    island = ours.filter(pl.col("area_code") == ISLAND).row(0, named=True)
    assert island["tested"] is False and island["neighbours"] == 0
    assert island["classification"] == "not tested" and island["lisa_cluster"] == "not tested"
    assert island["note"] == "no neighbours: not tested"
    assert all(island[c] is None for c in ("gi_star", "gi_star_z", "gi_star_p", "gi_star_q", "moran_z", "quadrant"))
    assert ISLAND not in set(results["island", "poverty_rate"]["area_code"])
    assert len(results["island", "poverty_rate"]) == 104  # the others match R with the island in n


def test_estimates_for_part_of_the_graph_restrict_it() -> None:
    some = VALUES.filter(pl.col("area_code").str.starts_with("64.02") | (pl.col("area_code") == "64.01.01"))
    ours = hot_spots(some, _graph("connected"), value="poverty_rate", permutations=99)
    assert ours.height == some.height
    assert ours.filter(~pl.col("tested"))["area_code"].to_list() == []  # 64.01.01 is linked to 64.02's gateway
    alone = VALUES.filter(pl.col("area_code").str.starts_with("64.02") | (pl.col("area_code") == "64.01.02"))
    flagged = hot_spots(alone, _graph("connected"), value="poverty_rate", permutations=99)
    assert flagged.filter(~pl.col("tested"))["area_code"].to_list() == ["64.01.02"]


def test_seeded_calls_are_deterministic_and_leave_numpy_global_state_alone() -> None:
    graph = _graph("connected")
    before = np.random.get_state()[1].copy()
    first = hot_spots(VALUES, graph, value="poverty_rate", permutations=999, seed=11)
    assert np.array_equal(np.random.get_state()[1], before)
    assert first.equals(hot_spots(VALUES, graph, value="poverty_rate", permutations=999, seed=11))
    other = hot_spots(VALUES, graph, value="poverty_rate", permutations=999, seed=12)
    assert not other["moran_p"].equals(first["moran_p"])
    assert not other["gi_star_p"].equals(first["gi_star_p"])


def test_more_than_one_batch_of_permutations_counts_every_permutation() -> None:
    ours = hot_spots(VALUES, _graph("connected"), value="poverty_rate", permutations=2499, seed=5)
    grid = 2 * (np.arange(2500) + 1) / 2500  # p = 2 (k + 1) / (P + 1) for whole k
    p = ours["gi_star_p"].drop_nulls().to_numpy()
    assert np.all(np.isclose(p[:, None], grid[None, :]).any(axis=1) | (p == 1.0))
    assert (p < 2 * 25 / 2500).any()  # resolution finer than one batch of 1,000 would allow


def test_ties_count_on_both_sides() -> None:
    # 30 areas in cliques of three, 24 of them 0: an all-zero clique is what most permutations give too, so
    # it is not "significantly low" (esda's directed p would count the ties on one side only).
    codes = [f"64.01.{k:02d}" for k in range(1, 31)]
    pairs = [(a, b) for g in range(10) for a in codes[3 * g : 3 * g + 3] for b in codes[3 * g : 3 * g + 3] if a != b]
    graph = neighbours_from_table(
        pl.DataFrame(pairs, schema=["area_code", "neighbour_code"], orient="row"), level="subdistrict"
    )
    values = pl.DataFrame({"area_code": codes, "estimate": [0.0] * 24 + [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})
    ours = hot_spots(values, graph, permutations=999, seed=2)
    zeros = ours.filter(pl.col("value") == 0)
    assert zeros["gi_star_p"].min() > 0.5
    assert zeros["moran_p"].min() > 0.5
    assert permutation_p_value([999], [999], 999).tolist() == [1.0]
    assert permutation_p_value([0], [999], 999).tolist() == [0.002]


def test_classification_follows_q_alpha_and_the_tail(results) -> None:
    ours = hot_spots(VALUES, _graph("connected"), value="poverty_rate", permutations=999, seed=7)
    flagged = ours.filter(pl.col("gi_star_q") <= 0.05)
    assert flagged.height > 0
    expected = np.where(flagged["gi_star_z"].to_numpy() > 0, "hot spot", "cold spot")
    assert flagged["classification"].to_list() == expected.tolist()
    assert set(ours.filter(pl.col("gi_star_q") > 0.05)["classification"]) == {"not significant"}
    moran = ours.filter(pl.col("moran_q") <= 0.05)
    assert moran["lisa_cluster"].to_list() == moran["quadrant"].to_list()
    loose = hot_spots(VALUES, _graph("connected"), value="poverty_rate", permutations=999, seed=7, fdr=False)
    assert (loose["classification"] != "not significant").sum() == (loose["gi_star_p"] <= 0.05).sum()
    assert (loose["classification"] != "not significant").sum() > flagged.height


def test_bad_inputs_raise_hot_spot_errors() -> None:
    graph = _graph("connected")
    values = VALUES.rename({"poverty_rate": "estimate"})
    cases = [
        (values.drop("estimate"), {}, "no column"),
        (pl.concat([values.head(1), values]), {}, "more than one estimate: 64.01.01"),
        (values.with_columns(area_code=pl.lit("64.99.99")).head(1), {}, "not in the neighbour graph"),
        (
            values.with_columns(estimate=pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise("estimate")),
            {},
            "finite",
        ),
        (values.with_columns(estimate=-pl.col("estimate")), {}, "non-negative"),
        (values.head(4), {}, "need 5"),
        (values.with_columns(estimate=pl.lit(0.1)), {}, "same 'estimate'"),
        (values, {"permutations": 50}, "permutations"),
        (values, {"alpha": 1.0}, "alpha"),
    ]
    for frame, options, message in cases:
        with pytest.raises(HotSpotError, match=re.escape(message)):
            hot_spots(frame, graph, **options)
