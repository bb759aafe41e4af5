"""python-hcl2's Lark parser, loaded in ~15 ms instead of ~110 ms (part of the ``hcl.py`` adapter).

python-hcl2 builds its parser with ``Lark.open(..., cache=.lark_cache.bin)``:
lark turns that cache back into ~26k objects in pure Python. Once python-hcl2
has built its parser, the whole object (parse table, lexer, callbacks and
python-hcl2's ``PostLexer``: the same parser, same options) is pickled into
the user cache directory (``cache.read_file`` / ``cache.write_file``: off with
``--no-cache``, checksummed, written atomically); the next process unpickles
it with the C unpickler. The entry's key holds the versions of lark, Python,
python-hcl2 (its grammar, parser options and post-lexer) and this package, so
an upgrade of any never loads an old parser. A file that is missing, corrupt,
foreign or fails to load in any way gives python-hcl2's own parser, and is
written again.

Unpickling can run code. The file lives in the user's own cache directory,
trusted as mypy's and ruff's caches there are (and lark already unpickles
python-hcl2's ``.lark_cache.bin`` on every load). As a second fence, only
classes of lark and python-hcl2 (and the helpers below) may be named in it;
anything else fails the load and falls back.
"""
from __future__ import annotations

import contextlib
import gc
import pickle
import re
import sys
import types
from typing import TYPE_CHECKING, Any

from check_postgresql_log_disconnections import cache

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lark import Lark
    from lark.tree import ParseTree

_FILE = cache.PARSER_FILE
_FORMAT = b'pgld-parser 1'


class _State:
    parser: Lark | None = None
    tree_parser: Lark | None = None  # the same, its trees without positions (``parses_to_tree``)


def load_parser() -> Lark:
    """python-hcl2's Lark parser, from the user cache when it holds a good copy (once a process)."""
    if _State.parser is None:
        _State.parser = _load()
        _State.tree_parser = _without_positions(_State.parser)
    return _State.parser


def _load() -> Lark:
    import lark

    try:
        depends_on = _depends_on(lark.__version__) if cache.enabled() else b''
    except OSError:  # python-hcl2 installed without its files on disk: nothing to key a copy by
        depends_on = b''
    parser = _unpickle(cache.read_file(_FILE, depends_on)) if depends_on else None
    if parser is None:
        from hcl2.parser import parser as python_hcl2_parser

        parser = python_hcl2_parser()
        data = _pickle(parser) if depends_on else b''
        if data:
            cache.write_file(_FILE, depends_on, data)
    return parser


def parses_to_tree(text: str) -> ParseTree:
    """``hcl2.parses_to_tree(text)`` (lark's tree, python-hcl2's grammar), its nodes without positions.

    ``hcl.py`` reads positions from the tokens, which keep theirs. lark's
    copying of them into every node (``propagate_positions``) was 60% of a parse.
    """
    load_parser()
    assert _State.tree_parser is not None  # made with the parser
    # as hcl2.api.parses_to_tree: lark cannot match "newline or end of file" (lark issue #237)
    return _State.tree_parser.parse(text + '\n')


def _without_positions(parser: Lark) -> Lark:
    """A copy of ``parser`` (python-hcl2's may be shared) whose tree builders do not propagate positions.

    lark wraps each rule's tree builder in ``PropagatePositions``, outermost
    (``ParseTreeBuilder``): the copy calls what it wraps. A lark laid out
    otherwise gets ``parser`` itself: slower, the same trees and tokens.
    """
    import copy

    from lark.parse_tree_builder import PropagatePositions

    try:
        frontend = copy.copy(parser.parser)
        lalr = frontend.parser = copy.copy(frontend.parser)
        table = lalr.parser = copy.copy(lalr.parser)
        table.callbacks = {rule: f.node_builder if isinstance(f, PropagatePositions) else f
                           for rule, f in table.callbacks.items()}
    except AttributeError:
        return parser
    fast = copy.copy(parser)
    fast.parser = frontend
    return fast


def _depends_on(lark_version: str) -> bytes:
    """What a pickled parser is valid for besides this package's code (``cache`` adds python-hcl2's version)."""
    import os

    parts = [_FORMAT, lark_version.encode(), sys.version.encode()]
    for directory in cache.package_dirs('hcl2'):
        for name in ('parser.py', 'postlexer.py', 'hcl2.lark'):
            with open(os.path.join(directory, name), 'rb') as f:
                parts.append(f.read())
    return b'\0'.join(parts)


def _pickle(parser: Lark) -> bytes:
    """The parser as a pickle; b'' when it cannot be (then nothing is kept)."""
    import copyreg
    import io

    from lark.parsers.lalr_analysis import Action

    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    # The lexer's `re` module, and lark's Shift / Reduce, which its parser compares by identity.
    pickler.dispatch_table[types.ModuleType] = _reduce_module
    pickler.dispatch_table[Action] = lambda a: (_action, (a.name,))
    try:
        with _no_gc():
            pickler.dump(parser)
    except Exception:  # an unpicklable parser is only a missed speed-up
        return b''
    return out.getvalue()


def _unpickle(data: bytes | None) -> Lark | None:
    """The parser in ``data``; None when there is none, or it does not load (python-hcl2 builds it then)."""
    if not data:
        return None
    import io

    from lark import Lark

    try:
        with _no_gc():
            parser = _Unpickler(io.BytesIO(data)).load()
    except Exception:  # whatever a damaged file raises, python-hcl2's own path is next
        return None
    return parser if isinstance(parser, Lark) else None


def _reduce_module(module: types.ModuleType) -> tuple[Any, tuple[()]]:
    if module is not re:  # python-hcl2 does not ask lark for the `regex` module
        raise TypeError(f'cannot keep module {module.__name__}')
    return _re_module, ()


def _re_module() -> types.ModuleType:
    return re


def _action(name: str) -> Any:
    from lark.parsers.lalr_analysis import Reduce, Shift

    return {'Shift': Shift, 'Reduce': Reduce}[name]


_SAFE = {('functools', 'partial'), ('re', '_compile'), (__name__, '_re_module'), (__name__, '_action')}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        """Classes of lark and python-hcl2 (no functions), and the few callables a parser's pickle names."""
        if (module, name) in _SAFE:
            return super().find_class(module, name)
        if module.partition('.')[0] in ('lark', 'hcl2'):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f'{module}.{name} is not part of a parser')


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Collections stopped while ~26k objects are made or walked, none of them garbage: twice as fast."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
