"""Inserting events in bulk, skipping client ids already stored.

PostgreSQL takes the rows with COPY into a temporary table and one
INSERT ... SELECT ... ON CONFLICT DO NOTHING; other databases use bulk_create with
ignore_conflicts. Either way the unique (workspace, client_id) constraint decides, in
the insert itself, which delivery of an event is stored.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb


def insert_new_events(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as {column: value}; rows whose client id exists are skipped."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy_insert(model, rows)
    else:
        model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=True)


def _copy_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    # COPY fills only what it is given: columns the rows leave out get the model defaults.
    defaults = {field.attname: field.get_default() for field in fields}
    json_columns = {field.attname for field in fields if isinstance(field, models.JSONField)}
    columns = list(defaults)
    quoted = ", ".join(connection.ops.quote_name(name) for name in columns)
    table = connection.ops.quote_name(meta.db_table)
    staging = connection.ops.quote_name(f"staging_{meta.db_table}")
    # Identifiers come from the model's metadata, quoted; values travel by COPY.
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {quoted} FROM {table} "  # noqa: S608
            "WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {staging} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                values = {**defaults, **row}
                copy.write_row(
                    [Jsonb(values[n]) if n in json_columns else values[n] for n in columns]
                )
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {staging} "  # noqa: S608
            "ON CONFLICT (workspace_id, client_id) DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {staging}")
