"""A content-addressed cache of parsed blocks, in the user's cache directory.

Importing python-hcl2 and loading its grammar costs more than reading a whole
repository, and a block parses at ~0.1 MB/s. A run over unchanged blocks (the
next commit, the next ``--all-files``) takes their ``syntax`` nodes from here
and never imports python-hcl2.

- Where: ``$CHECK_POSTGRESQL_LOG_DISCONNECTIONS_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/check-postgresql-log-disconnections``, else
  ``~/.cache/check-postgresql-log-disconnections`` (as ruff and mypy keep
  theirs). Never inside the repository being checked: then nothing is cached.
- Off: ``--no-cache``, or ``CHECK_POSTGRESQL_LOG_DISCONNECTIONS_NO_CACHE=1``.
- Key: a BLAKE2b-256 digest of the block's text and of the code that makes an
  entry (this package's source files, python-hcl2's version and grammar), so
  an upgrade of either, or an edit of a checkout, never reads an old entry.
  BLAKE2b is a cryptographic hash of the standard library (as collision
  resistant as SHA-256, faster); it is taken from ``_blake2``, the module
  ``hashlib`` itself uses, because ``hashlib`` also loads OpenSSL, which
  costs a run over unchanged files more than all its hashing.
- Entry: one file ``<key[:2]>/<key[2:]>.json``: a first line with the digest
  of the key and the payload, then the payload, the nodes as plain JSON
  (``[class name, field...]``, positions relative to the block). JSON and not
  pickle: loading it runs no code and builds only ``syntax`` nodes, so an
  entry written by anything else cannot do more than fail to load. Written
  to a temporary file in the same directory and renamed, so a parallel
  process sees a whole entry or none. An entry that is unreadable, truncated,
  for another key or whose checksum does not match is ignored (and
  rewritten): the cache can make a run faster, never change what it says.
- Only successful parses are kept; a block python-hcl2 rejects is parsed
  again next time, and reported again.
- Besides blocks, one named file (``read_file`` / ``write_file``): python-hcl2's
  loaded parser (``hcl_parser.py``), checked and written the same way.
"""
from __future__ import annotations

import os
import sys

from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.record import Record

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover (an interpreter without the module hashlib wraps)
    from hashlib import blake2b

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

ENV_DIR = 'CHECK_POSTGRESQL_LOG_DISCONNECTIONS_CACHE_DIR'
ENV_OFF = 'CHECK_POSTGRESQL_LOG_DISCONNECTIONS_NO_CACHE'
PARSER_FILE = 'python-hcl2-parser.pickle'  # python-hcl2's parser, kept by ``hcl_parser``
_NAME = 'check-postgresql-log-disconnections'
_FORMAT = b'pgld-cache 2'

_NODES: dict[str, type[Record]] = {
    cls.__name__: cls for cls in (
        s.Lit, s.Template, s.Ref, s.GetAttr, s.Index, s.Splat, s.Call, s.Cond, s.BinOp, s.UnOp,
        s.TupleExpr, s.ObjectExpr, s.ForExpr, s.Unsupported, s.Attribute, s.Block, s.Body)
}


class _State:
    directory: str | None = None  # None: no cache in this process
    salt: bytes = b''


def default_directory() -> str:
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return explicit
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, _NAME)


def configure(enabled: bool, inside_repository: Callable[[str], bool]) -> None:
    """Turn the cache on for this process (or off); never at a directory inside the repository."""
    _State.directory = None
    if not enabled or os.environ.get(ENV_OFF, '') not in ('', '0'):
        return
    directory = os.path.abspath(default_directory())
    if inside_repository(directory):
        return
    _State.directory = directory
    _State.salt = b''


def _salt() -> bytes:
    """What an entry depends on besides the block: our code, python-hcl2's version and grammar (~1 ms)."""
    if not _State.salt:
        h = blake2b(_FORMAT, digest_size=32)
        here = os.path.dirname(os.path.abspath(__file__))
        theirs = package_dirs('hcl2')
        paths = [os.path.join(here, n) for n in sorted(os.listdir(here)) if n.endswith('.py')]
        paths += [os.path.join(d, n) for d in theirs[:1] for n in ('version.py', 'hcl2.lark')]
        for path in paths:
            h.update(b'\0' + _contents(path))
        _State.salt = h.digest()
    return _State.salt


def _contents(path: str) -> bytes:
    """A file's bytes (raises OSError): ``os.read`` of what ``fstat`` says, half what ``open()`` costs
    (a second run reads ~120 files here)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_BINARY', 0))
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        more = [data]  # it grew since fstat
        while more[-1]:
            more.append(os.read(fd, 1 << 16))
        return b''.join(more)
    finally:
        os.close(fd)


def package_dirs(name: str) -> list[str]:
    """Where the import system would find package ``name``, without importing it.

    (What ``importlib.util.find_spec`` does, without importing ``importlib.util``.)
    """
    for finder in sys.meta_path:
        find_spec = getattr(finder, 'find_spec', None)  # (an old-style finder may have none)
        spec = find_spec(name, None) if find_spec is not None else None
        if spec is not None:
            return list(spec.submodule_search_locations or [])
    return []


def _encode(text: str) -> bytes:
    return text.encode('utf-8', 'surrogatepass')


def _key_of(data: bytes) -> str:
    return blake2b(_salt() + data, digest_size=32).hexdigest()


def _entry_path(key: str) -> str:
    assert _State.directory is not None
    return os.path.join(_State.directory, key[:2], key[2:] + '.json')


def _checksum(key: str, payload: bytes) -> bytes:
    return blake2b(key.encode() + b'\0' + payload, digest_size=32).hexdigest().encode()


def get(text: str, path: str, line: int, offset: int) -> s.Body | None:
    """The cached parse of ``text`` placed at ``path``:``line`` / ``offset``; None when there is none."""
    if _State.directory is None:
        return None
    payload = _read(_entry_path, _encode(text))
    if payload is None:
        return None
    try:
        return load(payload, path, line, offset)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return None  # corrupt or foreign: parse again


def has(text: str) -> bool:
    """Is there an entry for ``text`` (unchecked: ``get`` may still refuse it)?"""
    return _State.directory is not None and os.path.exists(_entry_path(_key_of(_encode(text))))


def load(payload: bytes, path: str, line: int, offset: int) -> s.Body:
    """An entry's payload (``dump``) placed at ``path``:``line`` / ``offset``.

    Raises ValueError, TypeError, KeyError, IndexError, AttributeError or RecursionError when it is no body.
    """
    import json

    body = _Loader(path, line - 1, offset).node(json.loads(payload))
    if not isinstance(body, s.Body):
        raise ValueError('not a body')
    return body


def dump(body: s.Body, line: int, offset: int) -> bytes:
    """The payload of an entry for ``body``, found at ``line`` / ``offset`` (raises ValueError, RecursionError)."""
    import json

    return json.dumps(_dump(body, line - 1, offset), separators=(',', ':')).encode()


def put(text: str, body: s.Body, line: int, offset: int) -> None:
    """Keep the parse of ``text`` (found at ``line`` / ``offset``) for the next run; failures are ignored."""
    if _State.directory is None:
        return
    try:
        payload = dump(body, line, offset)
    except (ValueError, RecursionError):
        return
    store(text, payload)


def store(text: str, payload: bytes) -> None:
    """Write the entry for ``text`` (``payload``: what ``dump`` made of its parse); failures are ignored."""
    if _State.directory is not None:
        _write(_entry_path, _encode(text), payload)


def read_file(name: str, depends_on: bytes) -> bytes | None:
    """What ``write_file`` kept as ``name`` for the same ``depends_on`` and code; None when nothing whole is."""
    directory = _State.directory
    return None if directory is None else _read(lambda key: os.path.join(directory, name), depends_on)


def discard_unfinished(name: str, pid: int) -> None:
    """Remove what process ``pid`` left of ``write_file(name, ...)``, had it ended while writing (killed)."""
    directory = _State.directory
    if directory is not None:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, f'{name}.{pid}.tmp'))  # (``_write``'s temporary name)


def write_file(name: str, depends_on: bytes, payload: bytes) -> None:
    """Keep ``payload`` as ``name``, valid for ``depends_on`` and this code; failures are ignored."""
    directory = _State.directory
    if directory is not None:
        _write(lambda key: os.path.join(directory, name), depends_on, payload)


def _read(target: Callable[[str], str], data: bytes) -> bytes | None:
    """The payload ``_write`` kept for ``data`` (at ``target(key)``); None when missing, unreadable or not whole."""
    try:
        key = _key_of(data)
        kept = _contents(target(key))
    except OSError:
        return None
    digest, _, payload = kept.partition(b'\n')
    return payload if digest == _checksum(key, payload) else None


def _write(target: Callable[[str], str], data: bytes, payload: bytes) -> None:
    """``payload`` kept for ``data`` at ``target(key)``, after a line checksumming both; failures are ignored."""
    try:
        key = _key_of(data)
        path = target(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f'{path}.{os.getpid()}.tmp'
        with open(tmp, 'wb') as f:
            f.write(_checksum(key, payload) + b'\n' + payload)
        os.replace(tmp, path)  # atomic: a parallel reader sees the old file, the new one, or none
    except OSError:
        return


def _dump(x: object, line_delta: int, offset: int) -> object:
    """A node as JSON: ``[class, field...]``, a tuple as ``["T", item...]``, positions made relative."""
    if isinstance(x, s.Span):
        return ['S', x.line - line_delta, x.column, x.end_line - line_delta, x.end_column,
                x.start - offset, x.end - offset]
    if isinstance(x, tuple):
        return ['T', *(_dump(i, line_delta, offset) for i in x)]
    if isinstance(x, Record) and type(x).__name__ in _NODES:
        return [type(x).__name__, *(_dump(getattr(x, f), line_delta, offset) for f in x._fields)]
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    raise ValueError(f'cannot cache {type(x).__name__}')


class _Loader:
    """JSON -> nodes, placed at a path, line and offset. Anything unexpected raises ValueError."""

    def __init__(self, path: str, line_delta: int, offset: int) -> None:
        self.path = path
        self.line_delta = line_delta
        self.offset = offset

    def node(self, x: object) -> object:
        if type(x) is not list:
            if x is None or isinstance(x, (str, int, float, bool)):
                return x
            raise ValueError('not a node')
        tag = x[0]
        if tag == 'T':
            return tuple([self.node(i) for i in x[1:]])
        if tag == 'S':
            _, line, column, end_line, end_column, start, end = x  # (ValueError: not 7 items)
            if not (type(line) is type(column) is type(end_line) is type(end_column) is type(start)
                    is type(end) is int):
                raise ValueError('bad span')
            d, o = self.line_delta, self.offset
            return s.Span(self.path, line + d, column, end_line + d, end_column, start + o, end + o)
        cls = _NODES[tag]
        if len(x) - 1 != len(cls._fields):
            raise ValueError(f'{tag}: wrong number of fields')
        return cls(*[self.node(i) for i in x[1:]])


def enabled() -> bool:
    return _State.directory is not None

