"""What a run gathers besides results: files it could not check (``RunError``), things it
skipped on purpose (``Note``), and the ``Report`` that holds everything.

Plain classes, not dataclasses: a commit that touches no PostgreSQL
configuration imports this module and little else (``dataclasses`` and
``typing`` cost as much as starting Python). ``results`` re-exports them.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    from check_postgresql_log_disconnections.results import Change, Result

    ErrorKind = Literal['parse', 'read', 'limit', 'boundary', 'internal', 'plan', 'git']  # plan: a --plan file


class RunError:
    """A file that could not be checked: it makes the run exit 1. Immutable, compared by value."""

    __slots__ = ('column', 'kind', 'line', 'path', 'reason')

    def __init__(self, path: str, reason: str, line: int = 0, column: int = 0, kind: ErrorKind = 'parse') -> None:
        self.path = path
        self.reason = reason
        self.line = line  # 0 when the error has no position ("cannot read")
        self.column = column
        self.kind: ErrorKind = kind

    def _key(self) -> tuple[str, str, int, int, str]:
        return (self.path, self.reason, self.line, self.column, self.kind)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunError) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return 'RunError(path={!r}, reason={!r}, line={!r}, column={!r}, kind={!r})'.format(*self._key())


class Note:
    """Something skipped on purpose (a module source outside the repository...): not blocking."""

    __slots__ = ('column', 'line', 'path', 'text')

    def __init__(self, path: str, line: int, column: int, text: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.text = text

    def _key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Note) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return 'Note(path={!r}, line={!r}, column={!r}, text={!r})'.format(*self._key())


class Report:
    """Everything one run produced, in the order later steps read it."""

    def __init__(self, results: list[Result] | None = None, errors: list[RunError] | None = None,
                 notes: list[Note] | None = None, files: list[str] | None = None,
                 fixed: list[str] | None = None, changes: list[Change] | None = None, root: str = '',
                 cwd: str = '', texts: dict[str, str] | None = None) -> None:
        self.results: list[Result] = results if results is not None else []
        self.errors: list[RunError] = errors if errors is not None else []
        self.notes: list[Note] = notes if notes is not None else []
        self.files: list[str] = files if files is not None else []  # the files that were passed, as displayed
        self.fixed: list[str] = fixed if fixed is not None else []  # paths rewritten by --fix
        self.changes: list[Change] = changes if changes is not None else []  # what --fix rewrote, by position
        # Where paths are relative to: SARIF writes them relative to the repository root.
        self.root = root  # absolute: the git top level, or the directory the run started in outside git
        self.cwd = cwd  # absolute: the working directory paths are displayed relative to
        self.texts: dict[str, str] = texts if texts is not None else {}  # path -> text as in the file: line hashes

    def __repr__(self) -> str:
        return (f'Report(results={self.results!r}, errors={self.errors!r}, notes={self.notes!r}, '
                f'files={self.files!r}, fixed={self.fixed!r}, changes={self.changes!r}, root={self.root!r})')
