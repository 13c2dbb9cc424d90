"""The package layout's rules, read from the source: who may import whom."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "src" / "remnastore"


def _modules() -> dict[str, set[str]]:
    """Each module of the package (its path below remnastore/) -> the remnastore modules it imports."""
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("db/migrations/"):
            continue
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        found[relative] = {name for name in imported if name.startswith("remnastore.")}
    return found


def _package(name: str) -> str:
    """``remnastore.services.checkout`` -> ``services``; ``bot/keyboards/pager.py`` -> ``bot``."""
    parts = name.removeprefix("remnastore.").replace("/", ".").removesuffix(".py").split(".")
    return parts[0]


def test_no_package_imports_a_package_that_imports_it_back() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imported in _modules().items():
        for name in imported:
            if _package(name) != _package(module):
                edges[_package(module)].add(_package(name))
    cycles = sorted(
        f"{a} <-> {b}" for a, targets in edges.items() for b in targets if a < b and a in edges.get(b, set())
    )
    assert cycles == []


def test_only_the_composition_root_imports_the_bot() -> None:
    importers = sorted(
        module
        for module, imported in _modules().items()
        if not module.startswith("bot/") and any(_package(name) == "bot" for name in imported)
    )
    assert importers
    assert [m for m in importers if m != "app.py" and not m.startswith("wiring/")] == []


def test_services_and_domain_never_import_aiogram_or_the_web() -> None:
    offenders = []
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "domain").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.split(".")[0] in ("aiogram", "aiohttp") or name.startswith(
                    ("remnastore.web", "remnastore.bot")
                ):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_the_domain_imports_nothing_of_the_shop_but_itself() -> None:
    outside = sorted(
        f"{module}: {name}"
        for module, imported in _modules().items()
        if module.startswith("domain/")
        for name in imported
        if _package(name) != "domain"
    )
    assert outside == []
