"""The registry and survey schemas: every field, its type, code list, P3KE column and meaning.

The registry (DTSEN/P3KE/DTKS) holds two tables: ``households`` (one row per family: location, welfare
decile, housing, assets, programme receipt) and ``members`` (one row per person). The survey (a Susenas-like
sample) holds the same household fields plus its design (weight, stratum, PSU, finite-population counts),
household size and monthly per-capita consumption; its members table has no NIK or names.

Field names are English; ``p3ke`` lists the Indonesian export columns that map to a field (a P3KE/DTSEN
Excel export imports unchanged). ``docs/data-dictionary.md`` is generated from these definitions
(``entas dictionary``), so this module is the single source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["text", "integer", "number", "boolean", "date", "code", "area", "nik", "period"]
TableName = Literal["households", "members", "survey_households", "survey_members"]


@dataclass(frozen=True, slots=True)
class Field:
    """One column: what it holds, how it is checked, where it comes from in a P3KE export."""

    name: str
    kind: FieldKind
    description: str
    required: bool = False
    codes: str | None = None
    p3ke: tuple[str, ...] = ()
    personal: bool = False
    minimum: float | None = None
    maximum: float | None = None


def _flag(name: str, description: str, *p3ke: str) -> Field:
    return Field(name, "boolean", description, p3ke=p3ke)


HOUSEHOLD_ID = Field(
    "household_id", "text", "Family identifier in the registry (id keluarga)", required=True,
    p3ke=("id_keluarga_p3ke", "id_keluarga", "id_kk", "no_kk_p3ke"),
)

LOCATION_FIELDS: tuple[Field, ...] = (
    Field(
        "village_code", "area", "Kemendagri village code, dotted (kode desa/kelurahan); undotted accepted",
        required=True, p3ke=("kode_kemdagri", "kode_wilayah", "kode_desa"),
    ),
)

HOUSING_FIELDS: tuple[Field, ...] = (
    Field("house_ownership", "code", "Tenure of the dwelling (status kepemilikan rumah)", codes="house_ownership",
          p3ke=("kepemilikan_rumah", "status_kepemilikan_rumah")),
    Field("floor_area_m2", "number", "Floor area of the dwelling in m² (luas lantai)", p3ke=("luas_lantai",),
          minimum=1, maximum=5000),
    Field("floor_type", "code", "Main floor material (jenis lantai terluas)", codes="floor_type",
          p3ke=("jenis_lantai",)),
    Field("wall_type", "code", "Main wall material (jenis dinding terluas)", codes="wall_type",
          p3ke=("jenis_dinding",)),
    Field("roof_type", "code", "Main roof material (jenis atap terluas)", codes="roof_type", p3ke=("jenis_atap",)),
    Field("drinking_water", "code", "Main drinking-water source (sumber air minum)", codes="drinking_water",
          p3ke=("sumber_air_minum",)),
    Field("sanitation", "code", "Defecation facility (fasilitas buang air besar)", codes="sanitation",
          p3ke=("memiliki_fasilitas_buang_air_besar", "fasilitas_bab")),
    Field("lighting", "code", "Main source of lighting (sumber penerangan)", codes="lighting",
          p3ke=("sumber_penerangan",)),
    Field("electricity_va", "integer", "Installed PLN capacity in volt-ampere (daya listrik terpasang)",
          p3ke=("daya_listrik", "daya_terpasang"), minimum=0, maximum=200000),
    Field("cooking_fuel", "code", "Main cooking fuel (bahan bakar memasak)", codes="cooking_fuel",
          p3ke=("bahan_bakar_memasak",)),
)

ASSET_FIELDS: tuple[Field, ...] = (
    _flag("has_savings", "Holds savings, jewellery or livestock worth ≥ Rp500,000",
          "memiliki_simpanan_uang_perhiasan_ternak_lainnya", "memiliki_simpanan"),
    _flag("has_refrigerator", "Owns a refrigerator (lemari es)", "memiliki_kulkas", "memiliki_lemari_es"),
    _flag("has_motorcycle", "Owns a motorcycle (sepeda motor)", "memiliki_sepeda_motor"),
    _flag("has_car", "Owns a car (mobil)", "memiliki_mobil"),
    _flag("has_boat", "Owns a boat or motor boat (perahu/kapal motor)", "memiliki_perahu"),
    _flag("has_land", "Owns land other than the house plot (lahan)", "memiliki_lahan"),
)

PROGRAM_FLAGS: tuple[Field, ...] = (
    _flag("receives_pkh", "Receives PKH conditional cash (Program Keluarga Harapan)", "penerima_pkh"),
    _flag("receives_bpnt", "Receives BPNT non-cash food assistance", "penerima_bpnt"),
    _flag("receives_sembako", "Receives the Sembako food card", "penerima_sembako"),
    _flag("receives_pbi_jkn", "Members covered by PBI-JKN (state-paid health insurance)", "penerima_pbi",
          "penerima_pbi_jkn", "pbi_jkn"),
    _flag("receives_pip", "A pupil receives PIP/KIP school cash", "penerima_pip", "penerima_kip"),
    _flag("receives_blt_dd", "Receives BLT Dana Desa (village-fund cash)", "penerima_blt_dd", "blt_dd"),
    _flag("receives_bpum", "Received BPUM (micro-enterprise assistance)", "penerima_bpum"),
    _flag("receives_bst", "Received BST (cash social assistance)", "penerima_bst"),
)

HOUSEHOLD_FIELDS: tuple[Field, ...] = (
    HOUSEHOLD_ID,
    *LOCATION_FIELDS,
    Field("address", "text", "Street address, RT/RW (alamat)", p3ke=("alamat",), personal=True),
    Field("welfare_decile", "integer", "Welfare decile from the registry's PMT ranking, 1 = poorest (desil)",
          required=True, p3ke=("desil_kesejahteraan", "desil", "desil_nasional"), minimum=1, maximum=10),
    Field("household_size", "integer", "Number of members; must equal the member rows when members are imported",
          p3ke=("jumlah_anggota_keluarga", "jumlah_art"), minimum=1, maximum=40),
    *HOUSING_FIELDS,
    *ASSET_FIELDS,
    *PROGRAM_FLAGS,
    _flag("stunting_risk", "Family at risk of stunting (BKKBN flag)", "resiko_stunting", "risiko_stunting"),
)

MEMBER_ID = Field("member_id", "text", "Person identifier within the registry (id individu)", required=True,
                  p3ke=("id_individu", "id_anggota"))

PERSON_FIELDS: tuple[Field, ...] = (
    Field("sex", "code", "Sex (jenis kelamin)", required=True, codes="sex", p3ke=("jenis_kelamin",)),
    Field("birth_date", "date", "Date of birth (tanggal lahir), ISO or dd/mm/yyyy", required=True,
          p3ke=("tanggal_lahir", "tgl_lahir")),
    Field("relation_to_head", "code", "Relation to the family head (hubungan dengan kepala keluarga)",
          required=True, codes="relation_to_head", p3ke=("hubungan_dengan_kepala_keluarga", "hubungan_keluarga")),
    Field("marital_status", "code", "Marital status (status kawin)", codes="marital_status",
          p3ke=("status_kawin", "status_perkawinan")),
    Field("education", "code", "Highest schooling completed (pendidikan terakhir)", codes="education",
          p3ke=("pendidikan", "pendidikan_terakhir")),
    Field("school_enrolment", "code", "School participation (partisipasi sekolah)", codes="school_enrolment",
          p3ke=("partisipasi_sekolah", "status_sekolah")),
    Field("work_status", "code", "Main activity last week (status pekerjaan)", codes="work_status",
          p3ke=("status_pekerjaan", "status_bekerja")),
    Field("work_sector", "code", "Sector of the main work (lapangan usaha / pekerjaan)", codes="work_sector",
          p3ke=("pekerjaan", "lapangan_usaha")),
    Field("disability", "code", "Disability (jenis disabilitas)", codes="disability",
          p3ke=("disabilitas", "jenis_disabilitas")),
    _flag("chronic_illness", "Has a chronic illness (penyakit kronis/menahun)", "penyakit_kronis"),
    Field("health_insurance", "code", "Health insurance (jaminan kesehatan)", codes="health_insurance",
          p3ke=("jaminan_kesehatan", "kepesertaan_jkn")),
)

MEMBER_FIELDS: tuple[Field, ...] = (
    Field("household_id", "text", "Family the person belongs to", required=True,
          p3ke=("id_keluarga", "id_keluarga_p3ke")),
    MEMBER_ID,
    Field("nik", "nik", "National identity number, 16 digits (NIK); region prefix and birth date must agree",
          required=True, p3ke=("nik",), personal=True),
    Field("name", "text", "Full name (nama)", required=True, p3ke=("nama", "nama_lengkap"), personal=True),
    *PERSON_FIELDS,
)

SURVEY_DESIGN_FIELDS: tuple[Field, ...] = (
    Field("survey_period", "period", "Survey round as YYYY-MM (e.g. 2024-03 for March Susenas)", required=True),
    Field("district_code", "area", "District (kabupaten/kota), Kemendagri or BPS code", required=True),
    Field("urban", "boolean", "Urban (perkotaan) or rural (perdesaan) classification", required=True),
    Field("stratum", "text", "Design stratum", required=True),
    Field("psu", "text", "Primary sampling unit (census block), unique within its stratum", required=True),
    Field("ssu", "text", "Second-stage unit within the PSU, when the design has one"),
    Field("weight", "number", "Household sampling weight (inverse inclusion probability); must be > 0",
          required=True, minimum=0),
    Field("fpc_psu", "integer", "Number of PSUs in the stratum's population (first-stage FPC)", minimum=1),
    Field("fpc_ssu", "integer", "Number of households in the PSU's population (second-stage FPC)", minimum=1),
    Field("household_size", "integer", "Number of household members", required=True, minimum=1, maximum=40),
    Field("consumption_pc_rp_month", "number",
          "Monthly per-capita consumption expenditure in rupiah (pengeluaran per kapita sebulan)",
          required=True, minimum=0),
)

SURVEY_HOUSEHOLD_FIELDS: tuple[Field, ...] = (
    HOUSEHOLD_ID,
    *SURVEY_DESIGN_FIELDS,
    Field("village_code", "area", "Kemendagri village code, when the sample frame carries it"),
    Field("welfare_decile", "integer", "The registry's desil of the household, when the sample is linked to the "
          "registry (lets `entas target evaluate` compare the PMT with the desil)", minimum=1, maximum=10),
    *HOUSING_FIELDS,
    *ASSET_FIELDS,
    *PROGRAM_FLAGS,
)

SURVEY_MEMBER_FIELDS: tuple[Field, ...] = (
    Field("household_id", "text", "Sample household the person belongs to", required=True),
    MEMBER_ID,
    *PERSON_FIELDS,
)

TABLES: dict[TableName, tuple[Field, ...]] = {
    "households": HOUSEHOLD_FIELDS,
    "members": MEMBER_FIELDS,
    "survey_households": SURVEY_HOUSEHOLD_FIELDS,
    "survey_members": SURVEY_MEMBER_FIELDS,
}

SCHEMA_VERSION = 1
"""Bumped whenever a field is added, removed or changes meaning; written into every snapshot manifest."""


def field_names(table: TableName) -> tuple[str, ...]:
    """Column names of a table, in order."""
    return tuple(f.name for f in TABLES[table])


def personal_fields(table: TableName) -> tuple[str, ...]:
    """Columns holding personal data (NIK, names, addresses): masked in rejects, never logged."""
    return tuple(f.name for f in TABLES[table] if f.personal)


def column_aliases(table: TableName) -> dict[str, str]:
    """Every accepted column header (lower-cased) -> field name: the English name and the P3KE columns."""
    aliases: dict[str, str] = {}
    for f in TABLES[table]:
        for alias in (f.name, *f.p3ke):
            aliases.setdefault(alias.lower(), f.name)
    return aliases
