"""The committed data dictionary is the one the schema generates (run `make dictionary` after a schema change)."""

from __future__ import annotations

from pathlib import Path

from entas.dictionary import data_dictionary_markdown
from entas.registry.schema import TABLES

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"


def test_committed_dictionary_matches_the_schema() -> None:
    assert DOC.read_text(encoding="utf-8") == data_dictionary_markdown()


def test_dictionary_lists_every_field_of_every_table() -> None:
    text = data_dictionary_markdown()
    for fields in TABLES.values():
        for field in fields:
            assert f"| `{field.name}` |" in text


def test_every_p3ke_family_column_named_in_the_sources_maps_to_a_field_or_is_documented_as_head_data() -> None:
    # P3KE family-file layout, ../shared/data/SOURCES.md section 4.2.
    family = [
        "id_keluarga_P3KE", "kode_kemdagri", "desil_kesejahteraan", "alamat", "kepemilikan_rumah",
        "memiliki_simpanan_uang_perhiasan_ternak_lainnya", "jenis_atap", "jenis_dinding", "jenis_lantai",
        "sumber_penerangan", "bahan_bakar_memasak", "sumber_air_minum", "memiliki_fasilitas_buang_air_besar",
        "penerima_bpnt", "penerima_bpum", "penerima_bst", "penerima_pkh", "penerima_sembako", "resiko_stunting",
    ]
    mapped = {alias for field in TABLES["households"] for alias in (field.name, *field.p3ke)}
    assert [c for c in family if c.lower() not in mapped] == []
