"""Bulk SQL: COPY rows into a table in one statement (DESIGN.md §6 rule 9).

COPY is several times faster than ``bulk_create`` for tens of thousands of rows: no model
instances, one round trip. It does not skip conflicts, so callers pass rows known to be new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection


def copy_rows(*, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY ``rows`` (tuples in ``columns`` order) into ``table``; the number of rows."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
