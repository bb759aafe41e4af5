"""``Record``: what a frozen dataclass gives (equality, hash, repr, ``replace``), from ``__slots__``.

Importing ``dataclasses`` (it imports ``inspect``, ``ast``...) and creating a
dataclass cost more than everything else a run over unchanged files does, so
the values that flow through the pipeline are plain classes with ``__slots__``
and an ``__init__`` written out. Treat them as immutable: nothing assigns to a
record's field after ``__init__``; ``replace`` makes a changed copy.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    R = TypeVar('R', bound='Record')


class Record:
    """Compared, hashed, shown and replaced by its fields: the parameters of its ``__init__``, each
    kept in the slot of that name (other slots are derived, as a dataclass's ``field(init=False)``)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init_subclass__(cls) -> None:
        code = cls.__init__.__code__
        cls._fields = code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount]

    def _values(self) -> tuple[object, ...]:
        return tuple([getattr(self, name) for name in self._fields])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Record):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields)})"


def replace(record: R, /, **changes: object) -> R:
    """A copy of ``record`` with some fields changed, made by its ``__init__`` (as ``dataclasses.replace``)."""
    unknown = set(changes) - set(record._fields)
    if unknown:
        raise TypeError(f'{type(record).__name__} has no field {sorted(unknown)[0]}')
    return type(record)(**{**{n: getattr(record, n) for n in record._fields}, **changes})
