"""Offline evaluation of the recommendation engine against a popularity baseline.

Reads a tab-separated ``user, item, weight`` file with a header (the HetRec Last.fm
format), splits it with the fixed protocol of ``recommendations.evaluation`` and prints
precision, recall and nDCG at k and catalogue coverage for both models.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations import engine, evaluation


class Command(BaseCommand):
    help = "Evaluate the engine and a popularity baseline on an interactions file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interactions",
            default=None,
            help=(
                "Tab-separated user, item, weight file with a header line"
                " (default: the HetRec Last.fm file under the MUSIC_DATA_DIR setting)."
            ),
        )
        parser.add_argument(
            "--seed",
            type=int,
            nargs="+",
            default=[42],
            help="Split seed(s); several seeds print one table row per model and seed.",
        )
        parser.add_argument("--k", type=int, default=10, help="Cut-off of the metrics.")

    def handle(self, *args, **options):
        path = Path(options["interactions"] or evaluation.hetrec_path())
        if not path.is_file():
            hint = "" if options["interactions"] else " (set MUSIC_DATA_DIR or pass --interactions)"
            raise CommandError(f"No interactions file at {path}{hint}.")
        if options["k"] < 1:
            raise CommandError("--k must be at least 1.")
        try:
            interactions = evaluation.load_interactions(path)
        except ValueError as exc:
            raise CommandError(f"Could not read {path}: {exc}") from exc
        self.stdout.write(
            f"{len(interactions.weights)} interactions, {len(set(interactions.users))} users, "
            f"{len(set(interactions.items))} items in {path.name}"
        )
        rows = {}
        for seed in options["seed"]:
            data = evaluation.split(interactions, seed=seed)
            suffix = f" (seed {seed})" if len(options["seed"]) > 1 else ""
            self.stdout.write(f"seed {seed}: {len(data.test)} test users")
            rows[f"engine{suffix}"] = evaluation.evaluate(engine.Recommender, data, k=options["k"])
            rows[f"popularity baseline{suffix}"] = evaluation.evaluate(
                engine.PopularityRecommender, data, k=options["k"]
            )
        self.stdout.write(evaluation.format_table(rows, k=options["k"]))
