"""The dashboard's pages (server-rendered, at ``/`` of the API app) and who may open each.

- ``/``: the province overview (headline rates with 95% CI, district map, trend, districts, the public
  ledger counts with small cells suppressed): everyone; the only page for a visitor who is not signed in;
- ``/area/64.02``, ``/area/64.02.01``, ``/area/64.02.01.2001``: drill-down to a district, subdistrict
  (*kecamatan*) and village (*desa/kelurahan*): signed in;
- ``/pockets?area=``: pockets of extreme poverty (*kantong kemiskinan*): signed in;
- ``/plan?area=``: spend by strategy, funder and program, the least budget, the path to 2026: signed in;
- ``/progress``: coverage by strategy, untouched extreme poor, duplicates, progress to 2026: roles that
  monitor, in their scope;
- ``/households?q=`` and ``/household/{id}``: search and household page: roles that read households, in
  their scope, masked as the role requires;
- ``/login``, ``/logout``: everyone.

Area, pocket and plan pages show estimates and plan totals (no personal data) to every signed-in role except
``public``; a visitor who is not signed in is sent to the login page. Ledger figures and households are read
**only through the data-access layer** (``OpsStore.access(principal)``): scope, masking and audit are its
job, and a household outside the caller's scope is "not found", word for word as a missing one.

Routes are plain Starlette routes (not API operations): they are not in the OpenAPI spec and
``entas.api.app.api_routes`` does not list them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

import polars as pl
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from entas.errors import NotFoundError, OpsError, PermissionDeniedError
from entas.ledger import coverage, duplicates, extreme_poor, progress, public_aggregates, untouched
from entas.ops.accounts import authenticate
from entas.ops.principal import Capability, Principal, Role
from entas.programs.catalog import STRATEGIES
from entas.report.charts import plan_chart, simulation_chart, trend_chart
from entas.report.i18n import translator
from entas.report.maps import area_map
from entas.report.sections import AreaReport, report_areas
from entas.web.assets import asset
from entas.web.data import AreaPlace, Dashboard, children, find_area
from entas.web.render import page
from entas.web.session import anonymous, clear_session, language, safe_next, start_session, state_of, viewer

Handler = Callable[[Request], Response]
LIST_ROWS = 50
"""Rows shown in the pockets, untouched and search lists (the by-name list in Excel has them all)."""
AREA_POCKETS = 10
"""Pockets listed on an area page (the pockets page lists ``LIST_ROWS``)."""
__all__ = ["web_router"]


class _SignInRequiredError(Exception):
    """The page needs a signed-in user: go to the login page and come back."""


def _names(report: AreaReport) -> dict[str, str]:
    return dict(report.inputs.areas.select("code", "name").iter_rows())


class Pages:
    """The page handlers, sharing one ``Dashboard`` (the report inputs of the app's home)."""

    def __init__(self) -> None:
        self.dashboard = Dashboard()

    # -- plumbing ------------------------------------------------------------------------------------------

    @staticmethod
    def guarded(handler: Handler) -> Handler:
        """Turn the domain's refusals into pages: sign in (303), not found (404), not allowed (403)."""

        @wraps(handler)
        def run(request: Request) -> Response:
            lang, remember = language(request)
            try:
                return handler(request)
            except _SignInRequiredError:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            except NotFoundError:
                return page(request, "error.html.j2", lang=lang, remember=remember, who=viewer(request),
                            status_code=404, kind="not_found")
            except PermissionDeniedError:
                return page(request, "error.html.j2", lang=lang, remember=remember, who=viewer(request),
                            status_code=403, kind="denied")

        return run

    @staticmethod
    def member(request: Request) -> Principal:
        """The signed-in principal (any role but ``public``), or a redirect to the login page."""
        who = viewer(request)
        if who is None:
            raise _SignInRequiredError
        if who.role is Role.public:
            raise PermissionDeniedError("the public role sees the province overview only")
        return who

    def render(self, request: Request, template: str, who: Principal | None, **context: Any) -> Response:
        lang, remember = language(request)
        return page(request, template, lang=lang, remember=remember, who=who, **context)

    def report(self, request: Request, code: str | None = None) -> AreaReport:
        home = state_of(request).store.home
        inputs = self.dashboard.inputs(home)
        return self.dashboard.report(home, code or inputs.province)

    def district_choice(self, request: Request) -> tuple[AreaReport, list[tuple[str, str]]]:
        """The province's or the ``?area=`` district's brief, and the districts to choose from."""
        province = self.report(request)
        asked = request.query_params.get("area") or province.code
        place = find_area(province.inputs, asked)
        if place.level not in ("province", "district"):
            raise NotFoundError(f"area {place.code!r} is not the province or a district")
        names = _names(province)
        choices = [(code, names.get(code, code)) for code in report_areas(province.inputs)[1:]]
        return self.report(request, place.code), choices

    # -- overview and drill-down ----------------------------------------------------------------------------

    def overview(self, request: Request) -> Response:
        """``/``: the province's headline, map, trend and districts; the public ledger counts (suppressed)."""
        who = viewer(request)
        lang, _remember = language(request)
        report = self.report(request)
        sections = report.sections
        figures = self.figures(report, lang)
        districts = self.district_rows(report)
        state = state_of(request)
        public = anonymous() if who is None else who
        poor = extreme_poor(state.store)
        counts = public_aggregates(state.store.access(public), level="district", k=state.public_k,
                                   extreme=poor.households)
        return self.render(request, "overview.html.j2", who, report=report, s=sections, figures=figures,
                           districts=districts, counts=counts, k=state.public_k, basis=poor.basis,
                           names=_names(report), map_kind=self.map_kind(report))

    @staticmethod
    def map_kind(report: AreaReport) -> str:
        geometry = report.inputs.geometry or {}
        return "boundaries" if geometry.get("features") else "schematic"

    @staticmethod
    def figures(report: AreaReport, lang: str, values: pl.DataFrame | None = None) -> dict[str, Any]:
        """Trend and map of a brief (``values``: other map rows, e.g. one subdistrict's villages)."""
        gettext = translator(lang).gettext
        figures: dict[str, Any] = {}
        trend = report.sections["trend"].data
        if values is None:
            figures["trend"] = trend_chart(trend["published"], trend["survey"], lang, gettext)
        if report.sections["map"].available:
            data = report.sections["map"].data
            shown = data["values"] if values is None else values
            if shown.height:
                figures["map"], _info = area_map(shown, level=data["level"], geometry=report.inputs.geometry,
                                                 names=_names(report), lang=lang, _=gettext)
        return figures

    @staticmethod
    def district_rows(report: AreaReport) -> list[dict[str, Any]]:
        """Per district: the small-area extreme rate (map) and the survey's national-line rate with its CI."""
        inputs = report.inputs
        names = _names(report)
        frame = pl.DataFrame({"code": report_areas(inputs)[1:]})
        if report.sections["map"].available:
            frame = frame.join(report.sections["map"].data["values"].select("code", extreme="estimate",
                                                                             persons="persons"), on="code", how="left")
        else:
            frame = frame.with_columns(extreme=pl.lit(None, pl.Float64), persons=pl.lit(None, pl.Float64))
        survey = inputs.survey
        if survey is not None and survey.poverty is not None:
            national = survey.poverty.filter((pl.col("line") == "national") & (pl.col("measure") == "headcount_ratio"))
            frame = frame.join(national.select(code="area", rate="estimate", ci_low="ci_low", ci_high="ci_high"),
                               on="code", how="left")
        else:
            frame = frame.with_columns(rate=pl.lit(None, pl.Float64), ci_low=pl.lit(None, pl.Float64),
                                       ci_high=pl.lit(None, pl.Float64))
        return [{**row, "name": names.get(row["code"], row["code"])} for row in frame.to_dicts()]

    def area(self, request: Request) -> Response:
        """``/area/{code}``: a district, subdistrict or village of the province (the province goes to ``/``)."""
        who = self.member(request)
        lang, _remember = language(request)
        province = self.report(request)
        place = find_area(province.inputs, str(request.path_params["code"]))
        if place.level == "province":
            return RedirectResponse("/", status_code=303)
        assert place.district is not None
        district = self.report(request, place.district)
        villages = district.sections["map"].data["values"] if district.sections["map"].available else None
        context: dict[str, Any] = {"place": place, "report": district, "s": district.sections,
                                   "names": _names(province), "map_kind": self.map_kind(district),
                                   "children": None, "village": None, "pockets": None}
        if place.level == "district":
            figures = self.figures(district, lang)
        elif place.level == "subdistrict":
            shown = villages.filter(pl.col("parent") == place.code) if villages is not None else None
            figures = self.figures(district, lang, shown) if shown is not None else {}
        else:
            figures = {}
            if villages is not None:
                hit = villages.filter(pl.col("code") == place.code).to_dicts()
                context["village"] = hit[0] if hit else None
        if villages is not None and place.level in ("district", "subdistrict"):
            context["children"] = children(villages, place)
        context["pockets"] = self.pocket_rows(district, place, AREA_POCKETS)
        return self.render(request, "area.html.j2", who, figures=figures, **context)

    @staticmethod
    def pocket_rows(report: AreaReport, place: AreaPlace, limit: int = LIST_ROWS) -> pl.DataFrame | None:
        """Pockets of the pockets snapshot that lie in ``place`` (ranked), or None without the snapshot."""
        pockets = report.inputs.snapshots.get("pockets")
        if pockets is None:
            return None
        table = pockets.tables["pockets"]
        inside = (pl.col("area_code") == place.code) | pl.col("area_code").str.starts_with(f"{place.code}.")
        return table.filter(inside).sort("rank").head(limit)

    # -- pockets and plan -----------------------------------------------------------------------------------

    def pockets(self, request: Request) -> Response:
        """``/pockets``: the places with the most estimated extremely poor persons (province or a district)."""
        who = self.member(request)
        report, choices = self.district_choice(request)
        place = find_area(report.inputs, report.code)
        return self.render(request, "pockets.html.j2", who, report=report, s=report.sections, choices=choices,
                           top=self.pocket_rows(report, place), limit=LIST_ROWS)

    def plan(self, request: Request) -> Response:
        """``/plan``: spend by strategy, funder and program, the least budget, and the simulated path to 2026."""
        who = self.member(request)
        lang, _remember = language(request)
        report, choices = self.district_choice(request)
        gettext = translator(lang).gettext
        figures: dict[str, Any] = {}
        plan = report.sections["plan"]
        if plan.available and plan.data["households"]:
            figures["plan"] = plan_chart(plan.data["by_strategy"], plan.data["by_funder"], lang, gettext)
        simulation = report.sections["simulation"]
        if simulation.available and simulation.data["path"].height:
            figures["simulation"] = simulation_chart(simulation.data["path"], lang, gettext)
        least = self.dashboard.least_budget(state_of(request).store.home)
        if least is not None and report.level == "district":
            least = least.filter(pl.col("district_code") == report.code)
        return self.render(request, "plan.html.j2", who, report=report, s=report.sections, choices=choices,
                           figures=figures, least=least, names=_names(report))

    # -- ledger: progress and households (through the access layer) ----------------------------------------

    def progress(self, request: Request) -> Response:
        """``/progress``: monitoring in the caller's scope (coverage, untouched, duplicates, progress to 2026)."""
        who = self.member(request)
        store = state_of(request).store
        access = store.access(who)
        access.require(Capability.monitor)
        poor = extreme_poor(store)
        by_area = progress(access, level="district", extreme=poor.households)
        overall = progress(access, level="province", extreme=poor.households)
        covered = coverage(access, level="district", extreme=poor.households)
        wide = covered.pivot(on="strategy", index=["area", "extreme_poor"], values="coverage").sort("area")
        left = untouched(access, extreme=poor.households)
        doubled = duplicates(access, period="quarter")
        return self.render(request, "progress.html.j2", who, basis=poor.basis, by_area=by_area, overall=overall,
                           coverage=wide, strategies=[*STRATEGIES, "any"], untouched=left.head(LIST_ROWS),
                           untouched_total=left.height, duplicates=doubled.head(LIST_ROWS),
                           duplicates_total=doubled.height, names=_names(self.report(request)),
                           can_open=who.can(Capability.read_households), limit=LIST_ROWS)

    def households(self, request: Request) -> Response:
        """``/households?q=&area=``: search households in scope (id; name or NIK only for roles that see them)."""
        who = self.member(request)
        query = (request.query_params.get("q") or "").strip()[:100] or None
        area = (request.query_params.get("area") or "").strip()[:20] or None
        found = state_of(request).store.access(who).search_households(area=area, query=query, limit=LIST_ROWS)
        return self.render(request, "households.html.j2", who, found=found, query=query or "", area=area or "",
                           names=_names(self.report(request)), limit=LIST_ROWS)

    def household(self, request: Request) -> Response:
        """``/household/{id}``: one household as the access layer returns it for this role (masked, audited)."""
        who = self.member(request)
        household_id = str(request.path_params["household_id"])[:64]
        detail = state_of(request).store.access(who).household(household_id)
        return self.render(request, "household.html.j2", who, detail=detail, names=_names(self.report(request)))

    # -- sign in and out ------------------------------------------------------------------------------------

    def login_form(self, request: Request) -> Response:
        """``GET /login``: the form (or, when signed in, who you are and a sign-out button)."""
        return self.render(request, "login.html.j2", viewer(request), failed=False,
                           next=safe_next(request.query_params.get("next")))

    async def login(self, request: Request) -> Response:
        """``POST /login``: check the password (argon2, as the API) and put the API's token in the cookie."""
        form = await request.form()
        name, password = str(form.get("username") or ""), str(form.get("password") or "")
        target = safe_next(str(form.get("next") or "/"))
        state = state_of(request)
        try:
            principal = await run_in_threadpool(authenticate, state.store, name, password)
        except OpsError:
            lang, remember = language(request)
            return page(request, "login.html.j2", lang=lang, remember=remember, who=None, status_code=401,
                        failed=True, next=target)
        token, seconds = state.tokens.issue(principal)
        response = RedirectResponse(target, status_code=303)
        start_session(response, request, token, seconds)
        return response

    async def logout(self, request: Request) -> Response:
        """``POST /logout``: drop the session cookie and go to the overview."""
        response = RedirectResponse("/", status_code=303)
        clear_session(response, request)
        return response


def web_router() -> APIRouter:
    """The dashboard's routes, to include in the API app (``app.include_router(web_router())``)."""
    pages = Pages()
    router = APIRouter()
    for path, handler in (("/", pages.overview), ("/area/{code}", pages.area), ("/pockets", pages.pockets),
                          ("/plan", pages.plan), ("/progress", pages.progress), ("/households", pages.households),
                          ("/household/{household_id}", pages.household), ("/login", pages.login_form)):
        router.add_route(path, Pages.guarded(handler), methods=["GET"], include_in_schema=False)
    router.add_route("/login", pages.login, methods=["POST"], include_in_schema=False)
    router.add_route("/logout", pages.logout, methods=["POST"], include_in_schema=False)
    router.add_route("/static/{name}", asset, methods=["GET"], include_in_schema=False)
    return router

