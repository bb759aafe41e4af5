"""Resource instances -> results: the rule applied (its facts are in ``rule``).

An instance whose ``name`` is ``log_disconnections`` (any case) must have a
``value`` of ``on`` (any case). What cannot be known is ``unverified``, with
the reason; never a silent pass, never a guessed finding.
"""
from __future__ import annotations

import os
from collections import Counter

from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.record import replace
from check_postgresql_log_disconnections.results import Result, RunError
from check_postgresql_log_disconnections.rule import SERVER_TYPES, compliant, is_parameter
from check_postgresql_log_disconnections.values import Unknown, Val, first_unknown

TYPE_CHECKING = False
if TYPE_CHECKING:
    from check_postgresql_log_disconnections.instances import Instance
    from check_postgresql_log_disconnections.modules import Module


def value_span(block: s.Block) -> s.Span:
    """Where a result for this block points: the value expression, or the block when there is none."""
    attr = block.attr('value')
    return attr.expr.span if attr is not None else block.span


def _where(inst: Instance) -> s.Span:
    return value_span(inst.block)


def judge(inst: Instance) -> Result | None:
    """The result for one instance; None when it configures another parameter."""
    if inst.at is not None:  # a module call the hook cannot follow
        return Result(status='unverified', address=inst.address, resource_type=inst.resource_type,
                      location=inst.at, block=inst.block.span, reason=inst.reason, callers=inst.callers,
                      installed=inst.installed)
    base = Result(status='unverified', address=inst.address, resource_type=inst.resource_type,
                  location=_where(inst), block=inst.block.span, callers=inst.callers, installed=inst.installed)
    if not inst.expanded:
        return _replace(base, reason=f'cannot tell which instances exist: {inst.reason}')
    name = inst.name
    if isinstance(name, Unknown):
        return _replace(base, reason=f'name cannot be determined: {name.reason}')
    if not is_parameter(name.data):
        return None
    value = inst.value
    if value is None:
        return _replace(base, reason='no value attribute')
    unknown = first_unknown(value)  # `[var.nodefault]`: a list holding an unknown
    if unknown is not None:
        return _replace(base, reason=f'value cannot be determined: {unknown.reason}')
    assert isinstance(value, Val)
    return _known(base, value, inst.module)


def _known(base: Result, value: Val, module: Module) -> Result:
    from check_postgresql_log_disconnections.values import plain
    v = plain(value)
    status = 'compliant' if compliant(v) else 'noncompliant'
    origin = value.origin
    same_place = origin is not None and origin.path == base.location.path and origin.start == base.location.start
    return _replace(
        base, status=status, value=v, value_known=True,
        origin=None if same_place else origin,
        origin_what=_what(value, origin, module),
        fixable=status == 'noncompliant' and value.exact and origin is not None,
        via=value.via,
    )


def _what(value: Val, origin: s.Span | None, mod: Module) -> str:
    """How the value reached the resource: ``default of var.x``, ``var.x``, ``local.y``."""
    if not value.via or origin is None:
        return ''
    first = value.via[0]
    decl = mod.variable(first[4:]) if first.startswith('var.') else None
    default = decl.attr('default') if decl is not None else None
    if default is not None and _within(origin, default.span):  # (an override file may hold it)
        return f'default of {first}'
    return first


def _within(inner: s.Span, outer: s.Span) -> bool:
    return inner.path == outer.path and outer.start <= inner.start and inner.end <= outer.end


def _replace(r: Result, **kw: object) -> Result:
    return replace(r, **kw)


def _judge_each(instances: list[Instance], errors: list[RunError], shown: set[str]) -> list[Result]:
    """``judge`` each instance; a bug of ours on one is an error line at it, the others still count."""
    out = []
    for inst in instances:
        try:
            r = judge(inst) if not inst.error else None
            error = inst.error
        except Exception as e:  # any bug of ours
            r, error = None, f'{type(e).__name__}: {e}'
        if error:
            errors.append(internal_error(_where(inst), inst.callers, inst.address, error, shown))
        elif r is not None:
            out.append(r)
    return out


def internal_error(loc: s.Span, callers: tuple[s.Span, ...], address: str, error: str,
                   shown: set[str]) -> RunError:
    """An instance we failed on, reported where the run can show it (its file, else a module call)."""
    at = next((x for x in (loc, *reversed(callers)) if x.path in shown), callers[0] if callers else loc)
    return RunError(at.path, f'internal error while checking {address} ({error}); please report it',
                    at.line, at.column, 'internal')


def judge_all(instances: list[Instance], errors: list[RunError], shown: set[str]) -> list[Result]:
    """Judge every instance and mark fixable literals that also feed another use."""
    results = _judge_each(instances, errors, shown)
    # a literal read by an instance that configures another parameter is shared
    other_uses: Counter[tuple[str, int]] = Counter()
    for inst in instances:
        if isinstance(inst.value, Val) and inst.value.origin is not None:
            name = inst.name.data if isinstance(inst.name, Val) else None
            if not is_parameter(name):
                other_uses[(inst.value.origin.path, inst.value.origin.start)] += 1
    modules = {id(i.module): i.module for i in instances}.values()
    texts = {p: src.text for m in modules for p, src in m.sources.items()}
    out = []
    uses: dict[tuple[str, str], int] = {}
    for r in results:
        if r.fixable and r.origin is not None:
            if other_uses[(r.origin.path, r.origin.start)]:
                r = _replace(r, shared=True)
            elif (name := _name_read_elsewhere(r, texts, uses)) is not None:
                r = _replace(r, shared=True, shared_via=name)
        out.append(r)
    return out


def _name_read_elsewhere(r: Result, texts: dict[str, str], uses: dict[tuple[str, str], int]) -> str | None:
    """A name the value came through that something else reads too: editing the literal changes that as well.

    ``locals { off = "off", params = { log_disconnections = local.off } }`` with
    ``pgaudit.log = local.off == "off" ? "none" : "all"``: the value came through
    ``local.params`` and ``local.off``; each is read once on the way here, so a
    second read of either is another reader of the literal.
    """
    if r.origin is None:
        return None
    directory = os.path.dirname(r.origin.path)
    for name in r.via:
        if (directory, name) not in uses:
            uses[(directory, name)] = sum(_count_word(t, name) for p, t in texts.items()
                                          if os.path.dirname(p) == directory)
        if uses[(directory, name)] > 1:
            return name
    return None


def _count_word(text: str, word: str) -> int:
    """Occurrences of ``word`` not inside a longer identifier (str.find: fast on big files)."""
    n, i = 0, text.find(word)
    while i >= 0:
        end = i + len(word)
        if (i == 0 or not _ident(text[i - 1])) and (end == len(text) or not _ident(text[end])):
            n += 1
        i = text.find(word, end)
    return n


def _ident(ch: str) -> bool:
    return ch.isalnum() or ch in '_-'


def _server_ref(expr: s.Expr) -> str | None:
    """``azurerm_postgresql_server.main.name`` / ``...flexible_server.x[k].id`` -> ``type.name``."""
    while isinstance(expr, (s.GetAttr, s.Index)):
        if isinstance(expr, s.GetAttr) and isinstance(expr.obj, s.Ref) and expr.obj.name in SERVER_TYPES:
            return f'{expr.obj.name}.{expr.name}'
        expr = expr.obj
    return None


def not_set(mod: Module, instances: list[Instance]) -> list[Result]:
    """``--require-explicit``: a server of ``mod`` that no log_disconnections configuration names."""
    servers = mod.servers()
    covered: set[str] = set()
    for inst in instances:
        if inst.module is not mod or inst.at is not None:
            continue
        if isinstance(inst.name, Val) and not is_parameter(str(inst.name.data)):
            continue
        attr = inst.block.attr('server_name') or inst.block.attr('server_id')
        target = _server_ref(attr.expr) if attr is not None else None
        if target is None:
            return []  # a configuration whose server cannot be told: it may be any of them
        covered.add(target)
    out = []
    for b in servers:
        address = f'{b.labels[0]}.{b.labels[1]}'
        if address in covered:
            continue
        out.append(Result(status='noncompliant', address=address, resource_type=b.labels[0],
                          location=b.span, block=b.span,
                          reason='no configuration resource sets it for this server; the server default applies'))
    return out
