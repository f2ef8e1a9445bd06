"""The Susenas-like sample: strata, PPS inclusion probabilities, weights and FPCs."""

from __future__ import annotations

import numpy as np
import polars as pl

from entas.synth import SynthProvince


def test_weights_sum_to_stratum_household_counts(small: SynthProvince) -> None:
    registry = small.truth.with_columns(
        stratum=pl.col("district_code") + pl.when(pl.col("urban")).then(pl.lit("-urban")).otherwise(pl.lit("-rural"))
    ).group_by("stratum").agg(n=pl.len())
    sums = small.survey_households.group_by("stratum").agg(w=pl.col("weight").sum()).join(registry, on="stratum")
    assert sums.height == registry.height
    assert np.allclose(sums["w"].to_numpy(), sums["n"].to_numpy())


def test_every_stratum_has_at_least_two_psus(small: SynthProvince) -> None:
    psus = small.survey_households.group_by("stratum").agg(n=pl.col("psu").n_unique())
    assert (psus["n"] >= 2).all()


def test_weights_are_positive_and_at_most_population_over_sample(small: SynthProvince) -> None:
    w = small.survey_households["weight"]
    assert (w > 0).all()
    assert w.sum() == small.households.height or abs(w.sum() - small.households.height) < 1e-6


def test_fpcs_bound_the_sample(small: SynthProvince) -> None:
    s = small.survey_households
    psu_counts = s.group_by("stratum").agg(n=pl.col("psu").n_unique(), fpc=pl.col("fpc_psu").first())
    assert (psu_counts["n"] <= psu_counts["fpc"]).all()
    hh_counts = s.group_by("psu").agg(n=pl.len(), fpc=pl.col("fpc_ssu").first())
    assert (hh_counts["n"] <= hh_counts["fpc"]).all()
    assert (hh_counts["n"] <= 10).all()


def test_pps_inclusion_probabilities_are_proportional_to_block_size(small: SynthProvince) -> None:
    from entas.synth.survey import _systematic_pps

    sizes = np.array([50.0, 100.0, 150.0, 200.0, 500.0])
    rng = np.random.default_rng(0)
    _, pi = _systematic_pps(sizes, 2, rng)
    assert np.isclose(pi.sum(), 2.0)
    assert pi[4] == 1.0  # certainty unit: 2 * 500 / 1000 >= 1
    assert np.allclose(pi[:4] / sizes[:4], pi[0] / sizes[0])


def test_pps_selection_frequencies_match_inclusion_probabilities() -> None:
    from entas.synth.survey import _systematic_pps

    sizes = np.array([30.0, 60.0, 90.0, 120.0, 150.0, 150.0])
    rng = np.random.default_rng(1)
    hits = np.zeros(sizes.size)
    runs = 4000
    for _ in range(runs):  # Monte Carlo check of the design, not data processing
        idx, pi = _systematic_pps(sizes, 3, rng)
        hits[idx] += 1
    assert np.allclose(hits / runs, pi, atol=0.03)


def test_survey_links_to_registry_only_in_truth(small: SynthProvince) -> None:
    linked = small.truth.filter(pl.col("survey_household_id").is_not_null())
    assert linked.height == small.survey_households.height
    assert not set(small.survey_households["household_id"]) & set(small.households["household_id"])
