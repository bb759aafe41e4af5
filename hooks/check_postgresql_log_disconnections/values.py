"""Runtime values of the evaluator, each remembering the literal it came from.

A ``Val`` is a known value; ``Unknown`` is a value that cannot be known before
``terraform apply`` (or at all, statically), with the reason why. ``EvalError``
is what Terraform itself would reject (an attribute of ``null``...): ``try`` and
``can`` catch it, anything else turns it into an unverified result.
"""
from __future__ import annotations

import re

from check_postgresql_log_disconnections.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

    from check_postgresql_log_disconnections.syntax import Span

    Plain = Union[str, int, float, bool, None, list['Value'], dict[str, 'Value']]


class Val(Record):
    """A known value. ``origin`` is the literal it copies, ``exact`` whether unchanged."""

    __slots__ = ('chars', 'data', 'exact', 'is_set', 'items', 'origin', 'via')
    items: int
    chars: int

    def __init__(self, data: Plain, origin: Span | None = None, exact: bool = False, via: tuple[str, ...] = (),
                 is_set: bool = False) -> None:
        self.data = data
        self.origin = origin
        self.exact = exact
        self.via = via
        self.is_set = is_set  # a list that came from toset(): for_each takes it
        # the size it would have written out, a list that holds one value twice counting it twice:
        # elements and string characters (map keys included). Bounds what plain() or JSON may build.
        items, chars = 0, 0
        if isinstance(data, str):
            chars = len(data)
        elif isinstance(data, (list, dict)):
            items = len(data)
            if isinstance(data, dict):
                chars = sum(map(len, data))
            for x in data.values() if isinstance(data, dict) else data:
                if isinstance(x, Val):
                    items += x.items
                    chars += x.chars
        self.items = items
        self.chars = chars

    def derived(self, v: Plain) -> Val:
        """A value computed from this one: same origin, no longer fixable in place."""
        return Val(v, self.origin, False, self.via)

    def through(self, name: str) -> Val:
        """This value, read through ``name`` (``var.x``, ``local.y``)."""
        if name in self.via:
            return self
        return _with_via(self, (*self.via, name))


def inherit(child: Value, parent: Value) -> Value:
    """An element read out of ``parent`` keeps the names the parent came through."""
    if isinstance(child, Val) and isinstance(parent, Val) and parent.via:
        return _with_via(child, tuple(dict.fromkeys(parent.via + child.via)) if child.via else parent.via)
    return child


def _with_via(value: Val, via: tuple[str, ...]) -> Val:
    """``value`` with other names: a copy of its fields, not a new measure (this runs for every element read)."""
    new = object.__new__(Val)
    for name in Val.__slots__:
        setattr(new, name, getattr(value, name))
    new.via = via
    return new


class Unknown(Record):
    __slots__ = ('reason',)

    def __init__(self, reason: str) -> None:
        self.reason = reason


if TYPE_CHECKING:
    Value = Union[Val, Unknown]


class EvalError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NULL = Val(None)

MAX_VALUE_ITEMS = 100_000  # elements in one value, each repeat of a shared one counted
MAX_VALUE_CHARS = 1_000_000  # characters in one value's strings, likewise


def room(items: int = 0, chars: int = 0) -> None:
    """A value of this size may be built; ``NotKnown`` (checked before building it) when not."""
    if items > MAX_VALUE_ITEMS:
        raise NotKnown(Unknown(f'value too large to evaluate (more than {MAX_VALUE_ITEMS} elements)'))
    if chars > MAX_VALUE_CHARS:
        raise NotKnown(Unknown(f'value too large to evaluate (more than {MAX_VALUE_CHARS} characters)'))


def plain(value: Value) -> object:
    """The Python value, with nested Vals unwrapped; raises ``NotKnown`` inside unknowns."""
    if isinstance(value, Unknown):
        raise NotKnown(value)
    v = value.data
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


class NotKnown(Exception):
    def __init__(self, unknown: Unknown) -> None:
        super().__init__(unknown.reason)
        self.unknown = unknown


def first_unknown(value: Value) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    v = value.data
    items = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
    for x in items:
        u = first_unknown(x)
        if u is not None:
            return u
    return None


def wrap(obj: object) -> Val:
    """A Python value built by a function, as a ``Val`` with no origin."""
    if isinstance(obj, Val):
        return obj
    if isinstance(obj, list):
        return Val([wrap(x) for x in obj])
    if isinstance(obj, dict):
        return Val({str(k): wrap(x) for k, x in obj.items()})
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return Val(obj)
    raise EvalError(f'unsupported value {obj!r}')  # pragma: no cover


def number(text: str) -> int | float | None:
    """A number literal as Terraform reads it (arbitrary precision: ``1e400`` is not infinity).

    None for a whole number too large for us to hold, or a fraction a float cannot hold.
    """
    if not any(c in text for c in '.eE'):
        return int(text) if len(text) < MAX_DIGITS else None
    f = float(text)
    if f in (float('inf'), float('-inf')):
        from decimal import Decimal

        d = Decimal(text)
        if d == d.to_integral_value() and d.adjusted() < MAX_DIGITS:
            return int(d)  # a whole number too large for a float: exact, as Terraform keeps it
        return None
    return f


MAX_DIGITS = 4000  # Python converts ints of up to 4300 digits to text


def type_name(value: Val) -> str:
    v = value.data
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, (int, float)):
        return 'number'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, list):
        return 'set' if value.is_set else 'list'
    return 'object'


def to_str(value: Val) -> str:
    """Terraform's automatic conversion to string (template interpolation, string args)."""
    v = value.data
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (str, int, float)):
        return str(v)
    if v is None:
        raise EvalError('null value where a string is required')
    raise EvalError(f'cannot use a {type_name(value)} value as a string')


def to_num(value: Val) -> int | float:
    v = value.data
    if isinstance(v, bool) or v is None or isinstance(v, (list, dict)):
        raise EvalError(f'a number is required, got {type_name(value)}')
    if isinstance(v, (int, float)):
        return v
    try:
        f = float(v)
    except ValueError:
        raise EvalError(f'cannot convert {v!r} to a number') from None
    if f in (float('inf'), float('-inf')) and _NUMERAL.fullmatch(v):
        n = number(v)  # "1e400": exact, as Terraform keeps it
        if n is None:
            raise NotKnown(Unknown(f'number {v[:20]} too large to evaluate'))
        return n
    if f != f or f in (float('inf'), float('-inf')):
        raise EvalError(f'cannot convert {v!r} to a number')
    return int(f) if f.is_integer() and 'e' not in v.lower() and '.' not in v else f


_NUMERAL = re.compile(r'-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?')


def to_bool(value: Val) -> bool:
    v = value.data
    if isinstance(v, bool):
        return v
    if v in ('true', 'false'):
        return v == 'true'
    raise EvalError(f'a bool is required, got {type_name(value)}')


def equal(a: Val, b: Val) -> bool:
    """Terraform's ``==``: same type and value (no string/number conversion)."""
    pa, pb = plain(a), plain(b)
    if isinstance(pa, bool) != isinstance(pb, bool):
        return False
    if isinstance(pa, str) != isinstance(pb, str):
        return False
    return pa == pb
