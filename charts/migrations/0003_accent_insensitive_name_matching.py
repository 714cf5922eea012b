"""Accent-insensitive candidates for matching chart tracks to catalog songs by name.

The name match first narrows the catalog with a trigram probe, then compares the normalised
keys (``charts.normalization.name_key``, which folds accents) in Python. The probe compared
raw text, so "Senorita" never found "Señorita" (word similarity 0.5, below pg_trgm's 0.6)
and the key comparison never ran. ``charts_fold(text)`` strips accents (unaccent) so the
probe compares folded text on both sides, served by trigram indexes on the folded catalog
titles and artist names. The indexes are on catalog tables but only charts' matching uses
them. ``unaccent`` is a contrib extension (trusted since PostgreSQL 13).
"""

from django.db import migrations

FOLD_FUNCTION = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE OR REPLACE FUNCTION charts_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, value) $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("charts", "0002_platform_charts_and_isrc"),
    ]

    operations = [
        migrations.RunSQL(FOLD_FUNCTION, "DROP FUNCTION IF EXISTS charts_fold(text);"),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS charts_song_title_fold_trgm ON catalog_song "
            "USING gin (charts_fold(title) gin_trgm_ops);",
            "DROP INDEX IF EXISTS charts_song_title_fold_trgm;",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS charts_artist_name_fold_trgm ON catalog_artist "
            "USING gin (charts_fold(name) gin_trgm_ops);",
            "DROP INDEX IF EXISTS charts_artist_name_fold_trgm;",
        ),
    ]
