"""Housing, assets and the consumption model of the synthetic province.

Method
------
Every housing and asset variable is an ordinal cut of ``latent + N(0, 1)`` (``latent`` from ``population``:
household welfare, village effect and urban/interior context) at the quantiles of its target shares, so the
provincial marginals are exact and the variables correlate with each other and with welfare as in Susenas.
Tenure, boats and land depend on urban/rural instead.

Consumption (rupiah per capita per month) follows

    log y = a_district + b * urban + 0.5 * X beta + village_effect + 0.2 * eta + e,   e ~ N(0, 0.45)

with ``X`` the covariates a registry also holds: log household size, dependency ratio, head's education and
sector, floor, wall and roof materials, drinking water, sanitation, lighting, cooking fuel, assets and log
floor area per capita. ``beta`` (log points, :data:`BETA`, halved by :data:`COVARIATE_SCALE`) are
plausible magnitudes, not estimates. The noise and ``eta`` make a proxy-means test (OLS of log y on X
with district and urban dummies) reach an R^2
of about 0.5. The intercepts ``a`` and ``b`` and a monotone reshaping are set by ``calibrate``.

:func:`pmt_design` builds the PMT design matrix from registry or survey columns (schema names only), so the
same function serves the tests and any downstream PMT fit.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from entas.synth.members import EDUCATION, SECTORS

FLOOR = ("earth", "bamboo", "wood_low", "cement_brick", "wood_high", "tile_terrazzo", "ceramic", "parquet")
FLOOR_SHARES = np.array([0.02, 0.02, 0.20, 0.18, 0.20, 0.08, 0.29, 0.01])
WALL = ("bamboo", "woven_bamboo", "log", "wood_board", "plastered_bamboo", "masonry")
WALL_SHARES = np.array([0.01, 0.02, 0.01, 0.38, 0.03, 0.55])
ROOF = ("thatch", "shingle", "zinc", "asbestos", "clay_tile", "concrete")
ROOF_SHARES = np.array([0.02, 0.04, 0.72, 0.08, 0.10, 0.04])
WATER = ("surface", "unprotected_spring", "rain", "unprotected_well", "protected_well", "protected_spring",
         "borehole", "piped", "bottled")
WATER_SHARES = np.array([0.05, 0.01, 0.05, 0.04, 0.06, 0.02, 0.10, 0.22, 0.45])
SANITATION = ("none", "public", "shared", "own")
SANITATION_SHARES = np.array([0.04, 0.03, 0.06, 0.87])
LIGHTING = ("none", "non_pln", "pln_unmetered", "pln_metered")
LIGHTING_SHARES = np.array([0.005, 0.03, 0.04, 0.925])
VA = np.array([450, 900, 1300, 2200, 3500, 5500])
VA_SHARES = np.array([0.18, 0.38, 0.26, 0.12, 0.04, 0.02])
FUEL = ("wood", "kerosene", "lpg", "electricity", "natural_gas")
FUEL_SHARES = np.array([0.06, 0.02, 0.84, 0.03, 0.05])
TENURE = ("own", "rented", "rent_free", "official", "other")
TENURE_URBAN = np.array([0.72, 0.17, 0.08, 0.02, 0.01])
TENURE_RURAL = np.array([0.86, 0.04, 0.07, 0.02, 0.01])
ASSET_SHARES = {"has_savings": 0.35, "has_refrigerator": 0.65, "has_motorcycle": 0.82, "has_car": 0.12}

BETA: dict[str, dict[str, float]] = {
    "education": dict(zip(EDUCATION, (-0.25, -0.18, -0.12, -0.06, 0.0, 0.15, 0.30), strict=True)),
    "sector": {**dict.fromkeys(SECTORS, 0.0), "agriculture": -0.10, "plantation": -0.06, "fishery": -0.08,
               "livestock": -0.06, "forestry": -0.08, "mining": 0.10, "public_service": 0.15, "none": -0.05},
    "floor_type": dict(zip(FLOOR, (-0.20, -0.15, -0.10, 0.0, 0.02, 0.05, 0.12, 0.12), strict=True)),
    "wall_type": dict(zip(WALL, (-0.10, -0.10, -0.08, -0.04, -0.02, 0.05), strict=True)),
    "roof_type": dict(zip(ROOF, (-0.10, -0.03, 0.0, 0.0, 0.03, 0.08), strict=True)),
    "drinking_water": dict(zip(WATER, (-0.10, -0.10, -0.05, -0.06, -0.03, -0.03, 0.0, 0.04, 0.08), strict=True)),
    "sanitation": dict(zip(SANITATION, (-0.12, -0.08, -0.05, 0.0), strict=True)),
    "lighting": dict(zip(LIGHTING, (-0.15, -0.08, -0.05, 0.0), strict=True)),
    "cooking_fuel": dict(zip(FUEL, (-0.12, -0.06, 0.0, 0.10, 0.05), strict=True)),
    "asset": {"has_savings": 0.10, "has_refrigerator": 0.10, "has_motorcycle": 0.08, "has_car": 0.25,
              "has_boat": 0.0, "has_land": 0.03},
    "scalar": {"log_size": -0.30, "dependency_ratio": -0.25, "log_area_pc": 0.15},
}
NOISE_SD = 0.45
ETA_LOADING = 0.2
COVARIATE_SCALE = 0.5
"""Tuned so a PMT (OLS with district and urban dummies) reaches R^2 about 0.5 at scale 1."""


def _cut(latent: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = latent + rng.normal(0.0, 1.0, latent.size)
    cuts = np.quantile(noisy, np.cumsum(shares)[:-1])
    return np.searchsorted(cuts, noisy, side="right")


def _pick(codes: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(codes).gather(idx)


def housing(households: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Housing and asset columns (schema names and codes), one row per household in order."""
    latent = households["latent"].to_numpy()
    urban = households["urban"].to_numpy()
    size = households["household_size"].to_numpy()
    city = households["district_code"].is_in(["64.71", "64.72", "64.74"]).to_numpy()
    n = latent.size
    lighting = _cut(latent, LIGHTING_SHARES, rng)
    va = np.where(lighting == 3, VA[_cut(latent, VA_SHARES, rng)], 0)
    fuel = _cut(latent, FUEL_SHARES, rng)
    fuel = np.where((fuel == 4) & ~city, 2, fuel)
    u = rng.random(n)
    tenure = np.where(urban, np.searchsorted(np.cumsum(TENURE_URBAN), u, side="right"),
                      np.searchsorted(np.cumsum(TENURE_RURAL), u, side="right")).clip(0, 4)
    area = np.exp(3.65 + 0.2 * latent + 0.25 * np.log(size) + rng.normal(0.0, 0.35, n))
    columns: dict[str, pl.Series | np.ndarray] = {
        "house_ownership": _pick(TENURE, tenure),
        "floor_area_m2": np.round(np.clip(area, 9, 600)),
        "floor_type": _pick(FLOOR, _cut(latent, FLOOR_SHARES, rng)),
        "wall_type": _pick(WALL, _cut(latent, WALL_SHARES, rng)),
        "roof_type": _pick(ROOF, _cut(latent, ROOF_SHARES, rng)),
        "drinking_water": _pick(WATER, _cut(latent, WATER_SHARES, rng)),
        "sanitation": _pick(SANITATION, _cut(latent, SANITATION_SHARES, rng)),
        "lighting": _pick(LIGHTING, lighting),
        "electricity_va": va.astype(np.int64),
        "cooking_fuel": _pick(FUEL, fuel),
    }
    for name, share in ASSET_SHARES.items():
        columns[name] = _cut(latent, np.array([1 - share, share]), rng) == 1
    columns["has_boat"] = rng.random(n) < np.where(urban, 0.01, 0.08)
    columns["has_land"] = rng.random(n) < np.where(urban, 0.12, 0.45)
    return pl.DataFrame(columns)


def _effects(frame: pl.DataFrame, column: str, table: dict[str, float]) -> np.ndarray:
    return frame[column].replace_strict(table, return_dtype=pl.Float64).to_numpy()


def covariate_index(households: pl.DataFrame, composition: pl.DataFrame) -> np.ndarray:
    """``0.5 * X beta`` of every household (log points) from its housing, assets and composition."""
    scalar = BETA["scalar"]
    head_sector = composition["head_sector"].to_numpy()
    sector_names = pl.Series([*SECTORS, "none"]).gather(np.where(head_sector < 0, len(SECTORS), head_sector))
    size = households["household_size"].to_numpy()
    xb = (
        scalar["log_size"] * np.log(size)
        + scalar["dependency_ratio"] * composition["dependency_ratio"].to_numpy()
        + scalar["log_area_pc"] * np.log(households["floor_area_m2"].to_numpy() / size)
        + pl.Series(EDUCATION).gather(composition["head_education"].to_numpy())
        .replace_strict(BETA["education"], return_dtype=pl.Float64).to_numpy()
        + sector_names.replace_strict(BETA["sector"], return_dtype=pl.Float64).to_numpy()
    )
    for column in ("floor_type", "wall_type", "roof_type", "drinking_water", "sanitation", "lighting", "cooking_fuel"):
        xb = xb + _effects(households, column, BETA[column])
    for asset, beta in BETA["asset"].items():
        xb = xb + beta * households[asset].to_numpy()
    return np.asarray(COVARIATE_SCALE * xb)


def consumption_core(households: pl.DataFrame, xb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``log y`` without the district intercept and urban effect: ``0.5 X beta + v + 0.2 eta + e``."""
    noise = rng.normal(0.0, NOISE_SD, xb.size)
    return np.asarray(xb + households["village_effect"].to_numpy() + ETA_LOADING * households["eta"].to_numpy() + noise)


def pmt_design(
    households: pl.DataFrame, members: pl.DataFrame, reference: dt.date
) -> tuple[np.ndarray, list[str]]:
    """PMT design matrix (intercept, dummies, scalars) from schema columns of households and their members.

    Works on registry or survey tables alike: members are matched on ``household_id``; the head's education
    and sector and the dependency ratio (members under 15 or 65+ at ``reference``, the survey or registry
    reference date) come from the members; district and urban dummies are used when the household table has
    ``district_code`` / ``urban`` columns.
    """
    age = (pl.lit(reference) - pl.col("birth_date")).dt.total_days() / 365.2425
    per_hh = members.with_columns(age_=age).group_by("household_id").agg(
        dependency_ratio=((pl.col("age_") < 15) | (pl.col("age_") >= 65)).mean(),
        head_education=pl.col("education").filter(pl.col("relation_to_head") == "head").first(),
        head_sector=pl.col("work_sector").filter(pl.col("relation_to_head") == "head").first(),
    )
    frame = households.join(per_hh, on="household_id", how="left", maintain_order="left")
    names: list[str] = ["intercept"]
    cols: list[np.ndarray] = [np.ones(frame.height)]
    categorical = {
        "district_code": None, "head_education": EDUCATION, "head_sector": (*SECTORS, "none"), "floor_type": FLOOR,
        "wall_type": WALL, "roof_type": ROOF, "drinking_water": WATER, "sanitation": SANITATION,
        "lighting": LIGHTING, "cooking_fuel": FUEL,
    }
    for column, levels in categorical.items():
        if column not in frame.columns:
            continue
        values = frame[column].to_numpy()
        present = sorted(set(values.tolist())) if levels is None else [lv for lv in levels if lv in set(values)]
        for level in present[1:]:
            names.append(f"{column}={level}")
            cols.append((values == level).astype(np.float64))
    size = frame["household_size"].to_numpy().astype(np.float64)
    scalars = {
        "urban": frame["urban"].to_numpy().astype(np.float64) if "urban" in frame.columns else None,
        "log_size": np.log(size),
        "dependency_ratio": frame["dependency_ratio"].to_numpy().astype(np.float64),
        "log_area_pc": np.log(frame["floor_area_m2"].to_numpy() / size),
    }
    for name, values in scalars.items():
        if values is not None:
            names.append(name)
            cols.append(values)
    for asset in BETA["asset"]:
        names.append(asset)
        cols.append(frame[asset].to_numpy().astype(np.float64))
    return np.column_stack(cols), names


def ols_fit(design: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(Weighted) least squares: coefficients and R^2 (weighted when weights are given)."""
    w = np.ones(y.size) if weights is None else weights
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
    resid = y - design @ coef
    mean = np.average(y, weights=w)
    r2 = 1.0 - float(np.sum(w * resid**2) / np.sum(w * (y - mean) ** 2))
    return coef, r2
