"""The house: geo/ in rooms by concern, imports only downward, no circles (read with ast).

Every import counts, also one inside a function: a lazy import is still a dependency. The rooms,
lowest first; a module may import its own room and the rooms below it:

    root (errors, config, files, i18n) < data < ingest < spatial < analysis < output
        < front ends (geo/__init__.py: the public API, geo/__main__.py: the command line, app.py)
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("root", "data", "ingest", "spatial", "analysis", "output", "front")
FRONT = {"geo", "geo.__main__"}
MAX_ROOT_MODULES = 8


def module_name(path: Path, top: Path) -> str:
    parts = list(path.relative_to(top.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of the package that the file at `path` (module `name`) imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import x`: the module pkg.x where x is one, else pkg (a name defined there)
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import geo.data.regions` -> that module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph(top: Path) -> dict[str, set[str]]:
    files = {module_name(p, top): p for p in sorted(top.rglob("*.py"))}
    return {name: imports_of(path, name, set(files)) for name, path in files.items()}


def room_of(module: str) -> str:
    if module in FRONT:
        return "front"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else "root"


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} ({room_of(a)}) imports {b} ({room_of(b)})"
                  for a, targets in edges.items() for b in targets
                  if ORDER.index(room_of(b)) > ORDER.index(room_of(a)))


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


# ----------------------------------------------------------------------------- the checks

def test_geo_has_no_import_circles():
    assert circles(graph(ROOT / "geo")) == []


def test_geo_imports_only_downward_between_rooms():
    edges = graph(ROOT / "geo")
    assert {room_of(m) for m in edges} == set(ORDER)
    assert upward_imports(edges) == []


def test_geo_root_holds_only_what_every_room_uses():
    modules = sorted(p.stem for p in (ROOT / "geo").glob("*.py"))
    assert len(modules) <= MAX_ROOT_MODULES, modules
    rooms = sorted(p.name for p in (ROOT / "geo").iterdir() if (p / "__init__.py").is_file())
    assert rooms == sorted(set(ORDER) - {"root", "front"})


def test_the_library_never_imports_streamlit():
    for path in (ROOT / "geo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("streamlit", "streamlit_folium") for n in names), path


def test_the_app_uses_the_public_api_and_the_root_modules_only():
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    used = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    used |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    reached = sorted(m for m in used if m.startswith("geo.") and room_of(m) != "root")
    assert reached == []


# ----------------------------------------------------------------------------- the checker itself

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    top = tmp_path / "geo"
    for name, text in files.items():
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return top


LAYOUT = {
    "__init__.py": "from importlib import import_module\n",
    "errors.py": "",
    "data/__init__.py": "", "data/regions.py": "from ..errors import X\n",
    "analysis/__init__.py": "", "analysis/views.py": "from ..data import regions\n",
    "analysis/targets.py": "from . import views\n",
    "output/__init__.py": "", "output/render.py": "from ..analysis.views import View\n",
}


def test_the_checker_finds_nothing_in_a_sound_layout(tmp_path):
    edges = graph(_package(tmp_path, LAYOUT))
    assert edges["geo.output.render"] == {"geo.analysis.views"}
    assert edges["geo.analysis.views"] == {"geo.data.regions"}
    assert circles(edges) == [] and upward_imports(edges) == []


@pytest.mark.parametrize("added, expected", [
    # a lazy import inside a function closes a circle as surely as one at the top
    ({"analysis/views.py": "from ..data import regions\ndef f():\n    from . import targets\n"},
     [["geo.analysis.targets", "geo.analysis.views"]]),
    ({"data/regions.py": "import geo.data.observations\n", "data/observations.py": "from .regions import x\n"},
     [["geo.data.observations", "geo.data.regions"]]),
])
def test_the_checker_finds_a_circle(tmp_path, added, expected):
    assert circles(graph(_package(tmp_path, LAYOUT | added))) == expected


def test_the_checker_finds_an_upward_import(tmp_path):
    edges = graph(_package(tmp_path, LAYOUT | {"data/regions.py": "def f():\n    from ..output import render\n"}))
    assert upward_imports(edges) == ["geo.data.regions (data) imports geo.output.render (output)"]
