"""The import graph of a source tree, read with `ast` (nothing is imported): every `import`
and `from … import` of taskdesk, at module level, inside functions and under TYPE_CHECKING
alike, since each is a dependency a reader has to follow."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT_PACKAGE = "taskdesk"


def module_name(source_root: Path, path: Path) -> str:
    """`src/taskdesk/store/sql/claims.py` → `taskdesk.store.sql.claims`."""
    parts = path.relative_to(source_root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(source_root: Path) -> dict[str, Path]:
    """Every module of the root package under `source_root`, by dotted name."""
    files = sorted((source_root / ROOT_PACKAGE).rglob("*.py"))
    return {module_name(source_root, path): path for path in files}


def imported_by(name: str, path: Path, known: set[str]) -> set[str]:
    """The taskdesk modules `path` (module `name`) imports, written absolute. `from a import b`
    imports the module `a.b` when there is one (`known`), else a name of `a`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return {target for target in _targets(ast.parse(path.read_text()), package, known)
            if target == ROOT_PACKAGE or target.startswith(ROOT_PACKAGE + ".")}


def _targets(tree: ast.AST, package: str, known: set[str]) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in known else base


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph(source_root: Path) -> dict[str, set[str]]:
    """Each module of the tree and the taskdesk modules it imports."""
    found = modules(source_root)
    return {name: imported_by(name, path, set(found)) for name, path in found.items()}
