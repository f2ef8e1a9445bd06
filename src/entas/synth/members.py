"""Members of the synthetic households: relation, sex, age, schooling, work, health — consistent by design.

Method (all vectorized over persons; ``latent`` is the household's covariate latent from ``population``):

- member 1 is the head (aged 18-90, mean ~44); member 2 is a spouse with probability 0.88 when the household
  has 2+ members (opposite sex, ~4 years apart, 18+); the others are children (82 %), grandchildren,
  parents, children-in-law, other relatives or others. A child is at least 15 years younger than the younger
  of head and spouse; grandchildren need a head aged 40+, children-in-law a head aged 40+ (else relabelled),
  parents are 20-35 years older than the head.
- birth dates: age at the reference date (15 March of the year) plus a uniform day within the year.
- education: ages 0-18 follow the school ladder (completed level matches age: 7-12 enrolled = primary not
  completed, 13-15 = primary, 16-18 = junior secondary, enrolled 19-24 = senior secondary); adults from an
  ordinal latent ``0.7 * latent + cohort + noise`` cut at the quantiles of the target shares (exact
  marginals). Enrolment probabilities rise with the household latent at 13+.
- work: by age, sex and enrolment; sector by a multinomial logit on urban and the latent (poorer: farming,
  plantation, fishery; richer: trade, services, public service, mining).
- disability and chronic illness rise with age. Health insurance is assigned later from the household's
  PBI-JKN flag (:func:`health_insurance`).

Limits: one family per household (no multi-family dwellings); ages are integers at the reference date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from entas.synth.names import family_names, member_names, member_niks

RELATIONS = ("head", "spouse", "child", "child_in_law", "grandchild", "parent", "other_relative", "other")
OTHER_RELATION_SHARES = np.array([0.0, 0.0, 0.82, 0.02, 0.06, 0.04, 0.05, 0.01])
EDUCATION = ("none", "primary_incomplete", "primary", "junior_secondary", "senior_secondary", "diploma", "university")
ADULT_EDUCATION_SHARES = np.array([0.04, 0.10, 0.22, 0.18, 0.32, 0.04, 0.10])
SECTORS = ("agriculture", "plantation", "fishery", "livestock", "forestry", "mining", "manufacturing",
           "construction", "trade", "transport", "services", "public_service")
_SECTOR_RURAL = np.log(np.array([18, 20, 6, 2, 3, 6, 4, 6, 14, 3, 13, 5], dtype=float))
_SECTOR_URBAN = np.log(np.array([3, 3, 3, 1, 0.5, 7, 8, 9, 28, 6, 24, 9], dtype=float))
_SECTOR_SLOPE = np.array([-0.5, -0.4, -0.4, -0.3, -0.3, 0.3, 0.0, 0.0, 0.1, 0.0, 0.1, 0.6])
DISABILITY = ("physical", "visual", "hearing_speech", "intellectual", "mental", "multiple")
_DISABILITY_SHARES = np.array([0.35, 0.2, 0.15, 0.1, 0.1, 0.1])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _pick(codes: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(codes).gather(idx)


def _quantile_cut(latent: np.ndarray, shares: np.ndarray) -> np.ndarray:
    cuts = np.quantile(latent, np.cumsum(shares)[:-1]) if latent.size else np.zeros(shares.size - 1)
    return np.searchsorted(cuts, latent, side="right")


def build_members(households: pl.DataFrame, year: int, rng: np.random.Generator) -> pl.DataFrame:
    """Member rows of every household (registry columns except health insurance, plus helper columns).

    Helper columns (dropped before output): ``household_index``, ``age``, ``education_level`` (0-6),
    ``sector_index`` (-1 when not working), ``enrolled``.
    """
    size = households["household_size"].to_numpy()
    latent = households["latent"].to_numpy()
    urban_h = households["urban"].to_numpy()
    n_h = size.size
    hh = np.repeat(np.arange(n_h), size)
    n = hh.size
    starts = np.concatenate(([0], np.cumsum(size)[:-1]))
    pos = np.arange(n) - starts[hh]
    w = latent[hh]

    head_age = np.clip(np.round(18 + rng.gamma(4.0, 6.5, n_h)), 18, 90).astype(np.int64)
    has_spouse = (size >= 2) & (rng.random(n_h) < 0.88)
    head_female = np.where(has_spouse, rng.random(n_h) < 0.03, rng.random(n_h) < 0.55)
    spouse_age = np.clip(head_age + np.round(np.where(head_female, 3, -4) + rng.normal(0, 4, n_h)), 18, 95)
    younger_parent = np.where(has_spouse, np.minimum(head_age, spouse_age), head_age).astype(np.int64)

    is_head = pos == 0
    is_spouse = (pos == 1) & has_spouse[hh]
    cum = np.cumsum(OTHER_RELATION_SHARES / OTHER_RELATION_SHARES.sum())
    rel = np.searchsorted(cum, rng.random(n), side="right")
    rel = np.where(is_head, 0, np.where(is_spouse, 1, rel))
    ha = head_age[hh]
    rel = np.where((rel == 4) & (ha < 40), 2, rel)
    rel = np.where((rel == 3) & (ha < 40), 6, rel)

    pa = younger_parent[hh]
    birth_age = 19 + rng.random(n) * 22
    child_age = pa - birth_age
    child_age = np.where(child_age < 0, rng.random(n) * np.maximum(pa - 16, 1), child_age)
    child_age = np.clip(np.floor(child_age), 0, np.maximum(pa - 15, 0))
    age = np.select(
        [rel == 0, rel == 1, rel == 2, rel == 3, rel == 4, rel == 5, rel == 6],
        [ha, spouse_age[hh], child_age, np.clip(pa - 25 + rng.normal(0, 5, n), 17, 60),
         np.floor(rng.random(n) * np.clip(ha - 38, 1, 18)), np.minimum(ha + 20 + np.floor(rng.random(n) * 15), 98),
         np.floor(rng.random(n) * 70)],
        default=15 + np.floor(rng.random(n) * 45),
    ).astype(np.int64)

    head_f = head_female[hh]
    female = np.where(rel == 0, head_f, np.where(rel == 1, ~head_f, rng.random(n) < 0.5))

    ref = dt.date(year, 3, 15)
    days = np.datetime64(ref, "D") - np.floor((age + 0.004 + rng.random(n) * 0.99) * 365.2425).astype(
        "timedelta64[D]"
    )
    birth = pl.Series("birth_date", days).cast(pl.Date)

    u_mar = rng.random(n)
    married_child = (rel == 2) | (rel == 4)
    marital = np.select(
        [
            (rel == 0) & has_spouse[hh],
            rel == 1,
            rel == 3,
            (rel == 0) & (age < 30),
            (rel == 0) & female,
            rel == 0,
            married_child & (u_mar < np.clip((age - 20) * 0.03, 0, 0.4)),
            married_child | (age < 18),
            rel == 5,
        ],
        [1, 1, 1, np.where(u_mar < 0.8, 0, 2), np.where(u_mar < 0.6, 3, np.where(u_mar < 0.9, 2, 0)),
         np.where(u_mar < 0.4, 0, np.where(u_mar < 0.7, 2, 3)), 1, 0, np.where(u_mar < 0.65, 3, 1)],
        default=np.where(u_mar < 0.5, 0, np.where(u_mar < 0.8, 1, np.where(u_mar < 0.9, 3, 2))),
    )

    # Schooling: adult latent first, then the school ladder for the young.
    adult_latent = 0.7 * w + 0.02 * (50 - age) + rng.normal(0, 0.7, n)
    adult = age >= 19
    edu = np.zeros(n, dtype=np.int64)
    edu[adult] = _quantile_cut(adult_latent[adult], ADULT_EDUCATION_SHARES)
    u = rng.random(n)
    p_enrol = np.select(
        [age < 5, age < 7, age < 13, age < 16, age < 19, age < 25],
        [np.zeros(n), np.full(n, 0.4), np.full(n, 0.985), _sigmoid(2.5 + 0.8 * w), _sigmoid(1.2 + 0.9 * w),
         _sigmoid(-1.3 + 0.9 * w)],
        default=np.zeros(n),
    )
    enrolled = u < p_enrol
    ladder = np.select([age < 7, age < 13, age < 16, age < 19], [0, 1, 2, 3], default=4)
    dropout_level = np.minimum(ladder, edu)
    edu = np.where(enrolled, ladder, np.where(age < 19, np.where(age < 10, 0, dropout_level), edu))
    edu = np.where(enrolled & (age >= 19) & (age < 25), 4, edu)
    enrol = np.where(enrolled, 1, np.where(age < 7, 0, np.where(edu == 0, 3, 2)))

    # Work.
    u_w = rng.random(n)
    working_age = (age >= 15) & ~enrolled
    p_work = np.where(female, 0.48, 0.86) * np.where(age >= 65, 0.5, 1.0)
    work = np.select(
        [enrolled & (age >= 5), age < 10, (age < 15) & (u_w < 0.08), age < 15,
         working_age & (u_w < p_work), working_age & (u_w < p_work + np.where(age >= 65, 0.0, 0.05)),
         working_age & female],
        [2, 4, 0, 4, 0, 1, 3],
        default=4,
    )
    workers = np.flatnonzero(work == 0)
    base = np.where(urban_h[hh[workers], None], _SECTOR_URBAN[None, :], _SECTOR_RURAL[None, :])
    logits = base + w[workers, None] * _SECTOR_SLOPE[None, :] + rng.gumbel(size=(workers.size, len(SECTORS)))
    sector = np.full(n, -1, dtype=np.int64)
    sector[workers] = np.argmax(logits, axis=1)

    disabled = rng.random(n) < 0.008 + 0.0015 * np.maximum(age - 45, 0)
    dis_type = np.searchsorted(np.cumsum(_DISABILITY_SHARES), rng.random(n), side="right").clip(0, 5)
    chronic = rng.random(n) < 0.03 + 0.004 * np.maximum(age - 35, 0)

    fam_count = len(family_names())
    hh_family = rng.integers(0, fam_count, n_h)
    own_family = rng.integers(0, fam_count, n)
    shares_family = (rel == 0) | (rel == 2) | (rel == 4)
    family_idx = np.where(shares_family, hh_family[hh], own_family)
    names = member_names(female, family_idx, rng)
    subdistrict = households["subdistrict_code"].gather(hh)
    niks = member_niks(subdistrict, birth, female, rng)

    hh_ids = households["household_id"].gather(hh)
    return pl.DataFrame({
        "household_id": hh_ids,
        "member_id": hh_ids + "-" + pl.Series(pos + 1).cast(pl.Utf8).str.zfill(2),
        "nik": niks,
        "name": names,
        "sex": _pick(("male", "female"), female.astype(np.int64)),
        "birth_date": birth,
        "relation_to_head": _pick(RELATIONS, rel),
        "marital_status": _pick(("never_married", "married", "divorced", "widowed"), marital),
        "education": _pick(EDUCATION, edu),
        "school_enrolment": _pick(("not_yet", "enrolled", "dropped_out", "never"), enrol),
        "work_status": _pick(("working", "unemployed", "in_school", "housekeeping", "not_working"), work),
        "work_sector": _pick((*SECTORS, "none"), np.where(sector < 0, len(SECTORS), sector)),
        "disability": _pick(("none", *DISABILITY), np.where(disabled, dis_type + 1, 0)),
        "chronic_illness": chronic,
        "household_index": hh,
        "age": age,
        "education_level": edu,
        "sector_index": sector,
        "enrolled": enrolled,
    })


def household_composition(members: pl.DataFrame, n_households: int) -> pl.DataFrame:
    """Per household (in household order): head education and sector, dependency ratio and member counts."""
    hh = members["household_index"].to_numpy()
    age = members["age"].to_numpy()
    head = members["relation_to_head"].to_numpy() == "head"
    size = np.bincount(hh, minlength=n_households)
    dependants = np.bincount(hh, weights=(age < 15) | (age >= 65), minlength=n_households)
    head_rows = np.flatnonzero(head)
    return pl.DataFrame({
        "head_education": members["education_level"].to_numpy()[head_rows],
        "head_sector": members["sector_index"].to_numpy()[head_rows],
        "head_female": members["sex"].to_numpy()[head_rows] == "female",
        "dependency_ratio": dependants / size,
        "children_under5": np.bincount(hh, weights=age < 5, minlength=n_households).astype(np.int64),
        "pupils": np.bincount(hh, weights=members["enrolled"].to_numpy() & (age >= 6), minlength=n_households)
        .astype(np.int64),
        "elderly": np.bincount(hh, weights=age >= 60, minlength=n_households).astype(np.int64),
        "disabled": np.bincount(hh, weights=members["disability"].to_numpy() != "none", minlength=n_households)
        .astype(np.int64),
    })


def health_insurance(members: pl.DataFrame, pbi_household: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """JKN status: PBI for members of PBI households (95 %), otherwise mostly contributory JKN or none."""
    hh = members["household_index"].to_numpy()
    n = hh.size
    u = rng.random(n)
    code = np.where(pbi_household[hh] & (u < 0.95), 0, np.where(u < 0.62, 1, np.where(u < 0.66, 2, 3)))
    return _pick(("pbi_jkn", "jkn_contributory", "other", "none"), code).alias("health_insurance")
