"""The package layout holds: imports go one way, from higher layers to lower ones.

Every module under ``symkan/`` is parsed (never imported) and every import of a symkan module
is collected: top-level ones, those inside functions and those under ``TYPE_CHECKING``. The
tests then check that

* every module has a layer in `LAYERS` (a new module or package: add it there);
* no module imports a module of a higher layer;
* the import graph has no cycle;
* no symkan module imports another inside a function or under ``TYPE_CHECKING``;
* no module imports another module's private (``_underscore``) names;
* no module is longer than `MAX_LINES`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1] / "symkan"

# Module or package prefix -> layer; a module may import only modules of its own layer or
# lower ones. The longest matching prefix wins; "symkan" alone is the package's __init__.
LAYERS: dict[str, int] = {
    "symkan.errors": 0,
    # the stages
    "symkan.data": 1,
    "symkan.kan": 1,
    "symkan.symbolic": 1,
    "symkan.formula": 1,
    # the search: shared types, the levers' helpers, the levers, the solver (the import
    # graph of the package has no cycle: types are imported by levers, levers by the solver)
    "symkan.search": 2,
    # the one place that chains the stages
    "symkan.pipeline": 3,
    # what a fit leaves behind
    "symkan.outputs": 4,
    "symkan.export": 4,
    # the doors
    "symkan.estimator": 5,
    "symkan.bench": 5,
    "symkan.cli": 5,
    "symkan": 5,
}

MAX_LINES = 450


@dataclass(frozen=True)
class Import:
    importer: str  # module that imports
    imported: str  # symkan module imported
    names: tuple[str, ...]  # names taken from it (empty for `import symkan.x`)
    where: str  # "top", "function" or "TYPE_CHECKING"
    line: int

    def __str__(self) -> str:
        names = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.importer}:{self.line} -> {self.imported}{names} [{self.where}]"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (ROOT.parent / rel).with_suffix(".py").is_file() or (
        ROOT.parent / rel / "__init__.py"
    ).is_file()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[Import]:
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = "function"
            elif isinstance(child, ast.If) and _is_type_checking(child.test) and where == "top":
                inner = "TYPE_CHECKING"
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "symkan" or alias.name.startswith("symkan."):
                        found.append(Import(me, alias.name, (), where, child.lineno))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                if source == "symkan" or source.startswith("symkan."):
                    plain = tuple(a.name for a in child.names if not is_module(f"{source}.{a.name}"))
                    if plain:
                        found.append(Import(me, source, plain, where, child.lineno))
                    for a in child.names:  # `from symkan.outputs import plots`: a module
                        if is_module(f"{source}.{a.name}"):
                            found.append(Import(me, f"{source}.{a.name}", (), where, child.lineno))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), "top")
    return found


FILES = sorted(ROOT.rglob("*.py"))
MODULES = {module_name(p): p for p in FILES}
IMPORTS = [imp for p in FILES for imp in imports_of(p)]


def layer(module: str) -> int | None:
    best = None
    for prefix, n in LAYERS.items():
        hit = module == prefix if prefix == "symkan" else (
            module == prefix or module.startswith(prefix + "."))
        if hit and (best is None or len(prefix) > len(best[0])):
            best = (prefix, n)
    return None if best is None else best[1]


def graph(imports) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    g.add_edges_from((i.importer, i.imported) for i in imports if i.importer != i.imported)
    return g


def upward(imports) -> list[str]:
    return [f"{i} (layer {layer(i.importer)} imports layer {layer(i.imported)})"
            for i in imports if layer(i.imported) is not None and layer(i.importer) is not None
            and layer(i.imported) > layer(i.importer)]


def cycles(imports) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.simple_cycles(graph(imports)))


def hidden(imports) -> list[str]:
    return [str(i) for i in imports if i.where != "top"]


def private(imports) -> list[str]:
    bad = []
    for i in imports:
        names = [n for n in i.names if n.startswith("_") and not n.startswith("__")]
        if names:
            bad.append(f"{i}: private names {names}")
        parts = i.imported.split(".")
        for k, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:k])  # a private module is private to its package
                if not (i.importer == owner or i.importer.startswith(owner + ".")):
                    bad.append(f"{i}: private module {'.'.join(parts[: k + 1])}")
    return bad


def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if layer(m) is None)
    assert not missing, (
        f"modules without a layer: {missing}; add their package or module to LAYERS in "
        f"{Path(__file__).name} (lower layers may not import higher ones)"
    )


def test_no_module_imports_a_higher_layer():
    assert upward(IMPORTS) == []


def test_the_import_graph_has_no_cycle():
    assert cycles(IMPORTS) == []


def test_no_imports_inside_functions_or_type_checking():
    assert hidden(IMPORTS) == []


def test_no_private_names_cross_modules():
    assert private(IMPORTS) == []


def test_levers_sit_below_the_solver():
    # a lever is a plug-in: it never imports the solver or the pipeline (it is handed
    # the solver when called), and the shared types import no lever
    levers = [i for i in IMPORTS if i.importer.startswith("symkan.search.levers")]
    assert levers and not [str(i) for i in levers if i.imported in (
        "symkan.search.solver", "symkan.pipeline")]
    assert not [str(i) for i in IMPORTS if i.importer == "symkan.search.types"
                and i.imported.startswith("symkan.search.levers")]


def test_no_module_is_too_long():
    long = {m: n for m, p in MODULES.items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by stage): {long}"


def test_the_collector_sees_every_kind_of_import():
    seen = {i.where for i in IMPORTS}
    assert "top" in seen
    assert any(i.imported == "symkan.outputs.plots" for i in IMPORTS)  # `from pkg import mod`
