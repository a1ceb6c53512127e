"""The ingestion pipeline's backend-specific SQL: inserting events in bulk, skipping client
ids already stored; moving accounts' first-seen times back to their earliest events; and
looking up a batch's worth of values.

PostgreSQL takes the rows with COPY into a temporary staging table and one
INSERT ... SELECT ... ON CONFLICT DO NOTHING; SQLite one INSERT OR IGNORE executemany
(what bulk_create with ignore_conflicts does there); other databases bulk_create. Either
way the unique (workspace, client_id) constraint decides, in the insert itself, which
delivery of an event is stored.
"""

import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import F
from django.db.models.constants import OnConflict
from django.db.models.lookups import In, Lookup
from psycopg.types.json import Jsonb

from accounts.models import Account


class AnyOf(Lookup):
    """`column IN (values)` for a batch's worth of values, used as an expression:
    `Model.objects.filter(AnyOf(F("client_id"), values))`.

    On PostgreSQL it is `column = ANY(%s)` with the values as one array parameter: an IN
    list of a thousand placeholders costs more to build and send than the query takes to
    run. On SQLite it is IN with the values as they are; elsewhere Django's IN, which
    prepares each value through the field first.
    """

    lookup_name = "any_of"
    prepare_rhs = False  # the values are given as the column stores them

    def __init__(self, lhs, rhs):
        super().__init__(lhs, list(rhs))

    def as_sql(self, compiler, connection):
        if connection.vendor not in ("postgresql", "sqlite"):
            return compiler.compile(In(self.lhs, self.rhs))
        if not self.rhs:
            raise EmptyResultSet  # matches nothing, as IN () would
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*lhs_params, *self.rhs)


def insert_new_events(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> set[str] | None:
    """Insert rows given as {column: value}; rows whose client id exists are skipped.
    Returns the client ids this insert stored, or None where the backend cannot tell."""
    if not rows:
        return set()
    if connection.vendor == "postgresql":
        return _copy_insert(model, rows)
    if connection.vendor == "sqlite":
        inserted = _executemany_insert(model, rows)
        # SQLite has one writer at a time; a full count means every row is this call's.
        return {row["client_id"] for row in rows} if inserted == len(rows) else None
    model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
    return None


def lock_accounts(account_ids: set[int]) -> None:
    """Lock the accounts events are about, in id order, for the rest of the transaction:
    the activity task locks its accounts in the same order, so the two take turns instead
    of deadlocking on the foreign-key checks of the insert (deferred to COMMIT)."""
    if account_ids and connection.features.has_select_for_update:
        rows = Account.objects.filter(AnyOf(F("id"), account_ids)).order_by("pk")
        list(rows.select_for_update(no_key=True).values_list("pk", flat=True))


def _executemany_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> int:
    """What bulk_create(ignore_conflicts=True) does on SQLite - INSERT OR IGNORE, values
    prepared by each field's get_db_prep_save - without a model instance per row."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    defaults = {field.attname: field.get_default() for field in fields}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    insert = connection.ops.insert_statement(on_conflict=OnConflict.IGNORE)
    table = connection.ops.quote_name(meta.db_table)
    params = [
        [
            field.get_db_prep_save(row.get(field.attname, defaults[field.attname]), connection)
            for field in fields
        ]
        for row in rows
    ]
    # Identifiers come from the model's metadata, quoted; values travel as parameters.
    with connection.cursor() as cursor:
        cursor.executemany(f"{insert} {table} ({columns}) VALUES ({placeholders})", params)
        return cursor.rowcount


def _copy_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> set[str]:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    # COPY fills only what it is given: columns the rows leave out get the model defaults.
    defaults = {field.attname: field.get_default() for field in fields}
    json_columns = {field.attname for field in fields if isinstance(field, models.JSONField)}
    columns = list(defaults)
    quoted = ", ".join(connection.ops.quote_name(name) for name in columns)
    table = connection.ops.quote_name(meta.db_table)
    # The staging table stays for the connection's session instead of being created and
    # dropped by every batch (which churns the system catalogs): ON COMMIT DELETE ROWS
    # empties it at each commit, and it is emptied after use for another batch in the same
    # transaction. Its name carries the columns, so a changed schema gets a new one.
    digest = f"{zlib.crc32(quoted.encode()):08x}"
    staging = connection.ops.quote_name(f"staging_{meta.db_table}_{digest}")
    # Identifiers come from the model's metadata, quoted; values travel by COPY.
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{staging}"])
        if cursor.fetchone()[0] is None:
            cursor.execute(
                f"CREATE TEMP TABLE {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {quoted} FROM {table} WITH NO DATA"
            )
        with cursor.cursor.copy(f"COPY {staging} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                values = {**defaults, **row}
                copy.write_row(
                    [Jsonb(values[n]) if n in json_columns else values[n] for n in columns]
                )
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {staging} "  # noqa: S608
            "ON CONFLICT (workspace_id, client_id) DO NOTHING RETURNING client_id"
        )
        stored = {client_id for (client_id,) in cursor.fetchall()}
        cursor.execute(f"DELETE FROM {staging}")  # noqa: S608
    return stored


def move_first_seen_back(earliest: Mapping[int, datetime]) -> None:
    """Set each account's first_seen_at to its time in `earliest` where that is earlier,
    or where it has none.

    One UPDATE joined to the given values: the database compares, so concurrent batches
    only ever move the time back, and no account is read into Python. Accounts are
    updated in id order. SQLite before 3.33 (no UPDATE ... FROM) reads and writes them.
    """
    if not earliest:
        return
    ordered = sorted(earliest.items())
    table = connection.ops.quote_name(Account._meta.db_table)
    if connection.vendor == "postgresql":
        # Two array parameters, however many accounts.
        values = "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[])"
        params = [[pk for pk, _ in ordered], [moment for _, moment in ordered]]
    elif connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 33):
        adapt = connection.ops.adapt_datetimefield_value
        values = "VALUES " + ", ".join(["(%s, %s)"] * len(ordered))
        params = [value for pk, moment in ordered for value in (pk, adapt(moment))]
    else:
        _move_first_seen_back_in_python(earliest)
        return
    # The table name comes from the model's metadata, quoted; values travel as parameters.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH earliest (id, first_seen_at) AS ({values}) "  # noqa: S608
            f"UPDATE {table} SET first_seen_at = earliest.first_seen_at FROM earliest "
            f"WHERE {table}.id = earliest.id AND ({table}.first_seen_at IS NULL "
            f"OR {table}.first_seen_at > earliest.first_seen_at)",
            params,
        )


def _move_first_seen_back_in_python(earliest: Mapping[int, datetime]) -> None:
    accounts = Account.objects.filter(pk__in=earliest).only("first_seen_at").order_by("pk")
    moved = []
    for account in accounts:
        if account.first_seen_at is None or earliest[account.pk] < account.first_seen_at:
            account.first_seen_at = earliest[account.pk]
            moved.append(account)
    Account.objects.bulk_update(moved, ["first_seen_at"], batch_size=500)
