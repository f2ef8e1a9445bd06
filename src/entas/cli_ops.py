"""``entas db|users|ledger``: the operations store as a data administrator runs it from a terminal.

A face: it parses, opens the store (``ENTAS_DATABASE_URL`` or ``<home>/ops.sqlite``), calls ``entas.ops`` and
``entas.ledger`` through the data-access layer, and renders. Whoever runs these commands holds the database
itself, so they act as the local administrator (audited as ``local-admin:<login>``) unless ``--user NAME``
names a registered user to act as (with that user's role, scope and stakeholder). Passwords are read from a
hidden prompt or ``--password-stdin``, never from an argument.
"""

from __future__ import annotations

import getpass
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer

from entas.cli_support import FormatOption, HomeOption, OutputFormat, entas_home, render, run_guarded, stderr
from entas.errors import EntasError
from entas.ops.roles import Role

if TYPE_CHECKING:
    from entas.ops import Access

db_app = typer.Typer(help="The operations database: create or upgrade its tables.", no_args_is_help=True)
users_app = typer.Typer(help="Users of the operations store: add and list.", no_args_is_help=True)
ledger_app = typer.Typer(help="The ledger: stakeholders, plans, delivery reports, monitoring.", no_args_is_help=True)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", help="SQLAlchemy URL (default: $ENTAS_DATABASE_URL or HOME/ops.sqlite).")]
UserOption = Annotated[str | None, typer.Option("--user", help="Act as this registered user (default: local admin).")]


class LevelOption(StrEnum):
    province = "province"
    district = "district"
    subdistrict = "subdistrict"
    village = "village"


class ReportOption(StrEnum):
    coverage = "coverage"
    untouched = "untouched"
    duplicates = "duplicates"
    graduation = "graduation"
    progress = "progress"
    public = "public"


def _access(home: Path | None, url: str | None, user: str | None = None) -> Access:
    from entas.ops import OpsStore, Principal
    from entas.ops.accounts import principal_of

    store = OpsStore.open(entas_home(home), url)
    principal = principal_of(store, user) if user else Principal.local_admin(f"local-admin:{_login()}")
    return store.access(principal)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        return "unknown"


@db_app.command("upgrade")
def db_upgrade(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Create or migrate the operations tables to the newest revision (safe to run again)."""
    from entas.ops.database import database_url as resolve
    from entas.ops.database import describe_url, open_engine, upgrade

    url = resolve(entas_home(home), database_url)
    revision = run_guarded(lambda: upgrade(open_engine(url)))
    stderr.print(f"database {describe_url(url)} at revision {revision}")


@db_app.command("status")
def db_status(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Show the database's revision and the newest one this entas ships."""
    from entas.ops.database import current_revision, describe_url, head_revision, open_engine
    from entas.ops.database import database_url as resolve

    url = resolve(entas_home(home), database_url)
    current = run_guarded(lambda: current_revision(open_engine(url)))
    state = "up to date" if current == head_revision() else "run `entas db upgrade`"
    typer.echo(f"{describe_url(url)}: revision {current or '(none)'}, newest {head_revision()} ({state})")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (sign-in name).")],
    role: Annotated[Role, typer.Option(help="Role (see docs/operations.md).")],
    area: Annotated[list[str] | None, typer.Option(help="District or village code; repeat for several.")] = None,
    stakeholder: Annotated[str | None, typer.Option(help="Stakeholder identifier (partners only).")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from the first line of stdin.")] = False,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add a user; the password is prompted for (hidden, twice) or read from stdin."""
    from entas.ops.accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    access = run_guarded(lambda: _access(home, database_url))
    user = run_guarded(lambda: add_user(access, name, password, role.value, areas=area or (),
                                        stakeholder=stakeholder))
    stderr.print(f"user {user['name']} added ({user['role']}{', ' + str(user['areas']) if user['areas'] else ''})")


@users_app.command("list")
def users_list(home: HomeOption = None, database_url: DatabaseOption = None, fmt: FormatOption = OutputFormat.table,
               ) -> None:
    """List users with their role, areas and stakeholder."""
    from entas.ops.accounts import list_users

    access = run_guarded(lambda: _access(home, database_url))
    render(run_guarded(lambda: list_users(access)), fmt, title="Users")


@ledger_app.command("stakeholder-add")
def stakeholder_add(
    identifier: Annotated[str, typer.Argument(help="Unique identifier (IATI organisation id or a local one).")],
    name: Annotated[str, typer.Option(help="Organisation name.")],
    kind: Annotated[str, typer.Option(help="government_agency, village, company, ngo or community_group.")],
    funder_type: Annotated[str, typer.Option(help="state_budget, provincial_budget, district_budget, "
                                                  "village_fund, csr or other.")],
    area: Annotated[str | None, typer.Option(help="Home area code of the organisation.")] = None,
    implements: Annotated[bool, typer.Option(help="Delivers to households (implementing organisation).")] = True,
    reports: Annotated[bool, typer.Option(help="Reports deliveries (reporting organisation).")] = True,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Register a stakeholder (OPD, village, CSR company, NGO, community group)."""
    from entas.ops.accounts import add_stakeholder

    access = run_guarded(lambda: _access(home, database_url))
    added = run_guarded(lambda: add_stakeholder(access, identifier, name, kind, funder_type, area_code=area,
                                                implements=implements, reports=reports))
    stderr.print(f"stakeholder {added['identifier']} added")


@ledger_app.command("stakeholders")
def stakeholders(home: HomeOption = None, database_url: DatabaseOption = None,
                 fmt: FormatOption = OutputFormat.table) -> None:
    """List the stakeholders."""
    from entas.ops.accounts import list_stakeholders

    access = run_guarded(lambda: _access(home, database_url))
    render(run_guarded(lambda: list_stakeholders(access)), fmt, title="Stakeholders")


export_app = typer.Typer(help="By-name lists for the people who deliver, through the role- and area-scoped "
                                "access layer.", no_args_is_help=True)


@export_app.command("list")
def export_list(
    out: Annotated[Path, typer.Option(help="Folder for the lists (one file per stakeholder and district).")],
    area: Annotated[str | None, typer.Option(help="Only households under this area code.")] = None,
    program: Annotated[str | None, typer.Option(help="Only this program.")] = None,
    plan: Annotated[str | None, typer.Option(help="Only this plan id.")] = None,
    list_format: Annotated[str, typer.Option("--format", help="xlsx (default), csv or parquet.")] = "xlsx",
    user: UserOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write the imported plan's by-name lists as the user may see them: NIK and names masked unless the
    user's role allows them, only the user's area (or a partner's assigned households); every read audited."""
    from entas.plan.lists import write_lists

    access = run_guarded(lambda: _access(home, database_url, user))
    rows = run_guarded(lambda: access.by_name_list(area=area, program=program, plan_id=plan))
    if rows.height == 0:
        stderr.print("no plan items in scope: import a plan with `entas ledger plan-import` (and check --area, "
                     "--program, --user)")
        raise typer.Exit(code=2)
    frame = rows.with_columns(district_code=pl.col("village_code").str.slice(0, 5),
                              stakeholder=pl.col("stakeholder").fill_null("unassigned"))
    written = run_guarded(lambda: write_lists(frame, out, fmt=list_format))  # type: ignore[arg-type]
    render(written, OutputFormat.table, title=f"By-name lists ({rows.height:,} rows) under {out}")


@ledger_app.command("plan-import")
def plan_import(
    file: Annotated[Path | None, typer.Argument(
        help="Planning output (Parquet or CSV); default: the current `entas plan` snapshot.")] = None,
    user: UserOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Import a plan (one row per household and program); the same plan again changes nothing."""
    from entas.ledger.plans import import_plan, import_plan_snapshot

    access = run_guarded(lambda: _access(home, database_url, user))
    if file is None:
        result = run_guarded(lambda: import_plan_snapshot(access))
        source = "the current plan snapshot"
    else:
        chosen = file
        result = run_guarded(lambda: import_plan(access, chosen))
        source = file.name
    render(result.plans, fmt, title=f"Plans in {source}: {result.items:,} items")


@ledger_app.command("assign")
def assign_command(
    stakeholder: Annotated[str, typer.Argument(help="Stakeholder identifier to assign to.")],
    program: Annotated[str | None, typer.Option(help="Only items of this program.")] = None,
    area: Annotated[str | None, typer.Option(help="Only items under this area code.")] = None,
    plan: Annotated[str | None, typer.Option(help="Only items of this plan id.")] = None,
    reassign: Annotated[bool, typer.Option(help="Also take items assigned to another stakeholder.")] = False,
    user: UserOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Assign plan items (by program, area, plan) to a stakeholder."""
    from entas.ledger.plans import assign

    access = run_guarded(lambda: _access(home, database_url, user))
    count = run_guarded(lambda: assign(access, stakeholder, program=program, area=area, plan_id=plan,
                                       reassign=reassign))
    stderr.print(f"{count:,} plan items assigned to {stakeholder}")


@ledger_app.command("import")
def ledger_import(
    file: Annotated[Path, typer.Argument(help="Delivery report (CSV or Excel).")],
    stakeholder: Annotated[str | None, typer.Option(help="Stakeholder of rows without one.")] = None,
    user: UserOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Validate and store a delivery report: rows stored, unchanged (re-import) or rejected with reasons."""
    from entas.ledger.deliveries import import_deliveries

    access = run_guarded(lambda: _access(home, database_url, user))
    result = run_guarded(lambda: import_deliveries(access, file, stakeholder=stakeholder))
    render(result.counts(), fmt, title="Delivery report (read = stored + unchanged + rejected)")
    if result.rejects_path is not None:
        stderr.print(f"rejected rows with reasons: {result.rejects_path}")


@ledger_app.command("status")
def ledger_status(
    report: Annotated[ReportOption, typer.Option(help="Which monitoring table.")] = ReportOption.coverage,
    level: Annotated[LevelOption, typer.Option(help="Area level of the rows.")] = LevelOption.district,
    k: Annotated[int, typer.Option(help="Small-cell threshold of the public table.")] = 10,
    user: UserOption = None,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Monitoring: coverage by strategy, untouched households, duplicates, graduation, progress, public."""
    from entas.ledger import monitor
    from entas.ledger.public import public_aggregates

    access = run_guarded(lambda: _access(home, database_url, user))
    basis = run_guarded(lambda: monitor.extreme_poor(access.store).basis)

    def table() -> pl.DataFrame:
        lv = level.value
        match report:
            case ReportOption.coverage:
                return monitor.coverage(access, level=lv)  # type: ignore[arg-type]
            case ReportOption.untouched:
                return monitor.untouched(access)
            case ReportOption.duplicates:
                return monitor.duplicates(access)
            case ReportOption.graduation:
                return monitor.graduation(access, level=lv)  # type: ignore[arg-type]
            case ReportOption.progress:
                return monitor.progress(access, level=lv)  # type: ignore[arg-type]
            case ReportOption.public:
                return public_aggregates(access, level=lv, k=k)  # type: ignore[arg-type]
        raise EntasError(f"unknown report {report}")

    render(run_guarded(table), fmt, title=f"{report.value} ({basis})")
