"""Property-based fuzzing of ``main()``: never crash, never lose data, never leave the repository.

Hypothesis generates small Terraform modules (configuration resources, variables
with defaults, locals, ``for_each`` maps, tfvars, unrelated resources, comments)
in which it knows every literal token and which of them feed
``log_disconnections``. Two families of properties:

* on any byte-level mutation of such a module (truncation, stray braces and
  quotes, merge-conflict markers, NUL bytes, invalid UTF-8, BOMs in the middle,
  huge identifiers, deep nesting, CRLF...), ``main()`` returns 0 or 1 without
  raising, prints only lines of the documented forms, writes no file without
  ``--fix``, and with ``--fix`` changes nothing but the literals its own report
  called fixable;
* on hostile names (a file named like an option, passed as pre-commit passes
  it; a name that is not UTF-8 or holds control characters; a named pipe),
  the same, and a name is always a file, never an option;
* on the valid modules, ``--fix`` turns exactly the non-compliant literals into
  ``"on"`` and keeps every other byte, leaves nothing fixable behind, and is
  idempotent.

The invariant checks (one regex for every documented output line, exit code
against output, bytes before and after, what ``--fix`` may change) and the
mutation set live in ``testing/fuzz.py``, whose long-running fuzzer checks
the same things on many more inputs: ``python -m testing.fuzz --minutes 10``.

Each example runs in its own temporary directory (not a function-scoped
fixture: Hypothesis reuses those across examples). The whole file is bounded
by ``max_examples`` to run in well under a minute.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from check_postgresql_log_disconnections.rule import CONFIG_TYPES
from testing import fuzz

LIMIT = 30  # seconds one main() may take before the example fails as a hang


@pytest.fixture(scope='module')
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp('fuzz')


@contextlib.contextmanager
def fresh_dir(base: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir=base) as d:
        yield Path(d)


def run_main(root: Path, argv: list[str]) -> tuple[int, str]:
    return fuzz.run_main(root, argv, limit=LIMIT)


# --- generated modules ---------------------------------------------------------------

@dataclass(frozen=True)
class Seg:
    """A piece of a generated file: plain text, or one literal token.

    ``kind`` is 'target' for a non-compliant literal that feeds log_disconnections
    (``--fix`` must rewrite it to "on"), 'keep' for any other literal (``--fix``
    must not touch it), '' for everything else.
    """

    text: str
    kind: str = ''


# Literals that make log_disconnections non-compliant, and that --fix can rewrite.
TARGETS = ('"off"', '"OFF"', '"Off"', '""', '" on"', '"on "', '"false"', '"0"', '"true"', '"yes"', '"onn"',
           '"of\\u0066"', '"$${off}"', '"%%{x}"', 'false', 'true', '0', '1', '0.5', 'null',
           '<<EOT\noff\nEOT', '<<-EOT\n    OFF\n  EOT', '<<EOT\non\nEOT')
COMPLIANT = ('"on"', '"On"', '"ON"', '"o\\u006e"')
ANY_LITERAL = TARGETS + COMPLIANT + ('"log_disconnections"', '-1', '"${"off"}"')
NAMES = ('"log_disconnections"', '"LOG_DISCONNECTIONS"', '"Log_Disconnections"')

# Any text a quoted string can hold without escapes or templates, quoted.
_chars = st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='"\\$%')
random_strings = st.text(_chars, max_size=12).map(lambda t: f'"{t}"')

targets = st.one_of(st.sampled_from(TARGETS), random_strings.filter(lambda q: q[1:-1].lower() != 'on'))
compliant = st.sampled_from(COMPLIANT)
noise_literals = st.one_of(st.sampled_from(ANY_LITERAL), random_strings)
eq = st.sampled_from((' = ', '=', '   = ', '\t= '))


def _attr(name: str, value: list[Seg], sep: str, indent: str = '  ') -> list[Seg]:
    return [Seg(f'{indent}{name}{sep}'), *value, Seg('\n')]


def _map(entries: list[tuple[str, Seg]], sep: str, indent: str = '  ') -> list[Seg]:
    """A multi-line object: one entry a line, so a heredoc value can end its line."""
    out = [Seg('{\n')]
    for key, lit in entries:
        out += _attr(key, [lit], sep, indent + '  ')
    return [*out, Seg(f'{indent}}}')]


def _resource(rtype: str, name: str, body: list[Seg]) -> list[Seg]:
    return [Seg(f'resource "{rtype}" "{name}" {{\n'), *body, Seg('}\n\n')]


def _config(rtype: str, name: str, sep: str, value: list[Seg], cfg_name: str = '"log_disconnections"',
            extra: list[Seg] | None = None) -> list[Seg]:
    server = (_attr('server_name', [Seg('"psql"')], sep) if rtype == CONFIG_TYPES[0]
              else _attr('server_id', [Seg('azurerm_postgresql_flexible_server.main.id')], sep))
    return _resource(rtype, name, [*(extra or []), *_attr('name', [Seg(cfg_name)], sep), *server,
                                   *_attr('value', value, sep)])


Parts = dict[str, list[Seg]]  # role ('main', 'variables', 'locals', 'tfvars') -> segments


@st.composite
def scenario(draw: st.DrawFn, i: int) -> Parts:
    """One way a value reaches (or does not reach) log_disconnections, numbered ``i``."""
    kind = draw(st.sampled_from(('literal', 'compliant', 'variable', 'tfvars', 'local', 'locals_map',
                                 'for_each_inline', 'for_each_var', 'for_each_local', 'noise', 'unverified')))
    rtype = draw(st.sampled_from(CONFIG_TYPES))
    sep = draw(eq)
    name = draw(st.sampled_from(NAMES))
    lit = Seg(draw(targets), 'target')
    other = Seg(draw(noise_literals), 'keep')
    if kind == 'literal':
        return {'main': _config(rtype, f'literal{i}', sep, [lit], name)}
    if kind == 'compliant':
        return {'main': _config(rtype, f'ok{i}', sep, [Seg(draw(compliant), 'keep')], name)}
    if kind == 'variable':
        typed = _attr('type', [Seg('string')], sep) if draw(st.booleans()) and lit.text[0] in '"<' else []
        return {'variables': [Seg(f'variable "v{i}" {{\n'), *typed, *_attr('default', [lit], sep), Seg('}\n\n')],
                'main': _config(rtype, f'variable{i}', sep, [Seg(f'var.v{i}')], name)}
    if kind == 'tfvars':
        default = _attr('default', [other], sep) if draw(st.booleans()) else []  # overridden: never fixed
        return {'variables': [Seg(f'variable "t{i}" {{\n'), *default, Seg('}\n\n')],
                'tfvars': [Seg(f't{i}{sep}'), lit, Seg('\n')],
                'main': _config(rtype, f'tfvars{i}', sep, [Seg(f'var.t{i}')], name)}
    if kind == 'local':
        return {'locals': [Seg('locals {\n'), *_attr(f'l{i}', [lit], sep), Seg('}\n\n')],
                'main': _config(rtype, f'local{i}', sep, [Seg(f'local.l{i}')], name)}
    if kind == 'locals_map':
        ref = draw(st.sampled_from((f'local.p{i}["log_disconnections"]', f'local.p{i}.log_disconnections')))
        entries = [('log_disconnections', lit), ('log_connections', other)]
        return {'locals': [Seg('locals {\n'), *_attr(f'p{i}', _map(entries, sep, '  '), sep), Seg('}\n\n')],
                'main': _config(rtype, f'locals_map{i}', sep, [Seg(ref)], name)}
    entries = draw(st.permutations([('log_disconnections', lit), ('log_connections', other),
                                    ('"log_checkpoints"', Seg(draw(noise_literals), 'keep'))]))
    each = [Seg('each.value')]
    if kind == 'for_each_inline':
        for_each = _attr('for_each', _map(entries, sep, '  '), sep)
        return {'main': _config(rtype, f'for_each{i}', sep, each, 'each.key', for_each)}
    if kind == 'for_each_var':
        return {'variables': [Seg(f'variable "m{i}" {{\n'), *_attr('default', _map(entries, sep), sep),
                              Seg('}\n\n')],
                'main': _config(rtype, f'for_each_var{i}', sep, each, 'each.key',
                                _attr('for_each', [Seg(f'var.m{i}')], sep))}
    if kind == 'for_each_local':
        return {'locals': [Seg('locals {\n'), *_attr(f'ps{i}', _map(entries, sep), sep), Seg('}\n\n')],
                'main': _config(rtype, f'for_each_local{i}', sep, each, 'each.key',
                                _attr('for_each', [Seg(f'local.ps{i}')], sep))}
    if kind == 'unverified':  # a value nobody can know statically: reported, never touched
        return {'main': _config(rtype, f'unknown{i}', sep, [Seg('azurerm_key_vault_secret.s.value')], name)}
    # noise: literals that do not feed log_disconnections, and text that only looks like it
    return {
        'main': [
            Seg('# value = "off"  (a comment is no value)\n'),
            *_config(rtype, f'other_parameter{i}', sep, [other], '"log_connections"'),
            *_resource('azurerm_storage_account', f'sa{i}', [
                *_attr('log_disconnections', [Seg(draw(noise_literals), 'keep')], sep),
                Seg('  /* value = "off" */\n'),
                Seg('  network_rules {\n'),
                *_attr('default_action', [Seg(draw(noise_literals), 'keep')], sep, '    '),
                Seg('  }\n'),
            ]),
            *_resource('azurerm_postgresql_flexible_server', f'srv{i}', _attr('version', [Seg('"16"')], sep)),
        ],
        'variables': [Seg(f'variable "unused{i}" {{\n'), *_attr('default', [Seg(draw(noise_literals), 'keep')], sep),
                      Seg('}\n\n')],
    }


@dataclass
class GenFile:
    name: str
    segs: list[Seg]
    newline: str
    bom: bool

    def render(self, segs: list[Seg] | None = None) -> bytes:
        text = ''.join(s.text for s in (self.segs if segs is None else segs)).replace('\n', self.newline)
        return (b'\xef\xbb\xbf' if self.bom else b'') + text.encode('utf-8')

    def fixed(self) -> bytes:
        """What --fix must make of this file: every target literal "on", every other byte as it was."""
        return self.render([Seg('"on"') if s.kind == 'target' else s for s in self.segs])


@st.composite
def modules(draw: st.DrawFn) -> list[GenFile]:
    """A module directory ``m/``: one to six scenarios spread over main.tf, variables.tf, locals.tf, tfvars."""
    n = draw(st.integers(1, 6))
    parts = [draw(scenario(i)) for i in range(n)]
    split = draw(st.booleans())
    names = {'main': 'm/main.tf', 'variables': 'm/variables.tf' if split else 'm/main.tf',
             'locals': 'm/locals.tf' if split else 'm/main.tf',
             'tfvars': draw(st.sampled_from(('m/terraform.tfvars', 'm/prod.auto.tfvars')))}
    segs: dict[str, list[Seg]] = {}
    for part in parts:
        for role, pieces in part.items():
            segs.setdefault(names[role], []).extend(pieces)
    files = []
    for name in sorted(segs):
        lead = [Seg(draw(st.sampled_from(('', '# generated\n', '/* header */\n', '\n'))))]
        files.append(GenFile(name, lead + segs[name], draw(st.sampled_from(('\n', '\r\n'))), draw(st.booleans())))
    return files


# --- byte-level mutations (the set testing/fuzz.py draws from) -----------------------

position = st.integers(0, 1 << 20)
mutation = st.one_of(
    st.tuples(st.just('truncate'), position),
    st.tuples(st.just('insert'), position, st.sampled_from(fuzz.INSERTS)),
    st.tuples(st.just('insert'), position, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just('delete'), position, st.integers(1, 40)),
    st.tuples(st.just('duplicate'), position, st.integers(1, 200), position),
    st.tuples(st.just('byte'), position, st.integers(0, 255)),
    st.tuples(st.just('crlf')),
    st.tuples(st.just('cr')),
    st.tuples(st.just('number'), position, st.sampled_from(fuzz.BIG_NUMBERS)),
)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, bytes]:
    files = {f.name: f.render() for f in draw(modules())}
    names = sorted(files)
    for op in draw(st.lists(st.tuples(st.sampled_from(names), mutation), min_size=1, max_size=4)):
        files[op[0]] = fuzz.mutate(files[op[0]], op[1])
    return files


# --- properties: bad input -------------------------------------------------------------

ARGS = st.sampled_from(([], ['--unresolved', 'fail'], ['--unresolved', 'ignore'], ['--require-explicit'],
                        ['--show-suppressed'], ['--var', 'v0=off'], ['--var-file', 'm/terraform.tfvars']))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=mutated(), fmt=st.sampled_from(('text', 'json', 'sarif')), extra=ARGS, as_dir=st.booleans())
def test_mutated_input_never_crashes_and_never_writes(workdir: Path, files: dict[str, bytes], fmt: str,
                                                      extra: list[str], as_dir: bool) -> None:
    """No exception, exit 0/1 as the output says, documented lines only, no file written."""
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, files)
        out = fuzz.check_case(root, ['--format', fmt, *extra, *(['m'] if as_dir else sorted(files))], limit=LIMIT)
    event(f'{fmt} output lines: {min(len(out.splitlines()), 5)}{"+" if len(out.splitlines()) > 5 else ""}')


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=mutated())
def test_fix_on_mutated_input_changes_only_the_literals_it_reported(workdir: Path, files: dict[str, bytes]) -> None:
    """--fix changes only the literals a run without it called fixable, each to "on", and only once.

    A file that cannot be read or parsed has no fixable literal, so this also
    says that such a file is never rewritten.
    """
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, files)
        before = fuzz.snapshot(root)
        fuzz.check_case(root, ['--fix', *sorted(files)], limit=LIMIT)
        event(f'files fixed: {sum(before[n] != d for n, d in fuzz.snapshot(root).items())}')


# --- properties: hostile names --------------------------------------------------------------

HOSTILE = st.one_of(st.tuples(st.just('option'), st.sampled_from(fuzz.OPTION_LIKE)),
                    st.tuples(st.just('odd'), st.sampled_from(fuzz.ODD_NAMES)),
                    st.tuples(st.just('fifo'), st.sampled_from(fuzz.FIFOS)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=mutated(), hostile=HOSTILE, fmt=st.sampled_from(('text', 'json', 'sarif')), extra=ARGS,
       fix=st.booleans(), passed=st.booleans())
def test_hostile_names(workdir: Path, files: dict[str, bytes], hostile: tuple[str, str], fmt: str,
                       extra: list[str], fix: bool, passed: bool) -> None:
    """A name pre-commit passes after the options is a file: the output is the one ``./NAME`` after ``--``
    gives, nothing is written anywhere. A name that is not UTF-8 or holds control characters prints
    escaped, on documented lines. A named pipe beside the module, passed, or as ``--var-file`` is never
    opened (a hang otherwise)."""
    kind, name = hostile
    assume(kind != 'fifo' or hasattr(os, 'mkfifo'))
    opts = [*(['--fix'] if fix else []), '--format', fmt, *extra]
    with fresh_dir(workdir) as root:
        same_as = None
        if kind == 'option':  # at the top, as `git ls-files` sorts it: `--...` first
            files = {**files, name: files[sorted(files)[0]]}
            argv = ['--pre-commit', *opts, name, *sorted(set(files) - {name})]
            same_as = [*opts, '--', f'./{name}', *sorted(set(files) - {name})]
        elif kind == 'odd':
            files = {**files, f'm/{name}': files[sorted(files)[0]]}
            argv = [*opts, *sorted(files if passed else set(files) - {f'm/{name}'})]
        else:
            files = {k: v for k, v in files.items() if k != f'm/{name}'}
            (root / 'm').mkdir()
            os.mkfifo(root / 'm' / name)
            argv = [*opts, *sorted(files), *([f'm/{name}'] if passed else [])]
        fuzz.write_files(root, files)
        fuzz.check_case(root, argv, limit=LIMIT, same_as=same_as)
        assert not (root.parent / 'outside' / 'report.tf').exists()  # `--output=../outside/report.tf`
    event(f'{kind}{" --fix" if fix else ""}')


# --- properties: --fix on valid modules ------------------------------------------------

@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(module=modules(), as_dir=st.booleans())
def test_fix_rewrites_exactly_the_noncompliant_literals(workdir: Path, module: list[GenFile], as_dir: bool) -> None:
    """Every non-compliant literal becomes "on", every other byte stays; nothing fixable is left; idempotent."""
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, {f.name: f.render() for f in module})
        paths = ['m'] if as_dir else [f.name for f in module]
        has_target = any(s.kind == 'target' for f in module for s in f.segs)

        rc, out = run_main(root, ['--format', 'json', *paths])
        doc = fuzz.check_json_output(out, rc)
        assert doc['errors'] == []  # the generated modules are valid Terraform
        assert (doc['summary']['noncompliant'] > 0) == has_target

        rc, out = run_main(root, ['--fix', *paths])
        lines = fuzz.check_text_output(out, rc)
        after = fuzz.snapshot(root)
        assert sorted(after) == sorted(f.name for f in module)  # nothing created, nothing left behind
        for f in module:  # the target literals are "on" now; every other byte is as it was
            assert after[f.name] == f.fixed(), f.name
        changed = {f.name for f in module if f.fixed() != f.render()}
        assert {m['fixing'][len('Fixing '):] for m in lines if m['fixing']} == changed
        assert rc == (1 if changed else 0)
        event(f'files fixed: {len(changed)}')

        rc, out = run_main(root, ['--format', 'json', *paths])
        doc = fuzz.check_json_output(out, rc)
        assert [r for r in doc['results'] if r['fixable'] and r['status'] == 'noncompliant'] == []
        assert doc['summary']['noncompliant'] == 0
        assert rc == 0

        rc, out = run_main(root, ['--fix', *paths])  # idempotent
        assert 'Fixing' not in out
        assert fuzz.snapshot(root) == after


# --- examples the properties found or must keep ------------------------------------------

BROKEN_NEIGHBOUR = b'''resource "azurerm_postgresql_configuration" "a" {
  name  = "log_disconnections"
  value = "off"
}
resource "azurerm_postgresql_configuration" "b" {
  name  = "log_disconnections"
  value = = "off"
}
'''


def test_a_file_that_fails_to_parse_is_never_rewritten(workdir: Path) -> None:
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, {'main.tf': BROKEN_NEIGHBOUR})
        assert run_main(root, ['--fix', 'main.tf']) == (1, (
            f'main.tf:3:11: azurerm_postgresql_configuration.a: log_disconnections is "off", expected "on" '
            f'[{fuzz.RULE_ID}]\n'
            "main.tf:7:11: cannot parse Terraform: unexpected '='\n"
            'main.tf:7:11: note: not fixed: part of this file could not be parsed\n'))
        assert (root / 'main.tf').read_bytes() == BROKEN_NEIGHBOUR


@pytest.mark.parametrize('data', (
    b'', b'\xef\xbb\xbf', b'\x00', b'\xff\xfe', b'}', b'{', b'"', b'<<EOT\n', b'<<<<<<< HEAD\n=======\n>>>>>>> x\n',
    b'resource "azurerm_postgresql_configuration" "x" {\n  value = ' + b'[' * 5000,
    b'resource "azurerm_postgresql_configuration" "x" {\n  name = "log_disconnections"\n  value = "' + b'\\' * 999,
    b'locals {\n  a = ' + b'"${' * 300 + b'\n}\n',
    b'resource "azurerm_postgresql_configuration" "' + b'x' * 100_000 + b'" {\n  value = "off"\n}\n',
))
def test_hand_picked_bad_input(workdir: Path, data: bytes) -> None:
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, {'main.tf': data})
        fuzz.check_case(root, ['main.tf'], limit=LIMIT)
        fuzz.check_case(root, ['--fix', 'main.tf'], limit=LIMIT)
        assert (root / 'main.tf').read_bytes() == data


SUPPRESSED = b'''resource "azurerm_postgresql_configuration" "a" {
  name  = "log_disconnections"
  # kics-scan ignore-line
  value = "off"
}
'''
FROM_A_DEFAULT = {
    'main.tf': b'resource "azurerm_postgresql_configuration" "a" {\n  name  = "log_disconnections"\n'
               b'  value = var.x\n}\n',
    'variables.tf': b'variable "x" {\n  default = "off"\n}\n',
}


@pytest.mark.parametrize(('files', 'expected_rc'), (
    ({'main.tf': SUPPRESSED}, 0),
    (FROM_A_DEFAULT, 1),  # only main.tf is passed; the "off" is in variables.tf
), ids=('suppressed', 'not-passed'))
def test_json_fixable_is_what_fix_rewrites(workdir: Path, files: dict[str, bytes], expected_rc: int) -> None:
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, files)
        rc, out = run_main(root, ['--format', 'json', 'main.tf'])
        [result] = fuzz.check_json_output(out, rc)['results']
        rc, out = run_main(root, ['--fix', 'main.tf'])
        assert rc == expected_rc
        assert 'Fixing' not in out
        assert fuzz.snapshot(root) == files  # --fix does not touch it...
        assert result['fixable'] is False  # ...so the report should not call it fixable


@pytest.mark.parametrize('fmt', ('json', 'sarif'))
def test_fix_with_a_machine_format_prints_only_that_format(workdir: Path, fmt: str) -> None:
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, {'main.tf': SUPPRESSED.replace(b'  # kics-scan ignore-line\n', b'')})
        out = fuzz.check_case(root, ['--fix', '--format', fmt, 'main.tf'], limit=LIMIT)  # the output parses
        assert b'"on"' in (root / 'main.tf').read_bytes()
        if fmt == 'json':
            assert json.loads(out)['fixed'] == ['main.tf']


# --- the long-running fuzzer's own machinery ------------------------------------------------

def test_fuzzer_inputs_are_deterministic_and_replayable(tmp_path: Path) -> None:
    corpus = fuzz.Corpus(monorepo=False)
    assert corpus.texts and corpus.blocks  # examples/, the test fixtures and the built-in seeds
    cases = [fuzz.make_case(corpus, 7, i) for i in range(40)]
    assert cases == [fuzz.make_case(corpus, 7, i) for i in range(40)]
    assert cases != [fuzz.make_case(corpus, 8, i) for i in range(40)]
    for case in cases[:3]:
        saved = fuzz.save_case(case, 'violation', 'detail', tmp_path)
        assert fuzz.load_case(saved) == {**case, 'kind': 'violation'}


@pytest.mark.parametrize(('op', 'expected'), (
    (('truncate', 3), b'abc'),
    (('insert', 2, b'{'), b'ab{cdef'),
    (('delete', 1, 2), b'adef'),
    (('duplicate', 0, 2, 6), b'abcdefab'),
    (('byte', 8, 0), b'a\x00cdef'),  # positions wrap around (modulo length + 1)
    (('crlf',), b'abcdef'),
    (('number', 0, 10 ** 9), b'abcdef'),
))
def test_mutations(op: tuple[object, ...], expected: bytes) -> None:
    assert fuzz.mutate(b'abcdef', op) == expected
    assert fuzz.mutate(b'a\nb\r\nc', ('crlf',)) == b'a\r\nb\r\nc'
    assert fuzz.mutate(b'count = 3\nx = 12\n', ('number', 11, 10_001)) == b'count = 3\nx = 10001\n'


MULTI_LINE_STRING = b'''resource "azurerm_postgresql_configuration" "x" {
  name  = "log_disconnections"
  value = "off
"
}
'''


def test_a_quoted_string_over_two_lines(workdir: Path) -> None:
    # found by python -m testing.fuzz --seed 1 (input 16102: a conflict marker inserted in a string)
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, {'main.tf': MULTI_LINE_STRING})
        out = fuzz.check_case(root, ['--fix', 'main.tf'], limit=LIMIT)  # fixable means --fix can rewrite it
        assert 'changed since' not in out
        assert out.splitlines() == [
            'main.tf:3:12: cannot parse Terraform: invalid multi-line string: a quoted string cannot span lines']


# --- properties: evaluation bombs (regexes that backtrack in Python, doubling values, large builds) ----

@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(fuzz.EVAL_BOMB_FAMILIES), seed=st.integers(0, 2 ** 32 - 1))
def test_evaluation_bombs_are_answered_within_bounds(workdir: Path, family: str, seed: int) -> None:
    """At most one line, for the bomb's resource: a finding, or unverified with a bound's reason; never a hang."""
    import random

    text = fuzz.eval_bomb(random.Random(seed), family)
    with fresh_dir(workdir) as root:
        fuzz.write_files(root, {'main.tf': text.encode()})
        rc, out = run_main(root, ['main.tf'])
    lines = fuzz.check_text_output(out, rc)
    assert len(lines) <= 1, out
    line = lines[0].string if lines else ''
    assert ': unverified: ' not in line or any(reason in line for reason in fuzz.EVAL_BOMB_REASONS), line
    event(f'{family}: {"unverified" if ": unverified: " in line else "judged" if line else "compliant"}')
