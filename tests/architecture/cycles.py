"""Import cycles between packages: `taskdesk.store.sql.claims` counts as the package
`taskdesk.store`, a top-level module such as `taskdesk.registry` as itself."""

from __future__ import annotations

from collections.abc import Iterable


def package_of(module: str, depth: int = 2) -> str:
    """The first `depth` parts of a dotted name."""
    return ".".join(module.split(".")[:depth])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The module graph folded to packages, without self-edges."""
    folded: dict[str, set[str]] = {}
    for module, targets in graph.items():
        source = package_of(module)
        edges = folded.setdefault(source, set())
        edges.update(package_of(t) for t in targets if package_of(t) != source)
    return folded


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for after in graph.get(node, ()):
            if after not in order:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], order[after])
        if low[node] == order[node]:
            component = _pop_to(stack, node)
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return found


def _pop_to(stack: list[str], node: str) -> Iterable[str]:
    component = []
    while True:
        top = stack.pop()
        component.append(top)
        if top == node:
            return component
