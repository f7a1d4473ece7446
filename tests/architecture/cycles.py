"""Import cycles between packages: `taskdesk.store.sql.claims` counts as the package
`taskdesk.store`, a top-level module such as `taskdesk.registry` as itself."""

from __future__ import annotations


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


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every node an import path leads to from `start` (not `start` itself unless a cycle
    leads back)."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of packages that import their way back into each other (the strongly
    connected components of more than one node), each sorted; a graph of a few dozen
    packages needs nothing cleverer than reachability."""
    reach = {node: reachable(graph, node) for node in graph}
    groups = {tuple(sorted(n for n in reach[node] if node in reach.get(n, ())))
              for node in graph if node in reach[node]}
    return sorted(list(group) for group in groups if len(group) > 1)
