"""Which package may import which, read from the source with ast so that no import is executed.

Every import counts: module level, inside functions, under `if TYPE_CHECKING:` — a lazy import still
ties the two modules together. Relative imports are resolved against the importing module's package.
Failure messages name the file, the line and the import as written.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "nlu", "handlers", "storage", "gridsec", "standin", "web")


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository
    line: int
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted (the most specific project module when it is one)
    text: str  # the statement as written

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _files() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
            if "__pycache__" not in p.parts}


MODULES = _files()


def _base(source: str, path: Path, node: ast.ImportFrom) -> str:
    """The package a `from ... import` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = source.split(".") if path.name == "__init__.py" else source.split(".")[:-1]
    package = package[:len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def _imports_of(source: str, path: Path) -> list[Import]:
    code = path.read_text(encoding="utf-8")
    rel = str(path.relative_to(ROOT))
    out = []
    for node in ast.walk(ast.parse(code, filename=str(path))):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        text = " ".join(ast.get_source_segment(code, node).split())
        if isinstance(node, ast.Import):
            out += [Import(rel, node.lineno, source, a.name, text) for a in node.names]
        else:
            base = _base(source, path, node)
            for a in node.names:
                sub = f"{base}.{a.name}" if base else a.name
                out.append(Import(rel, node.lineno, source, sub if sub in MODULES else base, text))
    return out


IMPORTS = [imp for name, path in MODULES.items() for imp in _imports_of(name, path)]


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def offending(importer: str, *forbidden: str) -> list[Import]:
    return sorted({i for i in IMPORTS if _under(i.source, importer) and any(_under(i.target, f) for f in forbidden)},
                  key=lambda i: (i.file, i.line))


def _report(what: str, found: list[Import]) -> str:
    return f"{what}:\n" + "\n".join(f"  {i}" for i in found)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None when the graph is acyclic (iterative DFS, three colours)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(edges):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(edges.get(start, ())))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges.get(nxt, ()))))
    return None


def _cycle_report(what: str, cycle: list[str], evidence: dict[tuple[str, str], set[Import]]) -> str:
    lines = [f"{what}: {' -> '.join(cycle)}"]
    for a, b in zip(cycle, cycle[1:]):
        lines.append(f"  {a} -> {b}:")
        lines += [f"    {i}" for i in sorted(evidence[a, b], key=lambda i: (i.file, i.line))]
    return "\n".join(lines)


def test_the_parser_sees_the_imports():
    """Guards the other tests against passing vacuously."""
    assert len(MODULES) > 40
    assert any(i.source == "nlu.client" and i.target == "bot.understanding" for i in IMPORTS)
    assert any(i.source == "nlu.server" and i.target == "nlu.router_train" for i in IMPORTS)  # lazy
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_bot_does_not_import_adapters_or_nlu():
    found = offending("bot", "telegram", "handlers", "gridsec", "standin", "nlu", "web")
    assert not found, _report("bot/ (the domain) imports telegram, handlers, gridsec, standin or nlu", found)


def test_nlu_does_not_import_bot_config():
    found = offending("nlu", "bot.config")
    assert not found, _report("nlu/ imports bot.config (it may use bot.understanding only)", found)


def test_storage_does_not_import_upper_layers():
    found = offending("storage", "bot", "handlers", "nlu", "gridsec")
    assert not found, _report("storage/ imports bot, handlers, nlu or gridsec", found)


def test_handlers_hold_no_queries():
    found = offending("handlers", "storage", "sqlalchemy")
    assert not found, _report("handlers/ imports storage or sqlalchemy", found)


def test_web_holds_no_queries_and_no_telegram():
    """web/ (the command centre) is an adapter like handlers/: the domain answers, it renders; of
    handlers/ it reads only the texts and the renderer's masking (the reporter shown as in chat)."""
    found = offending("web", "telegram", "sqlalchemy", "storage", "nlu", "gridsec", "standin")
    found += [i for i in offending("web", "handlers") if i.target not in ("handlers.texts", "handlers.render")]
    assert not found, _report("web/ imports telegram, sqlalchemy, storage, nlu, gridsec, standin or handlers "
                              "other than handlers.texts and handlers.render", found)


def test_no_cycles_between_top_level_packages():
    edges: dict[str, set[str]] = {p: set() for p in PACKAGES}
    evidence: dict[tuple[str, str], set[Import]] = {}
    for i in IMPORTS:
        a, b = i.source.split(".")[0], i.target.split(".")[0]
        if a != b and b in PACKAGES:
            edges[a].add(b)
            evidence.setdefault((a, b), set()).add(i)
    cycle = find_cycle(edges)
    assert cycle is None, _cycle_report("import cycle between packages", cycle, evidence)


def test_no_cycles_between_nlu_modules():
    edges: dict[str, set[str]] = {m: set() for m in MODULES if _under(m, "nlu")}
    evidence: dict[tuple[str, str], set[Import]] = {}
    for i in IMPORTS:
        if i.source in edges and i.target in edges and i.target != i.source:
            edges[i.source].add(i.target)
            evidence.setdefault((i.source, i.target), set()).add(i)
    cycle = find_cycle(edges)
    assert cycle is None, _cycle_report("import cycle inside nlu/", cycle, evidence)
