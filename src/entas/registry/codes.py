"""Code lists of the registry and survey: the allowed values of each categorical field.

Each code is an English snake-case word used in code and files; its Indonesian label (as P3KE/DTSEN
exports print it) and common variants are accepted on import and mapped to the code. The lists follow the
categories of BPS Susenas/Regsosek housing questions and the P3KE export; no official P3KE data dictionary
was found (../shared/data/SOURCES.md section 8, item 6), so the Indonesian labels are the working hypothesis
documented in docs/data-dictionary.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    """One allowed value: the code, its English and Indonesian labels, and other spellings accepted."""

    code: str
    label_en: str
    label_id: str
    aliases: tuple[str, ...] = ()


def _codes(*items: tuple[str, str, str] | tuple[str, str, str, tuple[str, ...]]) -> tuple[Code, ...]:
    return tuple(Code(*item) for item in items)


CODE_LISTS: dict[str, tuple[Code, ...]] = {
    "sex": _codes(
        ("male", "male", "Laki-laki", ("l", "lk", "laki", "1", "m", "pria")),
        ("female", "female", "Perempuan", ("p", "pr", "2", "f", "wanita")),
    ),
    "relation_to_head": _codes(
        ("head", "head of household", "Kepala Keluarga", ("kepala rumah tangga", "krt", "kk", "1")),
        ("spouse", "spouse", "Istri/Suami", ("istri", "suami", "isteri", "2")),
        ("child", "child", "Anak", ("anak kandung", "anak tiri", "anak angkat", "3")),
        ("child_in_law", "child-in-law", "Menantu", ("4",)),
        ("grandchild", "grandchild", "Cucu", ("5",)),
        ("parent", "parent or parent-in-law", "Orang Tua/Mertua", ("orang tua", "mertua", "6")),
        ("other_relative", "other relative", "Famili Lain", ("famili", "saudara", "7")),
        ("other", "other", "Lainnya", ("pembantu", "8", "9")),
    ),
    "marital_status": _codes(
        ("never_married", "never married", "Belum Kawin", ("1",)),
        ("married", "married", "Kawin", ("kawin tercatat", "kawin belum tercatat", "2")),
        ("divorced", "divorced", "Cerai Hidup", ("3",)),
        ("widowed", "widowed", "Cerai Mati", ("4",)),
    ),
    "education": _codes(
        ("none", "no schooling", "Tidak/Belum Sekolah", ("tidak sekolah", "belum sekolah", "0")),
        ("primary_incomplete", "primary not completed", "Tidak Tamat SD", ("tidak tamat sd/sederajat",)),
        ("primary", "primary school", "SD/Sederajat", ("sd", "tamat sd", "mi")),
        ("junior_secondary", "junior secondary", "SMP/Sederajat", ("smp", "sltp", "mts")),
        ("senior_secondary", "senior secondary", "SMA/Sederajat", ("sma", "smk", "slta", "ma")),
        ("diploma", "diploma (D1-D3)", "Diploma I-III", ("d1", "d2", "d3", "diploma")),
        ("university", "university (D4, S1-S3)", "Diploma IV/S1/S2/S3", ("d4", "s1", "s2", "s3")),
    ),
    "school_enrolment": _codes(
        ("not_yet", "not yet in school", "Belum Sekolah"),
        ("enrolled", "in school", "Masih Sekolah", ("sekolah",)),
        ("dropped_out", "no longer in school", "Tidak Sekolah Lagi", ("putus sekolah",)),
        ("never", "never in school", "Tidak Pernah Sekolah"),
    ),
    "work_status": _codes(
        ("working", "working", "Bekerja", ("1",)),
        ("unemployed", "looking for work", "Mencari Kerja", ("menganggur", "2")),
        ("in_school", "in school", "Sekolah", ("pelajar", "mahasiswa", "3")),
        ("housekeeping", "housekeeping", "Mengurus Rumah Tangga", ("4",)),
        ("not_working", "not working (other)", "Tidak Bekerja", ("lainnya", "5")),
    ),
    "work_sector": _codes(
        ("agriculture", "food crops and horticulture", "Pertanian Tanaman Pangan", ("petani", "pertanian")),
        ("plantation", "plantation", "Perkebunan", ("pekebun",)),
        ("fishery", "fishery", "Perikanan", ("nelayan",)),
        ("livestock", "livestock", "Peternakan", ("peternak",)),
        ("forestry", "forestry", "Kehutanan"),
        ("mining", "mining and quarrying", "Pertambangan dan Penggalian", ("pertambangan",)),
        ("manufacturing", "manufacturing", "Industri Pengolahan", ("industri",)),
        ("construction", "construction", "Konstruksi", ("bangunan",)),
        ("trade", "trade", "Perdagangan", ("pedagang", "wiraswasta")),
        ("transport", "transport", "Transportasi", ("sopir", "angkutan")),
        ("services", "other services", "Jasa", ("jasa lainnya", "buruh harian lepas")),
        ("public_service", "civil service, army, police", "PNS/TNI/Polri", ("pns", "tni", "polri")),
        ("none", "none", "Tidak Bekerja", ("tidak ada", "-")),
    ),
    "disability": _codes(
        ("none", "none", "Tidak Ada", ("tidak", "0")),
        ("physical", "physical", "Fisik", ("tuna daksa",)),
        ("visual", "visual", "Netra", ("tuna netra",)),
        ("hearing_speech", "hearing or speech", "Rungu/Wicara", ("tuna rungu", "tuna wicara")),
        ("intellectual", "intellectual", "Intelektual", ("tuna grahita",)),
        ("mental", "mental", "Mental", ("gangguan jiwa",)),
        ("multiple", "multiple", "Ganda", ("disabilitas ganda",)),
    ),
    "health_insurance": _codes(
        ("pbi_jkn", "JKN paid by the state (PBI)", "JKN PBI", ("pbi", "kis pbi")),
        ("jkn_contributory", "JKN, contributory", "JKN Non-PBI", ("jkn mandiri", "bpjs mandiri")),
        ("other", "other insurance", "Asuransi Lain", ("asuransi swasta",)),
        ("none", "none", "Tidak Punya", ("tidak ada", "tidak")),
    ),
    "floor_type": _codes(
        ("ceramic", "marble, granite, ceramic", "Marmer/Granit/Keramik", ("keramik", "marmer", "granit")),
        ("tile_terrazzo", "tile, terrazzo", "Ubin/Tegel/Teraso", ("ubin", "tegel", "teraso")),
        ("parquet", "parquet, vinyl, carpet", "Parket/Vinil/Karpet", ("parket", "vinil", "karpet")),
        ("wood_high", "good-quality wood or board", "Kayu/Papan Kualitas Tinggi", ("kayu/papan",)),
        ("cement_brick", "cement, red brick", "Semen/Bata Merah", ("semen", "bata merah", "plester")),
        ("wood_low", "low-quality wood or board", "Kayu/Papan Kualitas Rendah", ("papan",)),
        ("bamboo", "bamboo", "Bambu"),
        ("earth", "earth", "Tanah"),
        ("other", "other", "Lainnya"),
    ),
    "wall_type": _codes(
        ("masonry", "brick or concrete wall", "Tembok", ("tembok", "beton", "bata")),
        ("plastered_bamboo", "plastered woven bamboo or wire", "Plesteran Anyaman Bambu/Kawat"),
        ("wood_board", "wood or board", "Kayu/Papan", ("kayu", "papan")),
        ("woven_bamboo", "woven bamboo", "Anyaman Bambu", ("gedek", "bilik")),
        ("log", "logs", "Batang Kayu"),
        ("bamboo", "bamboo", "Bambu"),
        ("other", "other", "Lainnya"),
    ),
    "roof_type": _codes(
        ("concrete", "concrete", "Beton", ("beton/genteng beton",)),
        ("clay_tile", "clay or metal tile", "Genteng", ("genteng keramik", "genteng metal", "genteng tanah liat")),
        ("asbestos", "asbestos", "Asbes"),
        ("zinc", "zinc or metal sheet", "Seng", ("seng/spandek",)),
        ("shingle", "wood shingle", "Sirap"),
        ("bamboo", "bamboo", "Bambu"),
        ("thatch", "straw, palm fibre, leaves", "Jerami/Ijuk/Daun/Rumbia", ("jerami", "ijuk", "daun", "rumbia")),
        ("other", "other", "Lainnya"),
    ),
    "drinking_water": _codes(
        ("bottled", "bottled or refill water", "Air Kemasan/Isi Ulang", ("air kemasan", "air isi ulang")),
        ("piped", "piped water", "Leding", ("ledeng", "pdam", "leding meteran", "leding eceran")),
        ("borehole", "borehole or pump", "Sumur Bor/Pompa", ("sumur bor",)),
        ("protected_well", "protected well", "Sumur Terlindung"),
        ("unprotected_well", "unprotected well", "Sumur Tak Terlindung"),
        ("protected_spring", "protected spring", "Mata Air Terlindung"),
        ("unprotected_spring", "unprotected spring", "Mata Air Tak Terlindung"),
        ("surface", "river, lake, pond", "Air Permukaan (Sungai/Danau/Waduk)", ("sungai", "danau", "air sungai")),
        ("rain", "rainwater", "Air Hujan"),
        ("other", "other", "Lainnya"),
    ),
    "sanitation": _codes(
        ("own", "own toilet", "Ada, Milik Sendiri", ("milik sendiri", "sendiri", "ya", "ada")),
        ("shared", "shared with other households", "Ada, Bersama", ("bersama",)),
        ("public", "public toilet", "Ada, MCK Umum", ("umum", "mck umum")),
        ("none", "no toilet", "Tidak Ada", ("tidak", "tidak ada fasilitas")),
    ),
    "lighting": _codes(
        ("pln_metered", "PLN electricity, own meter", "Listrik PLN dengan Meteran", ("listrik pln", "pln")),
        ("pln_unmetered", "PLN electricity, no own meter", "Listrik PLN tanpa Meteran", ("menumpang",)),
        ("non_pln", "non-PLN electricity (genset, solar)", "Listrik Non-PLN", ("genset", "tenaga surya")),
        ("none", "no electricity", "Bukan Listrik", ("pelita", "lampu minyak", "tidak ada")),
    ),
    "cooking_fuel": _codes(
        ("electricity", "electricity", "Listrik"),
        ("lpg", "LPG", "Elpiji", ("gas", "lpg 3 kg", "gas elpiji", "elpiji 3 kg")),
        ("natural_gas", "piped natural gas", "Gas Kota", ("jargas",)),
        ("kerosene", "kerosene", "Minyak Tanah"),
        ("charcoal", "charcoal", "Arang", ("briket",)),
        ("wood", "firewood", "Kayu Bakar", ("kayu",)),
        ("none", "does not cook", "Tidak Memasak"),
        ("other", "other", "Lainnya"),
    ),
    "house_ownership": _codes(
        ("own", "owned", "Milik Sendiri", ("sendiri",)),
        ("rented", "rented or leased", "Kontrak/Sewa", ("kontrak", "sewa")),
        ("rent_free", "rent-free", "Bebas Sewa", ("menumpang", "numpang")),
        ("official", "official housing", "Dinas", ("rumah dinas",)),
        ("other", "other", "Lainnya"),
    ),
}

TRUE_WORDS = ("1", "true", "t", "y", "yes", "ya", "ada", "punya", "penerima", "benar")
FALSE_WORDS = ("0", "false", "f", "n", "no", "tidak", "tdk", "tidak ada", "bukan", "bukan penerima", "-")

SAFE_DRINKING_WATER = ("bottled", "piped", "borehole", "protected_well", "protected_spring", "rain")
"""Improved drinking-water sources (BPS/SDG 6.1 convention; bottled water counted as improved)."""


def code_values(list_name: str) -> tuple[str, ...]:
    """The codes of one list, in their documented order."""
    return tuple(code.code for code in CODE_LISTS[list_name])


def spelling_map(list_name: str) -> dict[str, str]:
    """Every accepted spelling (lower-cased, trimmed) of a list's values -> its code."""
    mapping: dict[str, str] = {}
    for code in CODE_LISTS[list_name]:
        for spelling in (code.code, code.label_en, code.label_id, *code.aliases):
            mapping.setdefault(spelling.strip().lower(), code.code)
    return mapping
