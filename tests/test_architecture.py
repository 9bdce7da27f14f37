"""The shape of the code: arrows point down. Every module has a rank; a module imports only
modules of its rank or below (imports inside functions included), never in a cycle, and a
stage never imports another stage. A new module must be given a rank here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "podcast"

# Lowest first. The README's developer section describes the same map.
RANKS: dict[int, tuple[str, ...]] = {
    0: (
        "__init__",
        "core",
        "domain",
        "project",
        "edges",
        "release",
        "workflows",
        "core.errors",
        "core.timecode",
        "core.fsutil",
        "core.progress",
        "core.i18n",
        "core.report",
        "project.producer_files",
        "domain.apple",
    ),
    1: ("project.config",),
    2: (
        "project.ids",
        "domain.transcript",
        "domain.glossary",
        "domain.edits",
        "domain.suggestions",
        "domain.chapters",
        "edges.ffmpeg",
        "edges.whisper",
        "edges.storage",
        "edges.images",
        "project.state",
        "edges.http",
        "project.ledger",
        "project.imported_feed",
    ),
    3: ("project.episode", "domain.markers"),
    4: (
        "release.notes",
        "release.catalog",
        "edges.diarize",
        "domain.feedreader",
        "domain.levels",
        "edges.filtergraphs",
    ),
    5: (
        "release.rss",
        "release.site",
        "release.search",
        "release.check",
        "stages",
        "stages.process",
        "stages.transcribe",
        "stages.tag",
        "stages.upload",
        "workflows.quote",
        "workflows.newsletter",
        "workflows.bucket",
        "workflows.artwork",
        "workflows.transcripts",
        "workflows.scaffold",
        "workflows.doctor",
        "workflows.serve",
        "workflows.models",
        "workflows.move",
    ),
    6: ("pipeline",),
    7: (
        "workflows.removal",
        "workflows.importer",
        "workflows.review",
        "workflows.demo",
        "workflows.markers",
        "workflows.suggest",
    ),
    8: (
        "cli.ui",
        "cli",
        "cli.base",
        "cli.production",
        "cli.publishing",
        "cli.reuse",
        "cli.artwork",
        "cli.moving",
        "cli.editing",
        "__main__",
    ),
}
RANK = {name: rank for rank, names in RANKS.items() for name in names}


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
                found.add(candidate if candidate in RANK else target)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "podcast":
            target = node.module.removeprefix("podcast").lstrip(".")
            for alias in node.names:
                candidate = f"{target}.{alias.name}" if target else alias.name
                found.add(candidate if candidate in RANK else target or "__init__")
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("podcast.") for a in node.names if a.name.startswith("podcast."))
    return {f or "__init__" for f in found} - {name}


MODULES = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_rank() -> None:
    missing = sorted(set(MODULES) - set(RANK))
    assert not missing, f"give these modules a rank in tests/test_architecture.py: {missing}"


def upward(name: str, targets: set[str]) -> list[str]:
    return sorted(target for target in targets if RANK.get(target, -1) > RANK[name])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_upward_import(name: str) -> None:
    assert not upward(name, MODULES[name]), f"{name} (rank {RANK[name]}) imports modules above it"


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
