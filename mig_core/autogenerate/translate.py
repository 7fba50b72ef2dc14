"""A connection's ``schema_translate_map`` as autogenerate reads the database with it.

SQLAlchemy applies the map to statements, not to the inspector, so the comparison translates
each model schema itself: it reflects the schema the map sends it to (``None -> "tenant1"``,
``"a" -> "b"``) and presents what it finds under the model's own schema name, so a revision
reads the same as one generated against a database without the map.

The default schema of the comparison (``CompareContext.default_schema``, which a model's
``schema=None`` means) becomes the map's target for None. A schema the map moves away and
nothing moves to is *hidden*: no model schema reaches it, so it is not compared.
"""

from __future__ import annotations

import warnings
from typing import Any


class SchemaTranslation:
    """Model schema -> database schema and back, for one connection's map.

    Names are normalized: None stands for the default schema on both sides (``session_default``
    on the database's, the map's target for None on the model's).
    """

    def __init__(self, mapping: dict[Any, Any] | None, session_default: str | None) -> None:
        mapping = dict(mapping or {})
        self.session_default = session_default
        #: the schema a model's ``schema=None`` is in on this connection
        self.default_schema = mapping.get(None) or session_default
        self._forward: dict[str | None, str | None] = {}
        self._backward: dict[str | None, str | None] = {}
        self.collisions: list[tuple[list[str | None], str | None]] = []
        targets: dict[str | None, list[str | None]] = {}
        for source, target in mapping.items():
            db = self._db_name(target)
            model = self._model_name(source)
            if model == self._model_name(target) and source is not None:
                continue  # "a" -> "a": nothing moves
            self._forward[model] = db
            targets.setdefault(db, []).append(model)
        for db, models in targets.items():
            self._backward[db] = models[0]
            if len(models) > 1:
                self.collisions.append((models, db))
        #: database schemas no model schema reaches under the map
        self.hidden: set[str | None] = {
            self._db_name(source if source is not None else session_default)
            for source in mapping if self._db_name(
                source if source is not None else session_default) not in targets
        }

    @property
    def active(self) -> bool:
        """Whether the map moves any schema."""
        return bool(self._forward)

    def _db_name(self, schema: str | None) -> str | None:
        """A database schema name, None for the session's default schema."""
        return None if schema is None or schema == self.session_default else schema

    def _model_name(self, schema: str | None) -> str | None:
        """A model schema name, None for the comparison's default schema."""
        return None if schema is None or schema == self.default_schema else schema

    def to_database(self, schema: str | None) -> str | None:
        """The schema a model ``schema`` is in on the database (None: the session default)."""
        model = self._model_name(schema)
        if model in self._forward:
            return self._forward[model]
        return self._db_name(self.default_schema if model is None else model)

    def to_model(self, schema: str | None) -> str | None:
        """The model schema name for a database ``schema`` (as reflection reports it), kept
        as it is when the map does not move anything there."""
        db = self._db_name(schema)
        if db in self._backward:
            return self._backward[db]
        return schema

    def reaches(self, schema: str | None) -> bool:
        """Whether the model name of database ``schema`` leads back to it (False for a schema
        the map moves away from, whose name the model uses for another one)."""
        return self.to_database(self.to_model(schema)) == self._db_name(schema)

    def is_hidden(self, schema: str | None) -> bool:
        """Whether no model schema reaches database ``schema`` under the map."""
        return self._db_name(schema) in self.hidden

    def warn_collisions(self, compared: list[str | None]) -> None:
        """Warn when the map sends two compared schemas to one: each is then compared with
        the shared schema, whose tables the other one's model does not hold."""
        from mig_core.errors import MigWarning

        for models, db in self.collisions:
            both = [m for m in models if m in compared]
            if len(both) > 1:
                warnings.warn(
                    f"autogenerate: the connection's schema_translate_map sends schemas "
                    f"{', '.join(repr(m) for m in both)} to one schema "
                    f"({db or self.session_default!r}); each is compared with all of its "
                    "tables, so another schema's tables may show as removed",
                    MigWarning,
                    stacklevel=3,
                )


def translation_for(connection: Any, session_default: str | None) -> SchemaTranslation:
    """The translation of ``connection``'s ``schema_translate_map`` (none: identity)."""
    mapping = connection.get_execution_options().get("schema_translate_map") if connection else None
    return SchemaTranslation(mapping, session_default)


def model_fk_record(record: dict[str, Any], translation: SchemaTranslation) -> dict[str, Any]:
    """A reflected foreign key record with its referred schema named as the model names it."""
    referred = record.get("referred_schema")
    if referred is None:
        return record
    model = translation.to_model(referred)
    if model == referred:
        return record
    return {**record, "referred_schema": model if model is not None else None}
