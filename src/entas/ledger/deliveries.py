"""Bulk delivery reports (laporan penyaluran): CSV or Excel files of what a stakeholder delivered.

Columns (English or Indonesian headers, any case): ``household_id`` (id_keluarga), ``program``
(kode_program), ``stakeholder`` (pelaksana; or ``--stakeholder`` for the whole file), ``delivered_on``
(tanggal_salur), ``amount_rp`` (nilai_rp), ``evidence`` (bukti), ``status`` (default ``delivered``),
``idempotency_key`` (kunci; when blank, derived from stakeholder, household, program and date, so the same
report imported twice stores nothing new) and an optional ``nik`` checked against the household's members.

Validated like the registry import: each row is stored, found already stored (``unchanged``: same key,
same content) or written to the rejects file (``home/rejects/ledger-<time>.csv``: file, row, column, value,
rule) -- ``read == stored + unchanged + rejected``, nothing is lost. A NIK is never echoed (masked in the
rejects file). Rules: ``required``, ``unknown_household`` (not in the registry *or* outside the importer's
scope: the same word for both), ``unknown_program``, ``unknown_stakeholder``, ``not_own_stakeholder`` (a
partner importing for another), ``unknown_status``, ``status_not_allowed`` (verified without the right),
``bad_date``, ``future_date``, ``not_number``, ``below_minimum``, ``too_long``, ``nik_mismatch``,
``duplicate_key`` (a key repeated in the file; the first row counts), ``key_conflict`` (a stored key with
other content).

The accepted rows are stored in one transaction with the audit row: all or none. A concurrent import that
stored some of the same keys first makes the transaction fail on the unique key; it is then classified and
stored again once, so both imports end with every key stored exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from entas.errors import InputFileError, LedgerImportError
from entas.ops import audit
from entas.ops.access import CONTENT_SEPARATOR, NULL_TEXT, Access
from entas.ops.models import Intervention, Stakeholder, utc_now
from entas.ops.principal import Capability, Role
from entas.registry.nik import mask_nik
from entas.registry.reading import ROW, file_sha256, normalize_header
from entas.registry.rejects import write_rejects
from entas.registry.validation import clean_text, parse_date, parse_number

ALIASES: dict[str, tuple[str, ...]] = {
    "household_id": ("household_id", "id_keluarga", "id_keluarga_p3ke"),
    "program": ("program", "kode_program", "program_code"),
    "stakeholder": ("stakeholder", "pelaksana", "pemberi", "stakeholder_id"),
    "delivered_on": ("delivered_on", "tanggal_salur", "tanggal_penyaluran", "tanggal", "date"),
    "amount_rp": ("amount_rp", "nilai_rp", "nilai", "jumlah_rp"),
    "evidence": ("evidence", "bukti", "keterangan"),
    "status": ("status",),
    "idempotency_key": ("idempotency_key", "kunci", "key", "no_referensi"),
    "nik": ("nik",),
}
REQUIRED = ("household_id", "program")
MAX_EVIDENCE = 2000
_CHUNK = 1000


@dataclass(frozen=True)
class DeliveryImport:
    """Counts of one delivery report: ``read == stored + unchanged + rejected``; where the rejects are."""

    file: str
    read: int
    stored: int
    unchanged: int
    rejected: int
    rejects_path: Path | None

    def counts(self) -> pl.DataFrame:
        return pl.DataFrame([{"file": self.file, "read": self.read, "stored": self.stored,
                              "unchanged": self.unchanged, "rejected": self.rejected}])


def read_report(path: Path) -> pl.DataFrame:
    """The report's columns as text, renamed to field names, with ``_row`` (the row a person sees)."""
    from entas.registry import reading

    if not path.is_file():
        raise LedgerImportError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            frame = reading._read_csv(path)
        elif suffix in (".xlsx", ".xlsm"):
            frame = reading._read_excel(path, "registry")[0][0]
        else:
            raise LedgerImportError(f"{path}: a delivery report is a CSV or Excel (.xlsx) file")
    except InputFileError as error:
        raise LedgerImportError(str(error)) from None
    lookup = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
    renames: dict[str, str] = {}
    for column in frame.columns:
        field = lookup.get(normalize_header(column))
        if column != ROW and field is not None and field not in renames.values():
            renames[column] = field
    frame = frame.select(ROW, *(pl.col(c).cast(pl.Utf8).alias(f) for c, f in renames.items()))
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise LedgerImportError(f"{path}: required column {missing[0]!r} absent (headers: see docs/operations.md)")
    for field in ALIASES:
        if field not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(field))
    return frame.with_columns(clean_text(f).alias(f) for f in ALIASES)


def import_deliveries(access: Access, path: Path, *, stakeholder: str | None = None) -> DeliveryImport:
    """Validate and store a delivery report (see the module docstring); one transaction."""
    access.require(Capability.record_interventions)
    path = Path(path)
    frame = read_report(path)
    sha = file_sha256(path)
    for attempt in (1, 2):
        try:
            return _import(access, path, frame, sha, stakeholder)
        except IntegrityError:  # a concurrent import stored some keys first: classify again once
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _import(access: Access, path: Path, frame: pl.DataFrame, sha: str, stakeholder: str | None) -> DeliveryImport:
    principal = access.principal
    with access.transaction() as session:
        stakeholders = pl.DataFrame(session.execute(select(Stakeholder.identifier, Stakeholder.id)).all(),
                                    schema={"identifier": pl.Utf8, "stakeholder_id": pl.Int64}, orient="row")
        if stakeholder is None and principal.role is Role.partner:
            own = stakeholders.filter(pl.col("stakeholder_id") == principal.stakeholder_id)["identifier"]
            stakeholder = own[0] if own.len() else None
        visible = access.store.household_index().filter(access.registry_scope(session))
        strategies = pl.DataFrame({"program": list(access.store.strategies),
                                   "strategy": list(access.store.strategies.values())})
        rows = _typed(frame, stakeholder, stakeholders, strategies, visible)
        rows = _with_key(rows)
        rows = rows.with_columns(_first_row_of_key())
        stored = _stored(session, rows.filter(pl.col("idempotency_key").is_not_null())["idempotency_key"])
        rows = rows.join(stored, on="idempotency_key", how="left")
        rules = _rules(rows, principal.role, principal.stakeholder_id, principal.can(
            Capability.verify_interventions), _household_niks(access, rows))
        lines = pl.concat(rules, how="vertical").sort(ROW, maintain_order=True)
        bad = lines[ROW].unique().implode()
        ok = rows.filter(~pl.col(ROW).is_in(bad))
        unchanged = ok.filter(pl.col("stored_hash").is_not_null())
        new = ok.filter(pl.col("stored_hash").is_null())
        now = utc_now()
        records = new.select(
            "idempotency_key", "household_id", "village_code", "program", "strategy", "stakeholder_id",
            "status", "delivered_on", "amount_rp", "evidence", "content_hash",
            reporting_stakeholder_id=pl.lit(principal.stakeholder_id, pl.Int64), created_by=pl.lit(principal.name),
        ).to_dicts()
        for record in records:
            record["created_at"] = record["updated_at"] = now
        for start in range(0, len(records), _CHUNK):
            session.execute(insert(Intervention), records[start:start + _CHUNK])
        rejects_path = write_rejects(
            lines.select(pl.lit(path.name).alias("file"), pl.col(ROW).alias("row"),
                         pl.lit("interventions").alias("table"), "column", "value", "rule"),
            access.store.home, "ledger")
        result = DeliveryImport(file=path.name, read=frame.height, stored=new.height, unchanged=unchanged.height,
                                rejected=frame.height - ok.height, rejects_path=rejects_path)
        audit.record(session, principal, "ledger.import", "file", path.name, detail={
            "sha256": sha, "read": result.read, "stored": result.stored, "unchanged": result.unchanged,
            "rejected": result.rejected, "stakeholder": stakeholder})
    return result


def _typed(frame: pl.DataFrame, stakeholder: str | None, stakeholders: pl.DataFrame, strategies: pl.DataFrame,
           visible: pl.DataFrame) -> pl.DataFrame:
    """Typed ``delivered_on`` and ``amount_rp`` (the text kept as ``*_text``), stakeholder id, strategy, village."""
    amount = parse_number(pl.col("amount_rp_text"))
    return (frame.rename({"delivered_on": "delivered_on_text", "amount_rp": "amount_rp_text"}).with_columns(
                stakeholder=pl.coalesce(pl.col("stakeholder"), pl.lit(stakeholder, pl.Utf8)),
                status=pl.col("status").str.to_lowercase().fill_null("delivered"),
                delivered_on=parse_date(pl.col("delivered_on_text")),
                amount_rp=pl.when(amount == amount.round()).then(amount).otherwise(None).cast(pl.Int64))
            .join(stakeholders, left_on="stakeholder", right_on="identifier", how="left", maintain_order="left")
            .join(strategies, on="program", how="left", maintain_order="left")
            .join(visible, on="household_id", how="left", maintain_order="left"))


def _with_key(rows: pl.DataFrame) -> pl.DataFrame:
    """Derive blank keys from (stakeholder, household, program, date); add the content digest."""
    def text(column: str) -> pl.Expr:
        return pl.col(column).cast(pl.Utf8).fill_null(NULL_TEXT)

    derived = pl.concat_str([text("stakeholder"), text("household_id"), text("program"), text("delivered_on")],
                            separator=CONTENT_SEPARATOR)
    canonical = pl.concat_str([text("household_id"), text("program"), text("stakeholder_id"), text("status"),
                               text("delivered_on"), text("amount_rp"), text("evidence"), pl.lit(NULL_TEXT)],
                              separator=CONTENT_SEPARATOR)
    rows = rows.with_columns(derived=derived, canonical=canonical)
    digests = [hashlib.sha256(c.encode()).hexdigest() for c in rows["canonical"]]  # hashing, one per report row
    derived_keys = [f"import-{hashlib.sha256(d.encode()).hexdigest()[:40]}" for d in rows["derived"]]
    return rows.with_columns(
        content_hash=pl.Series(digests, dtype=pl.Utf8),
        idempotency_key=pl.coalesce(pl.col("idempotency_key"), pl.Series(derived_keys, dtype=pl.Utf8)),
    )


def _first_row_of_key() -> pl.Expr:
    return pl.col(ROW).min().over("idempotency_key").alias("first_row")


def _stored(session: Session, keys: pl.Series) -> pl.DataFrame:
    """Stored ``idempotency_key -> content_hash`` for the keys of the report (chunked IN queries)."""
    found: list[tuple[str, str]] = []
    unique = keys.unique().to_list()
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start:start + _CHUNK]
        result = session.execute(select(Intervention.idempotency_key, Intervention.content_hash).where(
            Intervention.idempotency_key.in_(chunk)))
        found.extend((str(row[0]), str(row[1])) for row in result)
    return pl.DataFrame(found, schema={"idempotency_key": pl.Utf8, "stored_hash": pl.Utf8}, orient="row")


def _household_niks(access: Access, rows: pl.DataFrame) -> pl.DataFrame:
    """``household_id, nik`` of the members of the households whose rows carry a NIK to check."""
    wanted = rows.filter(pl.col("nik").is_not_null() & pl.col("village_code").is_not_null())["household_id"]
    if wanted.len() == 0 or access.store.registry_snapshot() is None:
        return pl.DataFrame(schema={"household_id": pl.Utf8, "nik": pl.Utf8})
    return access.store.snapshots.scan("registry", "members").filter(
        pl.col("household_id").is_in(wanted.implode())).select("household_id", "nik").collect()


def _rules(rows: pl.DataFrame, role: Role, own_stakeholder: int | None, can_verify: bool,
           niks: pl.DataFrame) -> list[pl.DataFrame]:
    """One frame of rejects lines (``_row, column, value, rule``) per rule; empty frames when none broke it."""
    matched = rows.join(niks.with_columns(nik_ok=pl.lit(True)), on=["household_id", "nik"], how="left",
                        maintain_order="left")
    today = dt.datetime.now(dt.UTC).date()
    checks: list[tuple[str, pl.Expr, str]] = [
        *((c, pl.col(c).is_null(), "required") for c in REQUIRED),
        ("stakeholder", pl.col("stakeholder").is_null(), "required"),
        ("household_id", pl.col("household_id").is_not_null() & pl.col("village_code").is_null(),
         "unknown_household"),
        ("program", pl.col("program").is_not_null() & pl.col("strategy").is_null(), "unknown_program"),
        ("stakeholder", pl.col("stakeholder").is_not_null() & pl.col("stakeholder_id").is_null(),
         "unknown_stakeholder"),
        ("status", ~pl.col("status").is_in(["planned", "delivered", "verified"]), "unknown_status"),
        ("status", (pl.col("status") == "verified") & pl.lit(not can_verify), "status_not_allowed"),
        ("delivered_on", pl.col("delivered_on_text").is_not_null() & pl.col("delivered_on").is_null(), "bad_date"),
        ("delivered_on", pl.col("delivered_on") > pl.lit(today), "future_date"),
        ("delivered_on", pl.col("status").is_in(["delivered", "verified"]) & pl.col("delivered_on_text").is_null(),
         "required"),
        ("amount_rp", pl.col("amount_rp_text").is_not_null() & pl.col("amount_rp").is_null(), "not_number"),
        ("amount_rp", pl.col("amount_rp") < 0, "below_minimum"),
        ("evidence", pl.col("evidence").str.len_chars() > MAX_EVIDENCE, "too_long"),
        ("idempotency_key", pl.col("idempotency_key").str.len_chars() > 200, "too_long"),
        ("idempotency_key", pl.col(ROW) != pl.col("first_row"), "duplicate_key"),
        ("idempotency_key", pl.col("stored_hash").is_not_null() & (pl.col("stored_hash") != pl.col("content_hash")),
         "key_conflict"),
        ("nik", pl.col("nik").is_not_null() & pl.col("village_code").is_not_null() & pl.col("nik_ok").is_null(),
         "nik_mismatch"),
    ]
    if role is Role.partner:
        checks.append(("stakeholder", pl.col("stakeholder_id").is_not_null()
                       & (pl.col("stakeholder_id") != pl.lit(own_stakeholder, pl.Int64)), "not_own_stakeholder"))
    shown = {"nik": mask_nik(pl.col("nik")),
             "evidence": pl.format("<{} characters>", pl.col("evidence").str.len_chars()),
             "delivered_on": pl.col("delivered_on_text"), "amount_rp": pl.col("amount_rp_text"),
             "idempotency_key": pl.when(pl.col(ROW) != pl.col("first_row")).then(
                 pl.format("{} (first: row {})", pl.col("idempotency_key"), pl.col("first_row"))).otherwise(
                 pl.col("idempotency_key"))}
    return [matched.filter(condition.fill_null(False)).select(
        ROW, pl.lit(column).alias("column"), shown.get(column, pl.col(column)).cast(pl.Utf8).alias("value"),
        pl.lit(rule).alias("rule")) for column, condition, rule in checks]
