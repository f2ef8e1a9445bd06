"""Parametric bootstrap MSE of the empirical best predictor (González-Manteiga et al. 2008; Molina-Rao 2010).

Method, for B replicates b, from the fitted nested-error model (``beta``, ``s2u``, ``s2e``):

1. draw area effects ``u*_d ~ N(0, s2u)`` for every area (registry and sample areas) and unit errors
   ``e* ~ N(0, s2e)``, and build the bootstrap population ``y*_h = x_h' beta + u*_d + e*_h`` over the
   registry; its true FGT(alpha) of each area, ``F*_d``, is computed from ``y*`` directly;
2. the bootstrap sample: the survey households with ``y*_j = x_j' beta + u*_d + e*_j``. A survey household
   linked to a registry household *is* that household: both carry the same ``y*``. Unlinked survey households
   get their own errors (the sample is then drawn from the same superpopulation, as R's emdi does);
3. refit the model on the bootstrap sample (same method) and compute the EBP ``F^*_d`` exactly as for the
   estimate (closed-form expectations, observed welfare for linked households);
4. ``mse_d = mean_b (F^*_d - F*_d)^2``.

Steps 1 and 2 for the sample and the refits (small: the survey) run first, for all replicates; the registry
part then runs chunk by chunk (whole areas per chunk), all replicates at once per chunk, so memory is bounded
by the chunk, not the registry. Everything is vectorised over households; the only loops are over replicates
and chunks.

Reproducibility: the draws come from ``numpy.random.SeedSequence(seed)``: one child stream for the sample
and the refits, one per registry chunk. The same seed and the same chunking (``chunk_households``) give the
same MSEs; another chunking gives other (equally valid) draws.

Limits: the MSE is of the model-based EBP under the fitted model (it does not capture misspecification of
the model); survey weights play no part (as in the EBP); B = 50 gives MSEs whose own relative error is
about sqrt(2/B) = 20% per area (use more replicates for publication).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from entas.pockets.lognormal_fgt import household_fgt, observed_fgt
from entas.pockets.nested_error import Method, NestedErrorDesign, NestedErrorFit
from entas.progress import ProgressReporter, report

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Replicates:
    """The sample side of B bootstrap replicates, in registry-area order (``areas`` of ``replicate_models``).

    ``u_star`` (B x areas): the area effects of each bootstrap population; ``beta`` (B x p), ``shift`` and
    ``sd`` (B x areas): the refitted model's coefficients, predicted area effects and conditional SDs;
    ``sample_welfare`` (B x sampled households): the bootstrap welfare (rupiah) of the survey households.
    """

    u_star: FloatArray
    beta: FloatArray
    shift: FloatArray
    sd: FloatArray
    sample_welfare: FloatArray
    sigma_e: float

    @property
    def count(self) -> int:
        return int(self.beta.shape[0])


def replicate_models(
    design: NestedErrorDesign,
    fit: NestedErrorFit,
    areas: Sequence[str],
    *,
    replicates: int,
    method: Method,
    rng: np.random.Generator,
    progress: ProgressReporter | None = None,
) -> Replicates:
    """Steps 1-3 for the sample: bootstrap area effects, sample responses and refitted models (module docstring)."""
    registry_areas = list(areas)
    extra = sorted(set(design.areas) - set(registry_areas))
    everywhere = {a: i for i, a in enumerate([*registry_areas, *extra])}
    sample_area = np.array([everywhere[design.areas[i]] for i in design.index], dtype=np.intp)
    sigma_u, sigma_e = np.sqrt(fit.sigma2_u), np.sqrt(fit.sigma2_e)
    xb = design.x @ fit.beta
    u_star = rng.normal(0.0, sigma_u, size=(replicates, len(everywhere)))
    y_star = xb[None, :] + u_star[:, sample_area] + rng.normal(0.0, sigma_e, size=(replicates, len(xb)))
    betas, shifts, sds = [], [], []
    ratio = fit.sigma2_u / fit.sigma2_e
    for b in range(replicates):
        refit = design.fit(y_star[b], method=method, start=ratio)
        shift, sd = refit.area_terms(registry_areas)
        betas.append(refit.beta)
        shifts.append(shift)
        sds.append(sd)
        report(progress, "ebp bootstrap: refitting the model", b + 1, replicates)
    return Replicates(u_star=u_star[:, : len(registry_areas)], beta=np.array(betas), shift=np.array(shifts),
                      sd=np.array(sds), sample_welfare=np.exp(y_star), sigma_e=float(sigma_e))


def area_means(starts: IntArray, size: FloatArray, values: FloatArray, persons: FloatArray) -> FloatArray:
    """Person-weighted means per area of ``values`` (n x k) for rows sorted by area (``starts``: first rows)."""
    flat = values.reshape(values.shape[0], -1)
    sums = np.add.reduceat(flat * size[:, None], starts, axis=0)
    out: FloatArray = sums / persons[:, None]
    return out.reshape((len(starts), *values.shape[1:]))


@dataclass(frozen=True)
class Chunk:
    """Registry households of whole areas, sorted by area: what the estimate and the bootstrap need.

    ``area`` (n): index of each row's area within the chunk; ``starts``: first row of each area; ``x``
    (n x p, with the intercept column); ``size`` (n) persons; ``z`` (n x lines) lines in rupiah;
    ``sample_row`` (n): the row of the linked survey household, -1 when not linked; ``persons`` per area.
    """

    area: IntArray
    starts: IntArray
    x: FloatArray
    size: FloatArray
    z: FloatArray
    sample_row: IntArray
    persons: FloatArray


def chunk_squared_errors(
    chunk: Chunk, fit: NestedErrorFit, reps: Replicates, first_area: int, rng: np.random.Generator,
) -> FloatArray:
    """Step 4 for one chunk: ``sum_b (EBP*_d - F*_d)^2`` per area of the chunk, an array (areas, lines, 3)."""
    linked = chunk.sample_row >= 0
    rows = chunk.sample_row[linked]
    global_area = chunk.area + first_area
    xb_all = chunk.x @ np.column_stack([fit.beta, reps.beta.T])  # (n, 1 + B): population mean, then refits
    total = np.zeros((len(chunk.starts), chunk.z.shape[1], 3))
    for b in range(reps.count):
        y_star = xb_all[:, 0] + reps.u_star[b, global_area] + rng.normal(0.0, reps.sigma_e, size=len(chunk.area))
        welfare = np.exp(y_star)
        welfare[linked] = reps.sample_welfare[b, rows]
        truth = area_means(chunk.starts, chunk.size, observed_fgt(welfare[:, None], chunk.z), chunk.persons)
        observed = np.full(len(chunk.area), np.nan)
        observed[linked] = welfare[linked]
        mu = xb_all[:, b + 1] + reps.shift[b, global_area]
        predicted = household_fgt(mu, reps.sd[b, global_area], chunk.z, observed)
        ebp = area_means(chunk.starts, chunk.size, predicted, chunk.persons)
        total += (ebp - truth) ** 2
    return total
