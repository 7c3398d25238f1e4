"""Checks on the package's shape: import cost and the import graph."""

import subprocess
import sys

import pytest


def _modules_imported_by(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_import_nuptse_does_not_import_torch():
    mods = _modules_imported_by("import nuptse, nuptse.timing, nuptse.manifest")
    assert "torch" not in mods


def test_top_level_reexports_resolve_lazily():
    import nuptse

    for name in nuptse.__all__:
        assert getattr(nuptse, name) is not None, name
    with pytest.raises(AttributeError):
        nuptse.does_not_exist  # noqa: B018


def test_no_import_cycles():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("nuptse")
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    # Tarjan's strongly connected components: any component larger than one
    # module is an import cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[set[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(comp)

    sys.setrecursionlimit(10000)
    for m in sorted(edges):
        if m not in index:
            visit(m)
    assert cycles == [], f"import cycles: {cycles}"
