"""The layers of docs/architecture.md, read from its table, and the imports that break them.

The table is the single statement of the rule: each row names a layer, its rank (0 at the
bottom) and its modules; a module may import its own layer and the layers of lower rank, except
what the row's "never imports" column forbids. Modules are matched by the longest prefix, so
`taskdesk.store` covers `taskdesk.store.sql.claims` (the root package `taskdesk` stands for its
`__init__` alone)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TABLE_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*([\w ]+?)\s*\|([^|]*)\|([^|]*)\|")
MODULE = re.compile(r"`(taskdesk(?:\.\w+)*)`")


@dataclass(frozen=True)
class Layer:
    """One row of the table."""

    rank: int
    name: str
    modules: tuple[str, ...]
    never: tuple[str, ...]  # layers (by name) this one may not import although lower


def read_layers(page: Path) -> list[Layer]:
    """The layers table of docs/architecture.md, bottom first."""
    layers = []
    for line in page.read_text().splitlines():
        row = TABLE_ROW.match(line)
        if row:
            rank, name, members, never = row.groups()
            layers.append(Layer(int(rank), name, tuple(MODULE.findall(members)),
                                tuple(n.strip() for n in never.split(",") if n.strip())))
    return sorted(layers, key=lambda layer: layer.rank)


def layer_of(module: str, layers: list[Layer]) -> Layer | None:
    """The layer whose module prefix matches `module` longest (None: not placed)."""
    matches = [(len(prefix), layer) for layer in layers for prefix in layer.modules
               if module == prefix or (module.startswith(prefix + ".") and "." in prefix)]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def violations(graph: dict[str, set[str]], layers: list[Layer]) -> list[str]:
    """Every import that goes up a layer, sideways into a peer layer, or into a layer the
    importer's row forbids; and every module the table does not place."""
    found = []
    for module, targets in sorted(graph.items()):
        own = layer_of(module, layers)
        if own is None:
            found.append(f"{module}: in no layer of docs/architecture.md")
            continue
        found += [f"{module} ({own.name}) imports {target} ({layer.name})"
                  for target in sorted(targets)
                  if (layer := layer_of(target, layers)) is not None
                  and not _allowed(own, layer)]
    return found


def _allowed(importer: Layer, imported: Layer) -> bool:
    if imported.name == importer.name:
        return True
    return imported.rank < importer.rank and imported.name not in importer.never
