"""The shape of the code: arrows point down. The folders of podcast/ are layers, in the order
of LAYERS; a module imports only modules of its own layer or below (imports inside functions
included), never in a cycle, no two layers import each other, and a stage never imports another
stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "podcast"

# The layers, lowest first: each is a folder of podcast/ (or, for pipeline, one module). The
# README's developer map describes the same order. A new module goes in a layer's folder.
LAYERS = ("core", "domain", "project", "edges", "stages", "release", "pipeline", "workflows", "cli")
TOP = {"__init__": 0, "__main__": len(LAYERS)}  # the package's version; the entry point


def layer(name: str) -> str:
    return name.split(".")[0]


def rank(name: str) -> int:
    return TOP[name] if name in TOP else LAYERS.index(layer(name))


def module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" and len(rel.parts) > 1 else rel.parts
    return ".".join(parts)


def imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """Package modules `path` imports, anywhere in the file."""
    name = module_name(path, root)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1] if node.level > 1 else package
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                candidate = f"{target}.{alias.name}" if target else alias.name
                found.add(candidate if candidate in KNOWN else target)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "podcast":
            target = node.module.removeprefix("podcast").lstrip(".")
            for alias in node.names:
                candidate = f"{target}.{alias.name}" if target else alias.name
                found.add(candidate if candidate in KNOWN else target or "__init__")
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("podcast.") for a in node.names if a.name.startswith("podcast."))
    return {f or "__init__" for f in found} - {name}


KNOWN = {module_name(p) for p in PACKAGE.rglob("*.py")}
MODULES = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_is_in_a_layer() -> None:
    stray = sorted(name for name in MODULES if name not in TOP and layer(name) not in LAYERS)
    assert not stray, f"put these modules in a layer's folder (or add the folder to LAYERS): {stray}"


def upward(name: str, targets: set[str]) -> list[str]:
    return sorted(target for target in targets if rank(target) > rank(name))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_upward_import(name: str) -> None:
    assert not upward(name, MODULES[name]), f"{name} ({layer(name)}) imports modules above it"


def test_no_two_layers_import_each_other() -> None:
    edges = {(layer(a), layer(b)) for a, targets in MODULES.items() for b in targets if layer(a) != layer(b)}
    both = sorted(f"{a} <-> {b}" for a, b in edges if (b, a) in edges and a < b)
    assert not both, f"layers that import each other: {both}"


def test_a_stage_never_imports_a_stage() -> None:
    for name, targets in MODULES.items():
        if name.startswith("stages."):
            others = sorted(t for t in targets if t.startswith("stages.") and t != name)
            assert not others, f"{name} imports other stages: {others}"


def test_no_import_cycles() -> None:
    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError("import cycle: " + " → ".join([*trail[trail.index(name) :], name]))
        for target in MODULES.get(name, ()):
            if target not in done:
                visit(target, [*trail, name])
        done.add(name)

    done: set[str] = set()
    for module in MODULES:
        visit(module, [])


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    """The rule itself can fail: a low module importing the pipeline inside a function is seen."""
    (tmp_path / "stages").mkdir()
    (tmp_path / "core").mkdir()
    low = tmp_path / "core" / "timecode.py"
    low.write_text("def f():\n    from .. import pipeline\n    from podcast.stages.upload import UploadStage\n")
    assert upward("core.timecode", imports(low, tmp_path)) == ["pipeline", "stages.upload"]
    stage = tmp_path / "stages" / "tag.py"
    stage.write_text("from .upload import UploadStage\nfrom ..core.errors import EpisodeError\n")
    assert imports(stage, tmp_path) == {"stages.upload", "core.errors"}
