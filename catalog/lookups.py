"""A case-insensitive substring lookup that the trigram GIN indexes can serve.

Django's ``icontains`` compiles to ``UPPER(col::text) LIKE UPPER(%s)``, which a
``gin_trgm_ops`` index on the bare column cannot use; ``col ILIKE %s`` can.
"""

from django.db.models import Lookup


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TrigramIContains(Lookup):
    lookup_name = "trgm_icontains"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [f"%{escape_like(str(value))}%"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", (*lhs_params, *rhs_params)


def register() -> None:
    """Register the lookup on the indexed fields only (song and album titles, artist name)."""
    from catalog.models import Album, Artist, Song

    for model, field in ((Song, "title"), (Album, "title"), (Artist, "name")):
        model._meta.get_field(field).register_lookup(TrigramIContains)
