"""The layers of docs/architecture.md, held by the package's own import graph: no import
circle, and no import from a lower layer to a higher one.

    cli/ -> flows/ -> output/, interview.py -> results.py -> clinical/, records/ -> errors.py,
    files.py, frozen.py, safe_text.py

Every import counts: at the top of a module, inside a function (lazy, for start-up) and
under TYPE_CHECKING alike, since each says which module depends on which.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

import backpain_cli

PACKAGE = Path(backpain_cli.__file__).resolve().parent
# The repository (or unpacked sdist) these tests came with: what pyproject.toml ships and
# what the architecture notes name are read there, not beside an installed copy.
ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "backpain_cli"
NAME = "backpain_cli"

# Lowest first; a module may import its own layer's modules and lower layers' only.
LAYERS: tuple[tuple[str, ...], ...] = (
    (NAME, f"{NAME}.errors", f"{NAME}.files", f"{NAME}.frozen", f"{NAME}.safe_text"),
    (f"{NAME}.clinical", f"{NAME}.records"),
    (f"{NAME}.results",),
    (f"{NAME}.output", f"{NAME}.interview"),
    (f"{NAME}.flows",),
    (f"{NAME}.cli", f"{NAME}.__main__"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The package's modules `name` imports, wherever the import statement is."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # `from . import storage` imports a module; `from .storage import x` a name.
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> int:
    """The layer of a module: that of the longest prefix named in LAYERS."""
    best = (-1, -1)
    for rank, members in enumerate(LAYERS):
        for member in members:
            if name == member or name.startswith(f"{member}."):
                best = max(best, (len(member), rank))
    assert best[1] >= 0, f"{name} is in no layer: add it to LAYERS and docs/architecture.md"
    return best[1]


def test_the_graph_is_read() -> None:
    """The walk sees imports at the top, in functions and relative ones."""
    assert f"{NAME}.flows.assess" in GRAPH[f"{NAME}.cli.assess"]
    assert f"{NAME}.interview" in GRAPH[f"{NAME}.cli.assess"]  # lazy, in a function
    assert f"{NAME}.records.storage" in GRAPH[f"{NAME}.records.targets"]
    assert f"{NAME}.records.index.listing" in GRAPH[f"{NAME}.flows.listing"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_from_a_lower_layer_to_a_higher_one(name: str) -> None:
    upward = sorted(t for t in GRAPH[name] if layer(t) > layer(name))
    assert upward == [], f"{name} (layer {layer(name)}) imports a higher layer"


@pytest.mark.parametrize(("lower", "higher"), [
    ("clinical", "output"), ("clinical", "flows"), ("clinical", "cli"),
    ("records", "output"), ("records", "flows"), ("records", "cli"),
    ("output", "flows"), ("output", "cli"), ("flows", "cli"),
])
def test_named_arrows_never_run_up(lower: str, higher: str) -> None:
    """The issue's own words (issue 18): clinical and records import neither output, flows
    nor cli; output imports neither flows nor cli; flows does not import cli."""
    def inside(name: str, folder: str) -> bool:
        return name.startswith(f"{NAME}.{folder}.") or name == f"{NAME}.{folder}"

    found = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if inside(m, lower)
                   for t in targets if inside(t, higher))
    assert found == []


def test_no_import_circle() -> None:
    """No module imports, directly or through others, a module that imports it back."""
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert [" -> ".join(c) for c in circles] == []


def test_every_package_of_the_layers_is_shipped() -> None:
    """pyproject.toml lists the packages by name: a folder missing there (records/index
    was, after the split of issue 18) is missing from every wheel, whatever the tests of a
    source checkout say."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in SOURCE.rglob("__init__.py")}
    assert sorted(folders - listed) == []


def test_the_architecture_notes_name_what_exists() -> None:
    """docs/architecture.md names every command of the table, and every file it names is
    there (a move leaves no stale name behind)."""
    from backpain_cli.cli.commands import COMMANDS

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert [name for name in COMMANDS if f"`{name}" not in text] == []
    named = re.findall(r"`((?:cli|flows|output|clinical|records|tests|docs)/[\w/.-]+)", text)
    assert named
    # `clinical/answers.questions_open` names a module's function: the module's file;
    # `records/index/` a folder.
    files = [n if n.endswith((".py", ".md", "/")) else f"{n.partition('.')[0]}.py"
             for n in named]
    missing = [f for f in files if not (SOURCE / f).exists() and not (ROOT / f).exists()]
    assert missing == []


def test_every_import_inside_a_function_says_why() -> None:
    """Imports are declared at the top; one inside a function (for a start-up budget, an
    optional extra, a rare path or an import circle) carries its reason: a comment in the
    function above it, or the function's docstring saying what is imported when."""
    unexplained = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").split("\n")
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            doc = (ast.get_docstring(fn) or "").lower()
            for node in ast.walk(fn):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                before = lines[fn.lineno - 1:node.lineno]
                if any("#" in line for line in before) or any(
                        word in doc for word in ("import", "only when", "lazy")):
                    continue
                unexplained.append(f"{name}:{node.lineno}")
    assert unexplained == []
