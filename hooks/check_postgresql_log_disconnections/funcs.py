"""Terraform's pure built-in functions, as far as configuration values need them.

Functions that read files, the environment or the clock are never run: their
result is unknown. ``try`` and ``can`` are not here: they need the unevaluated
arguments, so the evaluator handles them.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import cast

from check_postgresql_log_disconnections.values import (
    NULL,
    EvalError,
    NotKnown,
    Unknown,
    Val,
    Value,
    first_unknown,
    inherit,
    number,
    plain,
    to_bool,
    to_num,
    to_str,
    type_name,
    wrap,
)

MAX_ITEMS = 10_000  # a bigger generated collection is "too large", not a hang

# Never executed: they read files, the environment or the clock, or are random.
IMPURE = frozenset({
    'abspath', 'bcrypt', 'file', 'filebase64', 'filebase64sha256', 'filebase64sha512',
    'fileexists', 'filemd5', 'fileset', 'filesha1', 'filesha256', 'filesha512',
    'pathexpand', 'plantimestamp', 'templatefile', 'timestamp', 'uuid',
})

Func = Callable[[list[Value]], Value]
FUNCS: dict[str, Func] = {}


def _known(args: list[Value]) -> list[Val]:
    for a in args:
        u = first_unknown(a)
        if u is not None:
            raise NotKnown(u)
    return cast('list[Val]', args)


def _shallow(args: list[Value]) -> list[Val]:
    """The arguments themselves must be known; their elements may not be."""
    for a in args:
        if isinstance(a, Unknown):
            raise NotKnown(a)
    return cast('list[Val]', args)


def string_fn(name: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """A function of strings whose result derives from the first argument.

    Every argument must be a string, or a number or bool Terraform converts to
    one; ``to_str`` rejects null and collections as Terraform does.
    """
    def deco(fn: Callable[..., object]) -> Callable[..., object]:
        def run(args: list[Value]) -> Value:
            vals = _known(args)
            if not vals:
                raise EvalError(f'{name}() needs arguments')
            out = fn(*[to_str(v) for v in vals])
            return vals[0].derived(out) if isinstance(out, str) else wrap(out)
        FUNCS[name] = run
        return fn
    return deco


def fn(name: str) -> Callable[[Func], Func]:
    def deco(f: Func) -> Func:
        FUNCS[name] = f
        return f
    return deco


def _check_size(n: int) -> None:
    if n > MAX_ITEMS:
        raise NotKnown(Unknown(f'collection too large to evaluate ({n} elements)'))


def _items(value: Val, what: str) -> list[Value]:
    """The elements, each remembering the names the collection came through."""
    if isinstance(value.data, list):
        return [inherit(x, value) for x in value.data]
    if isinstance(value.data, dict):
        return [inherit(x, value) for x in value.data.values()]
    raise EvalError(f'{what}: a list or set is required, got {type_name(value)}')


def _mapping(value: Val, what: str) -> dict[str, Value]:
    if isinstance(value.data, dict):
        return {k: inherit(x, value) for k, x in value.data.items()}
    if value.data is None:
        raise EvalError(f'{what}: a map is required, got null')
    raise EvalError(f'{what}: a map is required, got {type_name(value)}')


# --- strings ---
# Go maps case rune by rune: a rune with no one-rune counterpart (ß) stays as it is
string_fn('lower')(lambda s: ''.join(c.lower() if len(c.lower()) == 1 else c for c in s))
string_fn('upper')(lambda s: ''.join(c.upper() if len(c.upper()) == 1 else c for c in s))
string_fn('trimspace')(lambda s: s.strip())
string_fn('title')(lambda s: re.sub(r'\b\w', lambda m: m.group(0).upper(), s))
string_fn('trimprefix')(lambda s, p: s[len(p):] if p and s.startswith(p) else s)
string_fn('trimsuffix')(lambda s, p: s[:-len(p)] if p and s.endswith(p) else s)
string_fn('trim')(lambda s, cut: s.strip(cut))
string_fn('startswith')(lambda s, p: s.startswith(p))
string_fn('endswith')(lambda s, p: s.endswith(p))
string_fn('strrev')(lambda s: s[::-1])


@string_fn('replace')
def _replace(s: str, old: str, new: str) -> str:
    if len(old) > 1 and old.startswith('/') and old.endswith('/'):
        try:
            return re.sub(old[1:-1], re.sub(r'\$(\d+)', r'\\\1', new), s)
        except re.error as e:
            raise EvalError(f'replace(): bad pattern: {e}') from None
    return s.replace(old, new)


@string_fn('substr')
def _substr(s: str, offset: object, length: object) -> str:
    o, n = int(float(str(offset))), int(float(str(length)))
    if o < 0:
        o += len(s)
    return s[o:] if n < 0 else s[o:o + n]


@string_fn('split')
def _split(sep: str, s: str) -> list[str]:
    return s.split(sep) if sep else list(s)


@fn('join')
def _join(args: list[Value]) -> Value:
    vals = _known(args)
    if len(vals) < 2:
        raise EvalError('join() needs a separator and a list')
    sep = to_str(vals[0])
    parts = [to_str(cast(Val, x)) for lst in vals[1:] for x in _items(lst, 'join')]
    return Val(sep.join(parts))


@fn('format')
def _format(args: list[Value]) -> Value:
    vals = _known(args)
    if not vals:
        raise EvalError('format() needs a format string')
    spec, rest = to_str(vals[0]), list(vals[1:])
    out: list[str] = []
    pos = 0
    for m in re.finditer(r'%(%|[-+ #0]*\d*(?:\.\d+)?[sdvqftTbeEgGxXo])', spec):
        out.append(spec[pos:m.start()])
        pos = m.end()
        verb = m.group(1)
        if verb == '%':
            out.append('%')
            continue
        if not rest:
            raise EvalError('format(): not enough arguments')
        arg = rest.pop(0)
        letter = verb[-1]
        if letter == 'v' and isinstance(arg.data, (list, dict)):
            out.append(_json(plain(arg)))
        elif letter in 'sv':
            out.append(to_str(arg))
        elif letter == 'q':
            out.append(json.dumps(to_str(arg)))
        elif letter == 'd':
            n = to_num(arg)
            if not float(n).is_integer():
                raise EvalError(f'format(): %d needs a whole number, got {n}')
            out.append(('%' + verb) % int(n))
        elif letter in 'feEgG':
            out.append(('%' + verb) % float(to_num(arg)))
        elif letter == 't':
            out.append('true' if to_bool(arg) else 'false')
        else:
            out.append(('%' + verb) % int(to_num(arg)))
    out.append(spec[pos:])
    result = ''.join(out)
    # format("%s", x) copies x: keep where it came from
    src = vals[1] if len(vals) == 2 else vals[0]
    return src.derived(result)


@fn('length')
def _length(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    if isinstance(v.data, str):
        return Val(len(v.data))
    if isinstance(v.data, (list, dict)):
        return Val(len(v.data))
    raise EvalError(f'length(): got {type_name(v)}')


# --- numbers ---
def _numeric(name: str, f: Callable[..., float | int]) -> None:
    def run(args: list[Value]) -> Value:
        nums = [to_num(v) for v in _known(args)]
        flat: list[float | int] = []
        for n in nums:
            flat.append(n)
        r = f(*flat)
        return Val(int(r) if isinstance(r, float) and r.is_integer() else r)
    FUNCS[name] = run


_numeric('max', max)
_numeric('min', min)
_numeric('abs', abs)
_numeric('floor', math.floor)
_numeric('ceil', math.ceil)
_numeric('tonumber', lambda x: x)
_numeric('signum', lambda x: (x > 0) - (x < 0))


@fn('tostring')
def _tostring(args: list[Value]) -> Value:
    (v,) = _known(args)
    return v if v.data is None else v.derived(to_str(v))


@fn('tobool')
def _tobool(args: list[Value]) -> Value:
    (v,) = _known(args)
    return NULL if v.data is None else v.derived(to_bool(v))


# --- collections ---
@fn('merge')
def _merge(args: list[Value]) -> Value:
    out: dict[str, Value] = {}
    for a in _shallow(args):
        if a.data is None:
            continue
        out.update(_mapping(a, 'merge'))
    return Val(out)


@fn('lookup')
def _lookup(args: list[Value]) -> Value:
    vals = _shallow(args[:2])
    m = _mapping(vals[0], 'lookup')
    key = args[1]
    if isinstance(key, Unknown):
        raise NotKnown(key)
    k = to_str(key)
    if k in m:
        return m[k]
    if len(args) > 2:
        return args[2]
    raise EvalError(f'lookup(): no key {k!r} and no default')


@fn('element')
def _element(args: list[Value]) -> Value:
    lst, idx = _shallow(args)
    if lst.is_set:
        raise EvalError('element(): cannot read elements from a set')
    items = _items(lst, 'element')
    if not items:
        raise EvalError('element(): empty list')
    i = to_num(_known([idx])[0])
    if i < 0 or not float(i).is_integer():
        raise EvalError(f'element(): index must be a whole number >= 0, got {i}')
    return items[int(i) % len(items)]


@fn('keys')
def _keys(args: list[Value]) -> Value:
    (m,) = _shallow(args)
    return Val([Val(k) for k in sorted(_mapping(m, 'keys'))])


@fn('values')
def _values(args: list[Value]) -> Value:
    (m,) = _shallow(args)
    d = _mapping(m, 'values')
    return Val([d[k] for k in sorted(d)])


@fn('concat')
def _concat(args: list[Value]) -> Value:
    out: list[Value] = []
    for a in _shallow(args):
        out.extend(_items(a, 'concat'))
    _check_size(len(out))
    return Val(out)


def _dedupe(items: list[Value]) -> list[Value]:
    seen: dict[str, Value] = {}
    for x in items:
        key = json.dumps(plain(x), sort_keys=True)
        seen.setdefault(key, x)
    return list(seen.values())


@fn('toset')
def _toset(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    if v.data is None:
        return v
    items = _known(_dedupe(_items(v, 'toset')))
    if all(isinstance(x.data, str) for x in items):
        items.sort(key=lambda x: cast(str, x.data))
    elif all(isinstance(x.data, (int, float)) and not isinstance(x.data, bool) for x in items):
        items.sort(key=lambda x: cast(float, x.data))
    ordered: list[Value] = list(items)
    return Val(ordered, is_set=True)


@fn('distinct')
def _distinct(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    return Val(_dedupe(_items(v, 'distinct')))


@fn('tolist')
def _tolist(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    return Val(_items(v, 'tolist'))


@fn('tomap')
def _tomap(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    return Val(dict(_mapping(v, 'tomap')))


@fn('zipmap')
def _zipmap(args: list[Value]) -> Value:
    ks, vs = _shallow(args)
    keys = [to_str(k) for k in _known(_items(ks, 'zipmap'))]
    return Val(dict(zip(keys, _items(vs, 'zipmap'))))


@fn('flatten')
def _flatten(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    out: list[Value] = []

    def walk(x: Value) -> None:
        if isinstance(x, Val) and isinstance(x.data, list):
            for y in x.data:
                walk(y)
        elif isinstance(x, Unknown):
            raise NotKnown(x)
        else:
            out.append(x)
            _check_size(len(out))
    walk(v)
    return Val(out)


@fn('contains')
def _contains(args: list[Value]) -> Value:
    lst, item = _known(args)
    return Val(plain(item) in [plain(x) for x in _items(lst, 'contains')])


@fn('coalesce')
def _coalesce(args: list[Value]) -> Value:
    for a in args:
        if isinstance(a, Unknown):
            raise NotKnown(a)
        if a.data is not None and a.data != '':
            return a
    raise EvalError('coalesce(): no non-null argument')


@fn('coalescelist')
def _coalescelist(args: list[Value]) -> Value:
    for a in _shallow(args):
        if isinstance(a.data, list) and a.data:
            return a
    return Val([])


@fn('compact')
def _compact(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    return Val([x for x in _known(_items(v, 'compact')) if x.data not in (None, '')])


@fn('reverse')
def _reverse(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    return Val(list(reversed(_items(v, 'reverse'))))


@fn('sort')
def _sort(args: list[Value]) -> Value:
    (v,) = _known(args)
    items: list[Val] = _known(_items(v, 'sort'))
    ordered = sorted(items, key=to_str)
    return Val([*ordered])


@fn('slice')
def _slice(args: list[Value]) -> Value:
    lst, a, b = _shallow(args)
    items = _items(lst, 'slice')
    start, stop = _known([a, b])
    return Val(items[int(to_num(start)):int(to_num(stop))])


@fn('one')
def _one(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    items = _items(v, 'one')
    if len(items) > 1:
        raise EvalError('one(): more than one element')
    return items[0] if items else NULL


@fn('range')
def _range(args: list[Value]) -> Value:
    nums = [to_num(v) for v in _known(args)]
    if len(nums) == 1:
        nums = [0, nums[0], 1]
    elif len(nums) == 2:
        nums = [nums[0], nums[1], 1]
    start, stop, step = nums
    if step == 0:
        raise EvalError('range(): step must not be zero')
    n = max(0, math.ceil((stop - start) / step))
    _check_size(n)
    return Val([Val(start + i * step) for i in range(n)])


@fn('setunion')
def _setunion(args: list[Value]) -> Value:
    out: list[Value] = []
    for a in _shallow(args):
        out.extend(_items(a, 'setunion'))
    return _toset([Val(_dedupe(out))])


@fn('jsonencode')
def _jsonencode(args: list[Value]) -> Value:
    (v,) = _known(args)
    return Val(_json(plain(v)))


def _json(obj: object) -> str:
    """Terraform's JSON: compact, keys sorted, whole floats as integers."""
    def norm(x: object) -> object:
        if isinstance(x, float) and x.is_integer():
            return int(x)
        if isinstance(x, list):
            return [norm(y) for y in x]
        if isinstance(x, dict):
            return {k: norm(y) for k, y in x.items()}
        return x
    return json.dumps(norm(obj), separators=(',', ':'), sort_keys=True)


def _json_number(text: str) -> int | float:
    n = number(text) if text[-1:].isdigit() else None  # (NaN, Infinity: not JSON)
    if n is None:
        raise ValueError(f'number {text[:20]} cannot be decoded')
    return n


@fn('jsondecode')
def _jsondecode(args: list[Value]) -> Value:
    (v,) = _known(args)
    try:
        return wrap(json.loads(to_str(v), parse_float=_json_number, parse_constant=_json_number))
    except ValueError as e:
        raise EvalError(f'jsondecode(): {e}') from None


@fn('index')
def _index(args: list[Value]) -> Value:
    lst, item = _known(args)
    items = [plain(x) for x in _items(lst, 'index')]
    if plain(item) not in items:
        raise EvalError('index(): item not found')
    return Val(items.index(plain(item)))


def call(name: str, args: list[Value]) -> Value:
    """Apply a built-in function; an unknown argument or unknown function gives Unknown."""
    if name.startswith('provider::'):
        return Unknown(f'provider function {name}() is not evaluated')
    if name in IMPURE:
        return Unknown(f'{name}() reads files, the environment or the clock: not evaluated')
    f = FUNCS.get(name)
    if f is None:
        return Unknown(f'function {name}() is not evaluated')
    try:
        return f(args)
    except NotKnown as e:
        return e.unknown
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, OverflowError, ZeroDivisionError) as e:
        # an argument Terraform would reject in a way no check above names
        raise EvalError(f'{name}(): {e}') from None
