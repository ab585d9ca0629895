"""The house rules of src/swellfem: imports run one way down the pipeline, with no cycles.

Checked statically from the source (every import, also those inside functions):
case -> geometry -> physics -> potassiation -> results -> studies -> cli, with view (pictures
of written results) used by studies only. ``swellfem`` (the version), ``swellfem._backend``
(import order of the FEniCSx stack), ``swellfem.exact`` (analytic solutions),
``swellfem.formatting`` (numbers as text) and ``swellfem.sphere1d`` (the 1D spherical solver: the
tests' reference and the engine of ``spherical-1d``) are the ground floor; the case, geometry and
view steps never reach dolfinx.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
GROUND = {"swellfem", "swellfem._backend", "swellfem.exact", "swellfem.formatting", "swellfem.interrupt",
          "swellfem.sphere1d"}
#: the steps each step may import (besides itself and the ground floor)
ALLOWED = {
    "case": set(),
    "geometry": {"case"},
    "physics": {"case", "geometry"},
    "potassiation": {"case", "physics"},
    "results": {"physics"},
    "view": set(),
    "studies": {"case", "geometry", "physics", "potassiation", "results", "view"},
    "cli": {"case", "geometry", "physics", "potassiation", "results", "view", "studies"},
}
NO_SOLVER = {"case", "geometry", "view"}  # steps that must work without dolfinx


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "swellfem").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """swellfem modules imported by module ``name`` (resolved to modules that exist)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{a.name}" for a in node.names] + [stem]
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t.startswith("swellfem") and t != name:
                found.add(t)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _step(module: str) -> str | None:
    if module in GROUND:
        return None
    return module.split(".")[1]


def test_every_module_belongs_to_a_step():
    for module in _graph():
        step = _step(module)
        assert step is None or step in ALLOWED, f"{module} is in no pipeline step"


def test_imports_run_down_the_pipeline():
    wrong = []
    for module, targets in _graph().items():
        step = _step(module)
        for t in targets:
            if t in GROUND:
                if step in NO_SOLVER and t == "swellfem._backend":
                    wrong.append(f"{module} -> {t} (this step must not need dolfinx)")
                continue
            if step is None:
                wrong.append(f"{module} (ground floor) -> {t}")
            elif _step(t) != step and _step(t) not in ALLOWED[step]:
                wrong.append(f"{module} -> {t}")
    assert not wrong, "imports against the pipeline:\n" + "\n".join(wrong)


def test_no_import_cycles():
    graph = _graph()
    # A package's __init__ re-exports its modules; an edge into a package means its __init__.
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: a fake package with an upward import and a cycle."""
    pkg = tmp_path / "swellfem"
    (pkg / "case").mkdir(parents=True)
    (pkg / "physics").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "case" / "__init__.py").write_text("from ..physics import x\n")
    (pkg / "physics" / "__init__.py").write_text("from .x import y\n")
    (pkg / "physics" / "x.py").write_text("from . import y\n")
    (pkg / "physics" / "y.py").write_text("from .x import z\n")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path)
    graph = _graph()
    assert "swellfem.physics" in graph["swellfem.case"]
    assert "swellfem.physics.y" in graph["swellfem.physics.x"] and "swellfem.physics.x" in graph["swellfem.physics.y"]
    try:
        test_imports_run_down_the_pipeline()
    except AssertionError as exc:
        assert "swellfem.case -> swellfem.physics" in str(exc)
    else:
        raise AssertionError("the upward import was not seen")
    try:
        test_no_import_cycles()
    except AssertionError as exc:
        assert "swellfem.physics.x" in str(exc)
    else:
        raise AssertionError("the cycle was not seen")
