"""Lemmas are looked up a word at a time from an SQLite copy of spacy-lookups-data's table: every word
must get the lemma the table itself gives, from a fresh copy, a kept one, or one rebuilt after damage."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from promptopt.lookup_table import LookupTable, open_table


def test_every_entry_reads_back_and_damage_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    entries = {"running": "run", "mice": "mouse", "Wrote": "write", "naïve": "naive", "x": ""}
    source = tmp_path / "lemmas.json.gz"
    with gzip.open(source, "wt", encoding="utf-8") as fh:
        json.dump(entries, fh)

    def load(path):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)

    first = open_table("test", source, load)  # built now: this run holds the dict
    kept = open_table("test", source, load)
    assert isinstance(kept, LookupTable)
    for table in (first, kept):
        assert {word: table.get(word, word) for word in [*entries, "unknown"]} == {**entries, "unknown": "unknown"}
    for built in (tmp_path / "cache").rglob("*.sqlite3"):
        built.write_bytes(b"damaged")
    again = open_table("test", source, load)
    assert again.get("mice", "mice") == "mouse"
    assert isinstance(open_table("test", source, load), LookupTable)


def test_the_lemma_table_agrees_with_spacy_lookups_data():
    from promptopt.analyzers import _common

    table = _common._lemma_table()
    if not table:
        pytest.skip("spacy-lookups-data is not installed")
    folder = Path(list(importlib.util.find_spec("spacy_lookups_data").submodule_search_locations)[0])
    source = _common._read_lemmas(folder / "data" / "en_lemma_lookup.json.gz")
    assert all(table.get(word, word) == lemma for word, lemma in source.items())
