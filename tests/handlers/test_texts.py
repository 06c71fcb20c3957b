"""Every text a renderer can ask for exists in handlers/texts.py, with the placeholders its call fills.

A missing key, or a keyword the text needs and the call leaves out (str.format), is a KeyError in front
of a resident, so the keys are read from the source with ast rather than found by running every path:
literal first arguments of t(...) and .say(...); f-string keys expanded over the values they can take
(traced to literals in the code, else the domain's tables); variable keys traced to the literals
assigned to them or passed for them. A dynamic key that cannot be traced fails the test, so that a new
one gets a value set here instead of going unchecked.
"""
from __future__ import annotations

import ast
import itertools
import string
from dataclasses import dataclass
from pathlib import Path

from bot.cases import NOTIFY, RATING_SCORES
from bot.deadlines import PHASES
from bot.lifecycle import STATUS_REASONS, Action, Status
from bot.people import OFFICER_ROLES
from bot.ports import Audience
from handlers import keyboards, render
from handlers.texts import ACTIONS, BUTTONS, ROLES, SCORES, STATUS, T

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "nlu", "handlers", "storage", "gridsec", "standin")
TABLES = {"BUTTONS": BUTTONS, "STATUS": STATUS, "ACTIONS": ACTIONS, "ROLES": ROLES, "SCORES": SCORES}

# Values of f-string keys whose variable part comes from the domain rather than from a literal nearby.
# render._ping gives these actions texts of their own; every other action the reporter or the assignees
# hear about is told as n_<action>.
OWN_TEXTS = {Action.REMIND, Action.ESCALATE, Action.SUPERVISE, Action.EXTEND, Action.ASK_RATING, Action.DISPUTE}
NOTICES = {str(a) for a, heard_by in NOTIFY.items()
           if {Audience.REPORTER, Audience.ASSIGNEES} & set(heard_by) and a not in OWN_TEXTS}
DOMAIN_VALUES = {"n_": NOTICES, "phase_": set(PHASES), "ping_remind_": set(PHASES)}


@dataclass
class Call:
    where: str  # file:line
    key: ast.expr  # the first argument
    keywords: set[str] | None  # None when **params hide them
    scopes: list[ast.AST]  # enclosing functions, innermost last
    module: ast.Module


def placeholders(text: str) -> set[str]:
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(text) if f}


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


SOURCES = {str(p.relative_to(ROOT)): _parse(p) for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
           if "__pycache__" not in p.parts}


def _from_texts(tree: ast.Module) -> set[str]:
    """The names a module imports from handlers.texts under their own name."""
    return {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "handlers.texts"
            for a in n.names if a.asname in (None, a.name)}


def _keywords(node: ast.Call, scopes: list[ast.AST]) -> set[str] | None:
    """The keywords a call passes, `**params` included when params is built by dict(...) in an enclosing
    function; None when they cannot be known."""
    names = set()
    for k in node.keywords:
        built = {k.arg} if k.arg else _dict_keys(k.value, scopes)
        if built is None:
            return None
        names |= built
    return names


def _dict_keys(expr: ast.expr, scopes: list[ast.AST]) -> set[str] | None:
    """The keys of `params = dict(a=..., b=...)` (and of any `params["c"] = ...` beside it)."""
    if not isinstance(expr, ast.Name):
        return None
    for scope in reversed(scopes):
        made = [n.value for n in ast.walk(scope) if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and n.targets[0].id == expr.id]
        if not made:
            continue
        value = made[0]
        if len(made) > 1 or not (isinstance(value, ast.Call) and getattr(value.func, "id", None) == "dict"
                                 and not value.args and all(kw.arg for kw in value.keywords)):
            return None
        added = {t.slice.value for n in ast.walk(scope) if isinstance(n, ast.Assign) for t in n.targets
                 if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == expr.id
                 and isinstance(t.slice, ast.Constant)}
        return {kw.arg for kw in value.keywords} | added
    return None


def _calls() -> list[Call]:
    out: list[Call] = []
    for rel, tree in SOURCES.items():
        with_t = "t" in _from_texts(tree)

        def visit(node: ast.AST, scopes: list[ast.AST]) -> None:
            # Turn.say forwards its key to t(); its callers are the .say(...) calls collected here.
            forwarding = bool(scopes) and scopes[-1].name == "say"
            if isinstance(node, ast.Call) and node.args and not forwarding and (
                    (with_t and isinstance(node.func, ast.Name) and node.func.id == "t")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "say")):
                out.append(Call(f"{rel}:{node.lineno}", node.args[0], _keywords(node, scopes), scopes, tree))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                scopes = scopes + [node]
            for child in ast.iter_child_nodes(node):
                visit(child, scopes)

        visit(tree, [])
    return out


CALLS = _calls()


def _module_tables(module: ast.Module) -> dict[str, ast.Dict]:
    out = {}
    for node in module.body:
        target = (node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1
                  else getattr(node, "target", None))
        if isinstance(target, ast.Name) and isinstance(getattr(node, "value", None), ast.Dict):
            out[target.id] = node.value
    return out


def _values(expr: ast.expr, call: Call) -> set[str] | None:
    """The strings an expression can give where `call` reads it; None when that is not plain from the source.

    Literals, either branch of `a if c else b`, `a or b`, a module-level dict read by `.get()` or `[]`
    (its values), `next((k for k in (...) if ...), default)`, and variables traced by _trace.
    """
    if isinstance(expr, ast.Constant):
        return {expr.value} if isinstance(expr.value, str) else None
    if isinstance(expr, ast.Name):
        return _trace(expr.id, call)
    if isinstance(expr, ast.IfExp):
        parts = [_values(expr.body, call), _values(expr.orelse, call)]
    elif isinstance(expr, ast.BoolOp):
        parts = [_values(v, call) for v in expr.values]
    elif isinstance(expr, ast.JoinedStr):
        return _fstring_values(expr, call)
    elif (table := _table_read(expr, call.module)) is not None:
        return {v.value for v in table.values if isinstance(v, ast.Constant) and isinstance(v.value, str)} or None
    elif (isinstance(expr, ast.Call) and getattr(expr.func, "id", None) == "next" and len(expr.args) == 2
          and isinstance(expr.args[0], ast.GeneratorExp)):
        parts = [_values(e, call) for e in getattr(expr.args[0].generators[0].iter, "elts", [None])]
        parts.append(_values(expr.args[1], call))
    else:
        return None
    return None if any(p is None for p in parts) else set().union(*parts)


def _table_read(expr: ast.expr, module: ast.Module) -> ast.Dict | None:
    """The module-level dict literal that `TABLE.get(...)` or `TABLE[...]` reads, if it is one."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get":
        name = expr.func.value
    elif isinstance(expr, ast.Subscript):
        name = expr.value
    else:
        return None
    return _module_tables(module).get(name.id) if isinstance(name, ast.Name) else None


def _arguments(func: ast.FunctionDef, name: str, module: ast.Module) -> set[str] | None:
    """The literals passed for parameter `name` wherever the module calls `func`; None if any is not one."""
    params = [a.arg for a in func.args.posonlyargs + func.args.args]
    values: set[str] = set()
    calls = [n for n in ast.walk(module) if isinstance(n, ast.Call)
             and getattr(n.func, "id", getattr(n.func, "attr", None)) == func.name]
    for call in calls:
        shift = 1 if params[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute) else 0
        arg = next((k.value for k in call.keywords if k.arg == name), None)
        if arg is None and name in params and params.index(name) - shift < len(call.args):
            arg = call.args[params.index(name) - shift]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return None
        values.add(arg.value)
    return values or None


def _trace(name: str, call: Call) -> set[str] | None:
    """What a variable can hold where the call reads it: the values assigned to it in an enclosing
    function, or the literals passed for it when it is a parameter."""
    for scope in reversed(call.scopes):
        assigned = [n.value for n in ast.walk(scope) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
        if assigned:
            parts = [_values(v, call) for v in assigned]
            return None if any(p is None for p in parts) else set().union(*parts)
        args = scope.args
        if name in [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]:
            return _arguments(scope, name, call.module)
    return None


def _fstring_values(key: ast.JoinedStr, call: Call) -> set[str] | None:
    """Every expansion of an f-string key; a part not traceable in the code takes DOMAIN_VALUES[prefix]."""
    prefix = key.values[0].value if isinstance(key.values[0], ast.Constant) else ""
    choices = []
    for part in key.values:
        if isinstance(part, ast.Constant):
            choices.append({part.value})
        else:
            values = _values(part.value, call) or DOMAIN_VALUES.get(prefix)
            if values is None:
                return None
            choices.append(values)
    return {"".join(p) for p in itertools.product(*choices)}


def keys_of(call: Call) -> set[str] | None:
    """The keys a call can ask for; None when they cannot be traced."""
    return _values(call.key, call)


def _is_refusal_reason(call: Call) -> bool:
    """handlers/common.py says a refusal's reason; those keys are checked by test_refusal_reasons_exist."""
    return isinstance(call.key, ast.Attribute) and call.key.attr == "reason"


def _fstring_prefix(call: Call) -> str | None:
    k = call.key
    return k.values[0].value if isinstance(k, ast.JoinedStr) and isinstance(k.values[0], ast.Constant) else None


def test_the_scan_sees_the_calls():
    """Guards the other tests against passing vacuously."""
    assert len(CALLS) > 100
    wheres = {c.where.split(":")[0] for c in CALLS}
    assert {"handlers/render.py", "handlers/intake.py", "handlers/casework.py", "handlers/updates.py",
            "handlers/supervision.py", "handlers/sender.py"} <= wheres
    prefixes = {_fstring_prefix(c) for c in CALLS}
    assert {"n_", "phase_", "kind_", "ping_remind_"} <= prefixes
    assert {"return_reason_prompt", "relay_sent", "day_today", "filed_patrol", "n_transfer_away"} <= set().union(
        *(keys_of(c) or set() for c in CALLS))


def test_every_dynamic_key_is_traced():
    untraced = [f"{c.where}: {ast.unparse(c.key)}" for c in CALLS if keys_of(c) is None and not _is_refusal_reason(c)]
    assert not untraced, ("keys whose values the test cannot find (give them a value set in DOMAIN_VALUES):\n  "
                          + "\n  ".join(untraced))


def test_every_key_exists():
    missing = [f"{c.where}: {ast.unparse(c.key)} -> {k!r}"
               for c in CALLS for k in sorted(keys_of(c) or ()) if k not in T]
    assert not missing, "keys missing from handlers/texts.py T:\n  " + "\n  ".join(missing)


def test_every_fstring_prefix_has_keys():
    empty = [f"{c.where}: {ast.unparse(c.key)}" for c in CALLS
             if (p := _fstring_prefix(c)) is not None and not any(k.startswith(p) for k in T)]
    assert not empty, "f-string keys with no text of that prefix:\n  " + "\n  ".join(empty)


def test_calls_fill_every_placeholder():
    unfilled = []
    for c in CALLS:
        if c.keywords is None:
            continue
        for k in sorted(keys_of(c) or ()):
            if k in T and (need := placeholders(T[k]) - c.keywords):
                unfilled.append(f"{c.where}: {k!r} needs {sorted(need)}, the call gives {sorted(c.keywords)}")
    assert not unfilled, "texts formatted without all their placeholders:\n  " + "\n  ".join(unfilled)


def _refusals() -> list[tuple[str, str, set[str] | None]]:
    """(file:line, reason, keywords) of every TransitionRefused("...") / Refused("...") in the code."""
    out = []
    for rel, tree in SOURCES.items():
        for n in ast.walk(tree):
            if (isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None))
                    in ("TransitionRefused", "Refused") and n.args
                    and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)):
                kws = None if any(k.arg is None for k in n.keywords) else {k.arg for k in n.keywords}
                out.append((f"{rel}:{n.lineno}", n.args[0].value, kws))
    out += [(f"bot/lifecycle.py STATUS_REASONS[{s}]", reason, set()) for s, reason in STATUS_REASONS.items()]
    return out


def test_refusal_reasons_exist():
    refusals = _refusals()
    assert len(refusals) > 20
    missing = [f"{where}: {reason!r}" for where, reason, _ in refusals if reason not in T]
    assert not missing, "refusal reasons missing from handlers/texts.py T:\n  " + "\n  ".join(missing)
    unfilled = [f"{where}: {reason!r} needs {sorted(placeholders(T[reason]) - kws)}" for where, reason, kws in refusals
                if reason in T and kws is not None and placeholders(T[reason]) - kws]
    assert not unfilled, "refusals whose text needs params they do not carry:\n  " + "\n  ".join(unfilled)


def test_tables_cover_the_domain():
    assert set(Status) <= set(STATUS), f"STATUS lacks {sorted(set(Status) - set(STATUS))}"
    assert set(Action) <= set(ACTIONS), f"ACTIONS lacks {sorted(set(Action) - set(ACTIONS))}"
    assert set(OFFICER_ROLES) <= set(ROLES), f"ROLES lacks {sorted(set(OFFICER_ROLES) - set(ROLES))}"
    assert set(RATING_SCORES) <= set(SCORES), f"SCORES lacks {sorted(set(RATING_SCORES) - set(SCORES))}"
    names = {b.name for b in keyboards.CASE_BUTTONS}
    names |= set(render.SUPERVISOR_BUTTONS) | set(render.DISPUTE_BUTTONS)
    assert names <= set(BUTTONS), f"BUTTONS lacks {sorted(names - set(BUTTONS))}"
    assert names <= set(render.VERBS), f"render.VERBS lacks {sorted(names - set(render.VERBS))}"


def test_literal_table_lookups_exist():
    """BUTTONS["confirm"], ROLES.get("x", ...) and the like, wherever the tables are read by a literal."""
    missing = []
    for rel, tree in SOURCES.items():
        tables = _from_texts(tree) & set(TABLES)
        for n in ast.walk(tree):
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in tables:
                table, key = n.value.id, n.slice
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get"
                  and isinstance(n.func.value, ast.Name) and n.func.value.id in tables and n.args):
                table, key = n.func.value.id, n.args[0]
            else:
                continue
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value not in TABLES[table]:
                missing.append(f"{rel}:{n.lineno}: {table}[{key.value!r}]")
    assert not missing, "table entries missing from handlers/texts.py:\n  " + "\n  ".join(missing)
