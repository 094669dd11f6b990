"""Fuzzing the pages: what the app takes in (its POST routes, the form fields it reads), and
what came back (answers by route and status, and where each 5xx came from).

``post_routes`` reads the routes from the Litestar app itself and ``form_fields_read`` reads the
field names from the source, so a route or a field added tomorrow is fuzzed without anyone
remembering to list it; what they cannot read is reported as a problem for a guard test. What
is sent is in tests.support.hostile.
"""

from __future__ import annotations

import ast
import inspect
import logging
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

# -- the app's inventory ----------------------------------------------------------------------


@dataclass(frozen=True)
class PostRoute:
    """A path that takes POST: its template (``/patients/{patient_id:str}/edit``), its path
    parameters by name, and the handler that answers it."""

    path: str
    parameters: tuple[str, ...]
    handler: Any


def post_routes(app: Litestar, exclude: tuple[str, ...] = ()) -> list[PostRoute]:
    """Every route of ``app`` that accepts POST, less the paths starting with ``exclude``."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(exclude):
            continue
        for handler in route.route_handlers:
            if "POST" in handler.http_methods:
                found.append(PostRoute(route.path, tuple(route.path_parameters), handler))
    return sorted(found, key=lambda r: r.path)


FIELD_READERS = ("form_text", "scanned_text")
BOUND_FORMS = ("URL_ENCODED", "MULTI_PART")
"""Helpers of portal.web.forms that read one named field (the name is their second argument)."""


@dataclass
class FieldScan:
    """The form field names the source reads, and the reads it could not name (``problems``:
    ``path:line: what``)."""

    names: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _default_field_name(reader: str) -> str | None:
    from portal.web import forms

    parameter = inspect.signature(getattr(forms, reader)).parameters["name"]
    return None if parameter.default is inspect.Parameter.empty else str(parameter.default)


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's own text constants (``FORM_FIELD = "_csrf_token"``)."""
    return {
        target.id: statement.value.value
        for statement in tree.body
        if isinstance(statement, ast.Assign | ast.AnnAssign)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
        for target in (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        if isinstance(target, ast.Name)
    }


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{owner}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


def _awaits_form(node: ast.expr | None) -> bool:
    """``await <anything>.form()``: a request's form data."""
    return (
        isinstance(node, ast.Await)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "form"
    )


class _FieldReads(ast.NodeVisitor):
    def __init__(self, where: str, scan: FieldScan, constants: dict[str, str]) -> None:
        self.where = where
        self.scan = scan
        self.constants = constants
        self.parameters: list[set[str]] = [set()]
        self.form_variables: list[set[str]] = [set()]

    def _literal(self, node: ast.expr | None) -> str | None:
        """The text a name argument stands for: written out, or a module constant."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return self.constants.get(node.id) if isinstance(node, ast.Name) else None

    def _problem(self, node: ast.AST, what: str) -> None:
        self.scan.problems.append(f"{self.where}:{getattr(node, 'lineno', 0)}: {what}")

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        # Names a helper gets from its caller: its parameters, and loop variables over them
        # (FormState.read walks the {field: limit} dict its callers write out).
        loops = {
            target.id
            for statement in ast.walk(node)
            if isinstance(statement, ast.For)
            for target in ast.walk(statement.target)
            if isinstance(target, ast.Name)
        }
        self.parameters.append({a.arg for a in arguments} | loops)
        self.form_variables.append(
            {
                target.id
                for statement in ast.walk(node)
                if isinstance(statement, ast.Assign) and _awaits_form(statement.value)
                for target in statement.targets
                if isinstance(target, ast.Name)
            }
        )
        self.generic_visit(node)
        self.parameters.pop()
        self.form_variables.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _name_argument(self, call: ast.Call, reader: str) -> None:
        node = call.args[1] if len(call.args) > 1 else None
        node = next((k.value for k in call.keywords if k.arg == "name"), node)
        if node is None:
            default = _default_field_name(reader)
            if default is None:
                self._problem(call, f"{reader}() without a field name")
            else:
                self.scan.names.add(default)
        elif (name := self._literal(node)) is not None:
            self.scan.names.add(name)
        elif not (isinstance(node, ast.Name) and node.id in self.parameters[-1]):
            # A helper passing on what its caller gave it is fine (the caller names the field).
            self._problem(call, f"{reader}() reads a field whose name is not written out")

    def visit_Call(self, node: ast.Call) -> None:
        called = _called_name(node)
        if called.rsplit(".", 1)[-1] == "Body" and any(
            k.arg == "media_type" and ast.unparse(k.value).endswith(BOUND_FORMS)
            for k in node.keywords
        ):
            self._problem(node, "a form bound to a model: list its fields for the fuzzer")
        reader = called.rsplit(".", 1)[-1]
        if reader in FIELD_READERS:
            self._name_argument(node, reader)
        elif called == "FormState.read":
            limits = node.args[1] if len(node.args) > 1 else None
            keys = limits.keys if isinstance(limits, ast.Dict) else None
            if keys is None or any(self._literal(k) is None for k in keys):
                self._problem(node, "FormState.read() without a literal {field: limit} dict")
            else:
                self.scan.names.update(self._literal(k) or "" for k in keys)
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "getall", "getone", "getlist")
            and (self._is_form(node.func.value))
        ):
            name = self._literal(node.args[0]) if node.args else None
            if name is None:
                self._problem(node, "form data read with a name that is not written out")
            else:
                self.scan.names.add(name)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self._is_form(node.value):
            name = self._literal(node.slice)
            if name is None:
                self._problem(node, "form data read with a name that is not written out")
            else:
                self.scan.names.add(name)
        self.generic_visit(node)

    def _is_form(self, node: ast.expr) -> bool:
        return _awaits_form(node) or (
            isinstance(node, ast.Name) and node.id in self.form_variables[-1]
        )


def form_fields_read(root: Path) -> FieldScan:
    """Every form field name the Python source under ``root`` reads: through ``form_text`` and
    ``scanned_text``, ``FormState.read``'s limits, and ``.get``/``[...]`` on ``await
    request.form()``. Forms bound to a model (``Body(media_type=RequestEncodingType.URL_ENCODED)``
    or MULTI_PART) are reported as problems: the fuzzer would need their fields listed."""
    scan = FieldScan()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _FieldReads(str(path.relative_to(root.parent)), scan, _constants(tree)).visit(tree)
    return scan


# -- what came back ---------------------------------------------------------------------------


class ServerErrors(logging.Handler):
    """Keeps the exceptions the app logs (portal.errors logs every unhandled one), so a 5xx in
    the report says where it came from."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            frames = traceback.extract_tb(record.exc_info[2])
            ours = [f for f in frames if "/portal/" in f.filename] or frames
            where = " <- ".join(
                f"{f.filename.rsplit('/portal/', 1)[-1]}:{f.lineno}" for f in reversed(ours[-3:])
            )
            self.seen.append(
                f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]} at {where}"
            )

    def take(self) -> str:
        taken, self.seen = "; ".join(self.seen), []
        return taken


@dataclass
class Tally:
    """Answers counted by route and status, and every 5xx kept for the report."""

    counts: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def count(self, route: str, status: int, what: str) -> None:
        self.counts[(route, status)] += 1
        if status >= 500:
            self.failures.append(f"{status} {route}: {what}")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def table(self) -> str:
        routes = sorted({route for route, _ in self.counts})
        statuses = sorted({status for _, status in self.counts})
        width = max([len(r) for r in routes] + [5])
        lines = [f"{'route':<{width}} " + " ".join(f"{s:>4}" for s in statuses)]
        for route in routes:
            cells = " ".join(f"{self.counts[(route, s)] or '.':>4}" for s in statuses)
            lines.append(f"{route:<{width}} {cells}")
        totals = " ".join(
            f"{sum(n for (_, s), n in self.counts.items() if s == k):>4}" for k in statuses
        )
        lines.append(f"{'total':<{width}} {totals}   ({self.total} posts)")
        return "\n".join(lines)
