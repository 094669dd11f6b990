"""A contract import-linter cannot say with its own types: every feature owns its tables.

A feature is a package directly under ``portal`` that has a ``models`` module. No module outside
that package imports its ``models`` directly (imports under ``if TYPE_CHECKING:`` are left out by
the session option ``exclude_type_checking_imports``): others go through the feature's services
or react to its events. A feature added tomorrow is covered the day it has models, with no line
to add here — which a ``forbidden`` contract per feature could not do, since each would have to
name every other feature as a source.
"""

from __future__ import annotations

from typing import Any

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class FeatureTablesContract(Contract):
    """Options: ``container`` (``portal``) and ``shared`` (packages under it that are not
    features and may not own tables either way: they are checked like any importer)."""

    container = fields.StringField()
    shared = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        container = str(self.container)
        features = sorted(
            module
            for module in graph.find_children(container)
            if f"{module}.models" in graph.modules
        )
        broken: list[dict[str, Any]] = []
        for feature in features:
            models = f"{feature}.models"
            for importer in sorted(graph.find_modules_that_directly_import(models)):
                if importer == feature or importer.startswith(f"{feature}."):
                    continue
                details = graph.get_import_details(importer=importer, imported=models)
                broken.append(
                    {
                        "importer": importer,
                        "models": models,
                        "lines": sorted(d["line_number"] for d in details),
                    }
                )
        output.verbose_print(verbose, f"features with tables: {', '.join(features)}")
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} imports {item['models']} ({lines}): ask that feature's "
                "services, or react to its events",
                bold=False,
            )
        output.new_line()


class FoundationsContract(Contract):
    """The packages every feature builds on (``foundations``: core, db, web, settings) import
    nothing else of ``container`` — no feature, however new — directly or through another."""

    container = fields.StringField()
    foundations = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        container = str(self.container)
        foundations = [str(f) for f in self.foundations]  # type: ignore[attr-defined]

        def inside(module: str, package: str) -> bool:
            return module == package or module.startswith(f"{package}.")

        def is_foundation(module: str) -> bool:
            return any(inside(module, f) for f in foundations)

        broken: list[dict[str, Any]] = []
        for foundation in foundations:
            sources = [foundation, *graph.find_descendants(foundation)]
            for source in sorted(m for m in sources if m in graph.modules):
                for imported in sorted(graph.find_modules_directly_imported_by(source)):
                    if inside(imported, container) and not is_foundation(imported):
                        lines = graph.get_import_details(importer=source, imported=imported)
                        broken.append(
                            {
                                "importer": source,
                                "imported": imported,
                                "lines": sorted(d["line_number"] for d in lines),
                            }
                        )
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} imports {item['imported']} ({lines}): what every feature "
                "shares cannot depend on one; let the feature declare it (portal/web/feature.py)",
                bold=False,
            )
        output.new_line()
