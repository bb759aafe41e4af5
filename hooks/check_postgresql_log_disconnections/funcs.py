"""Terraform's pure built-in functions, as far as configuration values need them.

Functions that read files, the environment or the clock are never run: their
result is unknown. ``try`` and ``can`` are not here: they need the unevaluated
arguments, so the evaluator handles them.
"""
from __future__ import annotations

import json
import math

from check_postgresql_log_disconnections.values import (
    MAX_VALUE_CHARS,
    NULL,
    EvalError,
    NotKnown,
    Unknown,
    Val,
    first_unknown,
    inherit,
    number,
    plain,
    room,
    to_bool,
    to_num,
    to_str,
    type_name,
    wrap,
)

# goregex (google-re2), goformat and typing are imported when a function needs them: most
# configurations call none of them, and a run over unchanged files should not pay for them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import cast

    from check_postgresql_log_disconnections import goregex
    from check_postgresql_log_disconnections.values import Value

    Func = Callable[[list[Value]], Value]
else:
    def cast(_: object, value: object) -> object:  # typing.cast, without importing typing
        return value

MAX_ITEMS = 10_000  # a bigger generated collection is "too large", not a hang

# Never executed: they read files, the environment or the clock, or are random.
IMPURE = frozenset({
    'abspath', 'bcrypt', 'file', 'filebase64', 'filebase64sha256', 'filebase64sha512',
    'fileexists', 'filemd5', 'fileset', 'filesha1', 'filesha256', 'filesha512',
    'pathexpand', 'plantimestamp', 'templatefile', 'timestamp', 'uuid',
})

# Read only a part of their arguments: the evaluator does not count the whole as read.
CHEAP = frozenset({
    'abs', 'ceil', 'coalesce', 'element', 'floor', 'length', 'lookup', 'max', 'min', 'one', 'signum',
    'tobool', 'tonumber', 'tostring',
})

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
# Go's unicode.IsSpace; Python's strip() also takes the separators \x1c-\x1f
GO_SPACE = '\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a' \
    '\u2028\u2029\u202f\u205f\u3000'
string_fn('trimspace')(lambda s: s.strip(GO_SPACE))
string_fn('trimprefix')(lambda s, p: s[len(p):] if p and s.startswith(p) else s)
string_fn('trimsuffix')(lambda s, p: s[:-len(p)] if p and s.endswith(p) else s)
string_fn('trim')(lambda s, cut: s.strip(cut))
string_fn('startswith')(lambda s, p: s.startswith(p))
string_fn('endswith')(lambda s, p: s.endswith(p))


@string_fn('title')
def _title(s: str) -> str:
    """Go's strings.Title: a letter after a separator takes its one-rune title case."""
    out, prev = [], ' '
    for c in s:
        out.append(_to_title(c) if _separator(prev) else c)
        prev = c
    return ''.join(out)


def _separator(c: str) -> bool:
    if c.isascii():
        return not (c.isalnum() or c == '_')
    import unicodedata

    cat = unicodedata.category(c)
    return not (cat.startswith('L') or cat == 'Nd') and c in GO_SPACE


def _to_title(c: str) -> str:
    t = c.title()
    return t if len(t) == 1 else c


@fn('replace')
def _replace(args: list[Value]) -> Value:
    vals = _known(args)
    if len(vals) != 3:
        raise EvalError('replace() takes a string, a substring or /pattern/, and a replacement')
    s, old, new = (to_str(v) for v in vals)
    if len(old) > 1 and old.startswith('/') and old.endswith('/'):
        from check_postgresql_log_disconnections import goregex

        rx = goregex.compile_pattern(old[1:-1])
        if rx is None:
            return Unknown(f'replace(): pattern {_short(old)} is not one this check can verify')
        try:
            out = goregex.replace_all(rx, s, new, MAX_VALUE_CHARS)
        except goregex.TooMany:
            room(chars=MAX_VALUE_CHARS + 1)
            raise  # pragma: no cover (room raises)
        return vals[0].derived(out)
    # Go's strings.Replace: an empty substring matches before every rune and at the end
    count = len(s) + 1 if old == '' else s.count(old)
    room(chars=len(s) + count * (len(new) - len(old)))
    return vals[0].derived(s.replace(old, new))


def _short(text: str) -> str:
    return json.dumps(text if len(text) <= 40 else text[:40] + '...', ensure_ascii=False)


def _pattern(name: str, args: list[Value]) -> tuple[goregex.Pattern, str, Val]:
    """The compiled pattern and the string of regex()/regexall(), or NotKnown."""
    vals = _known(args)
    if len(vals) != 2:
        raise EvalError(f'{name}() takes a pattern and a string')
    pattern, s = to_str(vals[0]), to_str(vals[1])
    from check_postgresql_log_disconnections import goregex

    rx = goregex.compile_pattern(pattern)
    if rx is None:
        raise NotKnown(Unknown(f'{name}(): pattern {_short(pattern)} is not one this check can verify'))
    if goregex.mixed_groups(rx):
        raise EvalError(f'{name}(): cannot mix both named and unnamed capture groups')
    return rx, s, vals[1]


@fn('regex')
def _regex(args: list[Value]) -> Value:
    rx, s, src = _pattern('regex', args)
    m = rx.search(s)
    if m is None:
        raise EvalError('regex(): pattern did not match any part of the given string')
    from check_postgresql_log_disconnections import goregex

    found = goregex.submatches(rx, m)
    return src.derived(found) if isinstance(found, str) else wrap(found)


@fn('regexall')
def _regexall(args: list[Value]) -> Value:
    rx, s, _src = _pattern('regexall', args)
    from check_postgresql_log_disconnections import goregex

    try:
        found = goregex.matches(rx, s, MAX_ITEMS)
    except goregex.TooMany:
        _check_size(MAX_ITEMS + 1)
        raise  # pragma: no cover (_check_size raises)
    return wrap([goregex.submatches(rx, m) for m in found])


def clusters(s: str, name: str) -> str:
    """``s`` when its characters are its grapheme clusters (what Terraform counts); else NotKnown.

    Below U+0300 nothing combines, except CR LF; further up, marks, joiners and
    jamo may, and this check does not segment text the way Terraform does.
    """
    if '\r\n' not in s and (s.isascii() or all(ord(c) < 0x300 for c in s)):
        return s
    raise NotKnown(Unknown(f'{name}() counts grapheme clusters: not evaluated for characters from U+0300 up'))


@string_fn('strrev')
def _strrev(s: str) -> str:
    return clusters(s, 'strrev')[::-1]


@fn('substr')
def _substr(args: list[Value]) -> Value:
    vals = _known(args)
    if len(vals) != 3:
        raise EvalError('substr() takes a string, an offset and a length')
    s = clusters(to_str(vals[0]), 'substr')
    o, n = (to_num(v) for v in vals[1:])
    if not (float(o).is_integer() and float(n).is_integer()):
        raise EvalError('substr(): offset and length must be whole numbers')
    start = max(0, int(o) + len(s) if o < 0 else int(o))  # cty: a negative offset counts from the end
    return vals[0].derived(s[start:] if n < 0 else s[start:start + int(n)])


@string_fn('split')
def _split(sep: str, s: str) -> list[str]:
    room(items=len(s) + 1 if not sep else s.count(sep) + 1)
    return s.split(sep) if sep else list(s)


@fn('join')
def _join(args: list[Value]) -> Value:
    vals = _known(args)
    if len(vals) < 2:
        raise EvalError('join() needs a separator and a list')
    sep = to_str(vals[0])
    parts = [to_str(cast(Val, x)) for lst in vals[1:] for x in _items(lst, 'join')]
    room(chars=sum(map(len, parts)) + len(sep) * max(0, len(parts) - 1))
    return Val(sep.join(parts))


@fn('format')
def _format(args: list[Value]) -> Value:
    vals = _known(args)
    if not vals:
        raise EvalError('format() needs a format string')
    from check_postgresql_log_disconnections import goformat

    result = goformat.format_values(to_str(vals[0]), vals[1:])
    # format("%s", x) copies x: keep where it came from
    src = vals[1] if len(vals) == 2 else vals[0]
    return src.derived(result)


@fn('length')
def _length(args: list[Value]) -> Value:
    (v,) = _shallow(args)
    if isinstance(v.data, str):
        return Val(len(clusters(v.data, 'length')))
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
    if len(vals) < 2:
        raise EvalError('lookup() takes a map, a key and a default')
    m = vals[0]
    if not isinstance(m.data, dict):
        _mapping(m, 'lookup')  # raises: not a map
    assert isinstance(m.data, dict)
    k = to_str(_known([vals[1]])[0])
    if k in m.data:
        return inherit(m.data[k], m)
    if len(args) > 2:
        return args[2]
    raise EvalError(f'lookup(): no key {k!r} and no default')


@fn('element')
def _element(args: list[Value]) -> Value:
    lst, idx = _shallow(args)
    if lst.is_set:
        raise EvalError('element(): cannot read elements from a set')
    if not isinstance(lst.data, list):
        _items(lst, 'element')  # raises: not a list
    assert isinstance(lst.data, list)
    if not lst.data:
        raise EvalError('element(): empty list')
    i = to_num(_known([idx])[0])
    if i < 0 or not float(i).is_integer():
        raise EvalError(f'element(): index must be a whole number >= 0, got {i}')
    return inherit(lst.data[int(i) % len(lst.data)], lst)


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
    seen: dict[tuple[str, object], Value] = {}
    for x in items:
        seen.setdefault(_identity(x), x)
    return list(seen.values())


def _identity(x: Value) -> tuple[str, object]:
    """A key equal for equal Terraform values: "1", 1 and true stay apart, 1 and 1.0 do not."""
    v = x.data if isinstance(x, Val) else None
    if isinstance(x, Val) and (v is None or isinstance(v, (str, bool))):
        return (type(v).__name__, v)
    if isinstance(v, (int, float)):
        return ('number', v)
    return ('json', json.dumps(plain(x), sort_keys=True))


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
    if not isinstance(v.data, (list, dict)):
        _items(v, 'one')  # raises: not a collection
    assert isinstance(v.data, (list, dict))
    if len(v.data) > 1:
        raise EvalError('one(): more than one element')
    return _items(v, 'one')[0] if v.data else NULL


MAX_RANGE = 1024  # Terraform's own limit


@fn('range')
def _range(args: list[Value]) -> Value:
    nums = [to_num(v) for v in _known(args)]
    if not 1 <= len(nums) <= 3:
        raise EvalError('range() takes one to three numbers')
    start, stop = (0, nums[0]) if len(nums) == 1 else (nums[0], nums[1])
    step = nums[2] if len(nums) == 3 else 1 if stop >= start else -1  # range(3, 0) counts down
    if step == 0:
        raise EvalError('range(): step must not be zero')
    if (step > 0 and stop < start) or (step < 0 and stop > start):
        raise EvalError('range(): end must be on the side of start the step goes to')
    if not (float(start).is_integer() and float(step).is_integer()):
        return Unknown('range() with a fractional start or step is not evaluated (Terraform adds in binary)')
    n = max(0, math.ceil((stop - start) / step))
    if n > MAX_RANGE:
        raise EvalError(f'range(): more than {MAX_RANGE} values were generated')
    return Val([Val(int(start) + i * int(step)) for i in range(n)])


@fn('setunion')
def _setunion(args: list[Value]) -> Value:
    out: list[Value] = []
    for a in _shallow(args):
        out.extend(_items(a, 'setunion'))
    return _toset([Val(_dedupe(out))])


@fn('jsonencode')
def _jsonencode(args: list[Value]) -> Value:
    (v,) = _known(args)
    from check_postgresql_log_disconnections import goformat

    return Val(goformat.go_json(plain(v)))


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
