"""How autogenerate reads a connection's ``schema_translate_map``: model schema -> database
schema for reflection, and the database's names back to the model's."""

from __future__ import annotations

import pytest

from mig_core.autogenerate.translate import SchemaTranslation, model_fk_record


def test_the_default_schema_moves_with_the_map():
    tr = SchemaTranslation({None: "tenant1"}, "public")
    assert tr.default_schema == "tenant1"
    assert tr.to_database(None) == "tenant1"
    assert tr.to_model("tenant1") is None
    # public is reached only by a model naming it: it keeps its name, and is not listed
    assert tr.to_database("public") is None and tr.to_model("public") == "public"
    assert tr.reaches("public") and tr.is_hidden("public") and not tr.is_hidden("tenant2")


def test_named_schemas_and_a_swap():
    tr = SchemaTranslation({"a": "b", "b": "a", "c": "d"}, "public")
    assert (tr.to_database("a"), tr.to_database("b"), tr.to_database("c")) == ("b", "a", "d")
    assert (tr.to_model("a"), tr.to_model("b"), tr.to_model("d")) == ("b", "a", "c")
    # the real "c" is where no model schema leads: its catalog rows are left out
    assert not tr.reaches("c") and tr.is_hidden("c")
    assert tr.to_database(None) is None and tr.default_schema == "public"


def test_no_map_changes_nothing():
    tr = SchemaTranslation(None, "public")
    assert not tr.active
    assert tr.to_database(None) is None and tr.to_database("x") == "x"
    assert tr.to_model("x") == "x" and tr.reaches("x") and not tr.is_hidden("public")


def test_a_foreign_key_into_a_translated_schema_names_the_model_schema():
    tr = SchemaTranslation({None: "tenant1", "app": "tenant1_app"}, "public")
    fk = {"referred_schema": "tenant1_app", "referred_table": "t"}
    assert model_fk_record(fk, tr)["referred_schema"] == "app"
    assert model_fk_record({"referred_schema": "tenant1"}, tr)["referred_schema"] is None
    assert model_fk_record({"referred_schema": "public"}, tr)["referred_schema"] == "public"


def test_two_schemas_sent_to_one_are_warned_about_when_both_are_compared():
    import warnings

    from mig_core.errors import MigWarning

    tr = SchemaTranslation({None: "t", "app": "t"}, "public")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        tr.warn_collisions([None])  # only one of them compared: nothing to say
    with pytest.warns(MigWarning, match=r"sends schemas None, 'app' to one schema \('t'\)"):
        tr.warn_collisions([None, "app"])
