"""``manage.py export_postman``: the API as a Postman collection (v2.1.0), from the schema."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from music_platform.postman import collection_from_schema


class Command(BaseCommand):
    help = (
        "Write a Postman collection (v2.1.0) of every API operation, built from the OpenAPI"
        " schema: one folder per tag, bearer auth from the accessToken variable, requests on"
        " {{baseUrl}}, example bodies."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            default="-",
            help="File to write (default: standard output).",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Initial value of the collection's baseUrl variable.",
        )

    def handle(self, *args, output: str, base_url: str, **options):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        # Rendered and read back: plain JSON types (no lazy strings or ordered dicts).
        document = json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
        collection = collection_from_schema(document, base_url=base_url)
        text = json.dumps(collection, indent=2, ensure_ascii=False) + "\n"
        if output == "-":
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        requests = sum(len(folder["item"]) for folder in collection["item"])
        self.stderr.write(
            f"Wrote {output}: {requests} requests in {len(collection['item'])} folders."
        )
