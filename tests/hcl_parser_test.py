"""python-hcl2's parser kept in the user cache (``hcl_parser.py``): the same trees, never another verdict."""
from __future__ import annotations

import ast
import os
import pickle
from pathlib import Path

import hcl2
import hcl2.parser
import lark
import pytest
from lark import Token, Tree

from check_postgresql_log_disconnections import cache, hcl_parser
from check_postgresql_log_disconnections._main import main

PACKAGE = Path(hcl_parser.__file__).parent


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """No parser loaded yet in this process; the test's own (empty) cache directory in use."""
    monkeypatch.setattr(hcl_parser._State, 'parser', None)
    cache.configure(True, lambda directory: False)


def _kept() -> Path:
    return Path(os.environ[cache.ENV_DIR]) / hcl_parser._FILE


def _from_the_cache(monkeypatch: pytest.MonkeyPatch) -> lark.Lark:
    """The parser as a later process loads it: from the file, python-hcl2 never asked to build one."""
    hcl_parser.load_parser()  # builds it through python-hcl2 and keeps it
    assert _kept().is_file()
    monkeypatch.setattr(hcl_parser._State, 'parser', None)

    def refuse() -> object:
        raise AssertionError('python-hcl2 was asked to build its parser')

    monkeypatch.setattr(hcl2.parser, 'parser', refuse)
    return hcl_parser.load_parser()


def _shape(x: object, node_positions: bool = True) -> object:
    """A lark tree with every position: what an identical parse must reproduce."""
    if isinstance(x, Token):
        return (x.type, str(x), x.line, x.column, x.end_line, x.end_column, x.start_pos, x.end_pos)
    if isinstance(x, Tree):
        m = x.meta
        where = () if m.empty or not node_positions else \
            (m.line, m.column, m.end_line, m.end_column, m.start_pos, m.end_pos)
        return (str(x.data), where, [_shape(c, node_positions) for c in x.children])
    return x


TEXTS = [
    'x = 1\n',
    'resource "azurerm_postgresql_configuration" "c" {\n  name  = "log_disconnections"\n  value = "off"\n}\n',
    'locals {\n  a = var.on ? "on" : "off"  # why\n  b = [for k, v in var.m : upper(v) if k != "x"]\n'
    '  c = { for s in var.l : s.name => s... }\n  d = var.list[*].id\n  e = aws.x.*.y\n}\n',
    'a = <<EOT\noff\nEOT\nb = <<-EOT\n    on\n  EOT\n',
    'a = "pre-${var.x}-%{ if var.y }on%{ else }off%{ endif }"\n',
    'a = (1\n  + 2\n  * 3)\nb = !true\nc = -1.5e3\n',
    '/* block */ a = merge(var.a, { "k" = [1, 2, 3] }, local.x...)\n// line\nb = local.m["k"][0]\n',
    'module "m" {\n  source = "./x"\n  dynamic "d" {\n    for_each = var.s\n    content { v = d.value }\n  }\n}\n',
    'a = "\\u00e9\\n\\"" \nb = null\n',
]
BAD = ['a = \n', 'a = 1 +\n', 'resource "x" {\n', 'a = @\n', 'x {{\n']


def test_the_kept_parser_gives_python_hcl2s_trees(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = hcl2.parser.parser()
    ours = _from_the_cache(monkeypatch)
    assert ours is not theirs
    assert type(ours.options.postlex) is type(theirs.options.postlex)
    for text in TEXTS:
        assert _shape(ours.parse(text + '\n')) == _shape(theirs.parse(text + '\n')), text
        # hcl.py's trees: the same tokens and nodes, the nodes without positions (hcl.py reads the tokens')
        assert _shape(hcl_parser.parses_to_tree(text), False) == _shape(hcl2.parses_to_tree(text), False), text


@pytest.mark.parametrize('text', BAD)
def test_the_kept_parser_fails_where_python_hcl2_fails(fresh: None, monkeypatch: pytest.MonkeyPatch,
                                                        text: str) -> None:
    with pytest.raises(lark.exceptions.UnexpectedInput) as theirs:
        hcl2.parses(text)
    ours = _from_the_cache(monkeypatch)
    with pytest.raises(lark.exceptions.UnexpectedInput) as e:
        ours.parse(text + '\n')
    assert (type(e.value), e.value.line, e.value.column) == (type(theirs.value), theirs.value.line,
                                                             theirs.value.column)


MAIN = '''\
resource "azurerm_postgresql_flexible_server_configuration" "a" {
  name      = "log_disconnections"
  server_id = "x"
  value     = "off"
}
'''
FINDING = ('main.tf:4:15: azurerm_postgresql_flexible_server_configuration.a: log_disconnections is "off", '
           'expected "on" [07f7134f-9f37-476e-8664-670c218e4702]\n')


def _valid(payload: bytes) -> bytes:
    """``payload`` with the checksum of a file this code and these versions wrote."""
    cache.write_file(hcl_parser._FILE, hcl_parser._depends_on(lark.__version__), payload)
    return _kept().read_bytes()


class _Planted:
    """Unpickled, would remove a file: only what a parser is made of may be named in one."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.remove, (str(self.target),)


@pytest.mark.parametrize('damage', [
    pytest.param(lambda data, tmp: b'', id='empty'),
    pytest.param(lambda data, tmp: data[:len(data) // 2], id='truncated'),
    pytest.param(lambda data, tmp: data[:-100] + bytes(100), id='zeroed tail, checksum kept'),
    pytest.param(lambda data, tmp: data.replace(b'\n', b'0\n', 1), id='another key'),
    pytest.param(lambda data, tmp: _valid(data.split(b'\n', 1)[1][:-50]), id='truncated pickle, valid checksum'),
    pytest.param(lambda data, tmp: _valid(pickle.dumps({'not': 'a parser'})), id='foreign: not a parser'),
    pytest.param(lambda data, tmp: _valid(pickle.dumps(_Planted(tmp / 'sentinel'))), id='foreign: code'),
])
def test_a_damaged_or_foreign_parser_changes_no_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], damage: object) -> None:
    (tmp_path / 'main.tf').write_text(MAIN)
    (tmp_path / 'sentinel').write_text('')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(hcl_parser._State, 'parser', None)
    assert main(['main.tf']) == 1
    assert capsys.readouterr().out == FINDING
    data = _kept().read_bytes()
    for entry in Path(os.environ[cache.ENV_DIR]).rglob('*.json'):
        entry.unlink()  # the block must be parsed again
    _kept().write_bytes(damage(data, tmp_path))  # type: ignore[operator]
    monkeypatch.setattr(hcl_parser._State, 'parser', None)
    assert main(['main.tf']) == 1
    assert capsys.readouterr().out == FINDING
    assert (tmp_path / 'sentinel').exists()
    monkeypatch.setattr(hcl_parser._State, 'parser', None)  # and a good parser is kept again
    assert hcl_parser._unpickle(cache.read_file(hcl_parser._FILE, hcl_parser._depends_on(lark.__version__)))


class _Calls:
    """Unpickled, would call one of python-hcl2's functions: only classes may be named."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return hcl2.api.parses, ('x = 1',)


def test_no_function_of_lark_or_python_hcl2_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    data = pickle.dumps(_Calls())
    called: list[str] = []
    monkeypatch.setattr(hcl2.api, 'parses', called.append)
    assert hcl_parser._unpickle(data) is None
    assert called == []


def test_without_the_cache_python_hcl2s_own_parser(fresh: None) -> None:
    cache.configure(False, lambda directory: False)
    assert hcl_parser.load_parser() is hcl2.parser.parser()
    assert not _kept().exists()


def test_without_python_hcl2s_files_python_hcl2s_own_parser(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> object:
        raise FileNotFoundError(name)

    monkeypatch.setattr(hcl_parser, '_depends_on', missing)
    assert hcl_parser.load_parser() is hcl2.parser.parser()
    assert not _kept().exists()


def test_a_parser_that_cannot_be_pickled_is_not_kept(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hcl2.parser.parser().lexer_conf, 're_module', os)  # not `re`: refused
    assert hcl_parser.load_parser() is hcl2.parser.parser()
    assert not _kept().exists()


def test_only_the_adapter_imports_python_hcl2_or_lark() -> None:
    importers = set()
    for path in sorted(PACKAGE.glob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ''] if isinstance(node, ast.ImportFrom) else []
            if any(n.split('.')[0] in ('hcl2', 'lark') for n in names):
                importers.add(path.name)
    assert importers == {'hcl.py', 'hcl_parser.py'}
