from __future__ import annotations

import json

import pytest

from check_postgresql_log_disconnections.render import change_line, exit_code, message, render
from check_postgresql_log_disconnections.results import Change, Note, Report, Result, RunError
from check_postgresql_log_disconnections.rule import RULE_ID
from testing.reports import T, res, sample_report, span

ID = f'[{RULE_ID}]'


# --- message -----------------------------------------------------------------

NOT_ACCEPTED = ' (not an accepted value; Azure takes "on" or "off")'


@pytest.mark.parametrize(
    ('result', 'expected'),
    (
        (res(value='off'), f'{T}.positive1: log_disconnections is "off", expected "on" {ID}'),
        (res(value='Off'), f'{T}.positive1: log_disconnections is "Off", expected "on" {ID}'),
        (res(value='OFF'), f'{T}.positive1: log_disconnections is "OFF", expected "on" {ID}'),
        (
            res(value=True),
            f'{T}.positive1: log_disconnections is true{NOT_ACCEPTED}, expected "on" {ID}',
        ),
        (
            res(value=False),
            f'{T}.positive1: log_disconnections is false{NOT_ACCEPTED}, expected "on" {ID}',
        ),
        (res(value=0), f'{T}.positive1: log_disconnections is 0{NOT_ACCEPTED}, expected "on" {ID}'),
        (
            res(value=1.5),
            f'{T}.positive1: log_disconnections is 1.5{NOT_ACCEPTED}, expected "on" {ID}',
        ),
        (
            res(value=None),
            f'{T}.positive1: log_disconnections is null{NOT_ACCEPTED}, expected "on" {ID}',
        ),
        (res(value=''), f'{T}.positive1: log_disconnections is ""{NOT_ACCEPTED}, expected "on" {ID}'),
        (
            res(value=' on'),
            f'{T}.positive1: log_disconnections is " on"{NOT_ACCEPTED}, expected "on" {ID}',
        ),
        (
            res(value='say "hi"\n\\'),
            (
                f'{T}.positive1: log_disconnections is "say \\"hi\\"\\n\\\\"{NOT_ACCEPTED}, '
                f'expected "on" {ID}'
            ),
        ),
        (
            # Non-ASCII text stays readable; bidi overrides and separators do not
            # reach the terminal raw.
            res(value='ön\u202e\u2028'),
            (
                f'{T}.positive1: log_disconnections is "ön\\u202e\\u2028"{NOT_ACCEPTED}, '
                f'expected "on" {ID}'
            ),
        ),
        (
            res(value=['on']),
            f'{T}.positive1: log_disconnections is ["on"]{NOT_ACCEPTED}, expected "on" {ID}',
        ),
        (
            res(value={'a': ('off', 1)}),
            (
                f'{T}.positive1: log_disconnections is {{"a": ["off", 1]}}{NOT_ACCEPTED}, '
                f'expected "on" {ID}'
            ),
        ),
        (
            res(value='off', origin=span('variables.tf', 14, 13)),
            (
                f'{T}.positive1: log_disconnections is "off", expected "on" '
                f'(value from variables.tf:14) {ID}'
            ),
        ),
        (
            res(
                value='off', origin=span('variables.tf', 14, 13),
                origin_what='default of var.params',
            ),
            (
                f'{T}.positive1: log_disconnections is "off", expected "on" '
                f'(value from variables.tf:14, default of var.params) {ID}'
            ),
        ),
        (
            res(
                address=f'module.a.module.b.{T}.c',
                value='off', origin=span('env/prod.tfvars', 2, 10), origin_what='prod.tfvars',
                callers=(span('main.tf', 1, 1), span('modules/a/main.tf', 7, 1)),
            ),
            (
                f'module.a.module.b.{T}.c: log_disconnections is "off", expected "on" '
                f'(value from env/prod.tfvars:2, prod.tfvars) (module call at main.tf:1) '
                f'(module call at modules/a/main.tf:7) {ID}'
            ),
        ),
        (
            res(value='off', callers=(span('main.tf', 3, 1),)),
            (
                f'{T}.positive1: log_disconnections is "off", expected "on" '
                f'(module call at main.tf:3) {ID}'
            ),
        ),
        (
            res(address='azurerm_postgresql_server.s', resource_type='azurerm_postgresql_server'),
            f'azurerm_postgresql_server.s: log_disconnections is not set, expected "on" {ID}',
        ),
        (
            res(
                address='azurerm_postgresql_server.s', resource_type='azurerm_postgresql_server',
                reason='no configuration resource for it in this module',
            ),
            (
                'azurerm_postgresql_server.s: log_disconnections is not set '
                f'(no configuration resource for it in this module), expected "on" {ID}'
            ),
        ),
        (
            res(status='unverified', reason='var.value has no default and no caller sets it'),
            f'unverified: {T}.positive1: var.value has no default and no caller sets it {ID}',
        ),
        (
            res(status='unverified'),
            f'unverified: {T}.positive1: the value cannot be determined statically {ID}',
        ),
        (
            res(address=f'{T}.c["a\nb"]', value='off'),
            f'{T}.c["a\\nb"]: log_disconnections is "off", expected "on" {ID}',
        ),
        (
            res(status='compliant', value='On'),
            f'{T}.positive1: log_disconnections is "On" {ID}',
        ),
        (
            res(value='off', suppressed='kics-scan ignore-line'),
            f'{T}.positive1: log_disconnections is "off", expected "on" {ID}',
        ),
    ),
)
def test_message(result: Result, expected: str) -> None:
    assert message(result) == expected


# --- text --------------------------------------------------------------------

KICS_POSITIVE = Report(results=[
    res(address=f'{T}.positive1', value='off', location=span('positive.tf', 5, 27)),
    res(address=f'{T}.positive3', value='OFF', location=span('positive.tf', 19, 27)),
    res(address=f'{T}.positive2', value='Off', location=span('positive.tf', 12, 27)),
])


def test_text_kics_positive_fixture_sorted_by_line() -> None:
    assert render(KICS_POSITIVE, 'text') == (
        f'positive.tf:5:27: {T}.positive1: log_disconnections is "off", expected "on" {ID}\n'
        f'positive.tf:12:27: {T}.positive2: log_disconnections is "Off", expected "on" {ID}\n'
        f'positive.tf:19:27: {T}.positive3: log_disconnections is "OFF", expected "on" {ID}\n'
    )


def test_text_quiet_when_all_is_well() -> None:
    report = Report(results=[
        res(status='compliant', value='on'),
        res(status='compliant', value='ON', location=span('b.tf', 1, 1)),
    ])
    assert render(report, 'text') == ''
    assert render(Report(), 'text') == ''
    assert render(report, 'text', show_suppressed=True) == ''


UNVERIFIED = Report(results=[
    res(status='unverified', reason='var.v has no default', location=span('./a.tf', 3, 15)),
])


@pytest.mark.parametrize(
    ('unresolved', 'expected'),
    (
        ('ignore', ''),
        ('warn', f'./a.tf:3:15: unverified: {T}.positive1: var.v has no default {ID}\n'),
        ('fail', f'./a.tf:3:15: unverified: {T}.positive1: var.v has no default {ID}\n'),
    ),
)
def test_text_unverified(unresolved: str, expected: str) -> None:
    assert render(UNVERIFIED, 'text', unresolved=unresolved) == expected


SUPPRESSED = Report(results=[
    res(value='off', suppressed='kics-scan ignore-line', location=span('a.tf', 5, 27)),
    res(
        status='unverified', reason='var.v has no default',
        suppressed='kics-scan disable=07f7134f-9f37-476e-8664-670c218e4702',
        location=span('a.tf', 12, 27),
    ),
    res(status='compliant', value='on', suppressed='kics-scan ignore', location=span('a.tf', 20, 1)),
])


def test_text_suppressed_hidden_by_default() -> None:
    assert render(SUPPRESSED, 'text') == ''


def test_text_suppressed_shown_and_counted() -> None:
    assert render(SUPPRESSED, 'text', show_suppressed=True) == (
        f'a.tf:5:27: suppressed (kics-scan ignore-line): {T}.positive1: '
        f'log_disconnections is "off", expected "on" {ID}\n'
        f'a.tf:12:27: suppressed (kics-scan disable={RULE_ID}): unverified: '
        f'{T}.positive1: var.v has no default {ID}\n'
        '2 suppressed finding(s)\n'
    )


def test_text_suppressed_unverified_follows_unresolved() -> None:
    assert render(SUPPRESSED, 'text', show_suppressed=True, unresolved='ignore') == (
        f'a.tf:5:27: suppressed (kics-scan ignore-line): {T}.positive1: '
        f'log_disconnections is "off", expected "on" {ID}\n'
        '1 suppressed finding(s)\n'
    )


@pytest.mark.parametrize(
    ('error', 'expected'),
    (
        (
            RunError('bad.tf', "Unexpected token '}'", 3, 4),
            "bad.tf:3:4: cannot parse Terraform: Unexpected token '}'\n",
        ),
        (
            RunError('deep.tf', 'nesting is too deep'),
            'deep.tf: cannot parse Terraform: nesting is too deep\n',
        ),
        (
            RunError('gone.tf', '[Errno 2] No such file or directory', kind='read'),
            'gone.tf: cannot read: [Errno 2] No such file or directory\n',
        ),
        (
            RunError('big.tf', 'larger than 4 MiB, not checked', kind='limit'),
            'big.tf: cannot parse Terraform: larger than 4 MiB, not checked\n',
        ),
        (
            RunError('mod/main.tf', 'module source leaves the repository', 7, 12, 'boundary'),
            'mod/main.tf:7:12: module source leaves the repository\n',
        ),
        (
            RunError('x.tf.json', 'Expecting value', 2, 0),
            'x.tf.json:2: cannot parse Terraform: Expecting value\n',
        ),
        (
            RunError('bin.tf', 'invalid \x00 byte\x1b[31m'),
            'bin.tf: cannot parse Terraform: invalid \\u0000 byte\\u001b[31m\n',
        ),
    ),
)
def test_text_errors(error: RunError, expected: str) -> None:
    assert render(Report(errors=[error]), 'text') == expected


@pytest.mark.parametrize(
    ('note', 'expected'),
    (
        (
            Note('main.tf', 3, 12, 'module source outside the repository: not followed'),
            'main.tf:3:12: note: module source outside the repository: not followed\n',
        ),
        (Note('main.tf', 0, 0, 'skipped'), 'main.tf: note: skipped\n'),
    ),
)
def test_text_notes(note: Note, expected: str) -> None:
    assert render(Report(notes=[note]), 'text') == expected


def test_text_everything_sorted_by_path_line_column() -> None:
    report = Report(
        results=[
            res(address=f'{T}.b', value='off', location=span('b.tf', 10, 3)),
            res(address=f'{T}.a', value='off', location=span('b.tf', 2, 15)),
            res(status='unverified', address=f'{T}.u', reason='r', location=span('a.tf', 4, 1)),
            res(address=f'{T}.c', value='off', location=span('b.tf', 2, 3)),
            res(status='compliant', address=f'{T}.ok', value='on', location=span('a.tf', 1, 1)),
        ],
        errors=[RunError('c.tf', 'boom', 1, 1), RunError('a.tf', 'no access', kind='read')],
        notes=[Note('b.tf', 2, 3, 'n')],
        fixed=['b.tf'],
    )
    assert render(report, 'text') == (
        'a.tf: cannot read: no access\n'
        f'a.tf:4:1: unverified: {T}.u: r {ID}\n'
        f'b.tf:2:3: {T}.c: log_disconnections is "off", expected "on" {ID}\n'
        'b.tf:2:3: note: n\n'
        f'b.tf:2:15: {T}.a: log_disconnections is "off", expected "on" {ID}\n'
        f'b.tf:10:3: {T}.b: log_disconnections is "off", expected "on" {ID}\n'
        'c.tf:1:1: cannot parse Terraform: boom\n'
    )


# --- JSON --------------------------------------------------------------------

SAMPLE = sample_report(
    changes=[Change('variables.tf', 14, 13, 'off', 'default of var.params',
                    (f'module.db.{T}.cfg["log_disconnections"]',))],
)


def test_json_shape() -> None:
    got = json.loads(render(SAMPLE, 'json'))
    result: dict[str, object] = {
        'origin': None, 'callers': [], 'installed': [], 'via': [], 'reason': '', 'suppression': None,
        'fixable': False, 'resource_type': T, 'rule_id': RULE_ID,
    }
    assert got == {
        'version': 1,
        'rule': {
            'id': RULE_ID,
            'name': 'PostgreSQL Log Disconnections Not Set',
            'severity': 'MEDIUM',
            'cwe': 'CWE-778',
            'cis': 'CIS Microsoft Azure Foundations 4.3.4',
        },
        'results': [
            {
                **result,
                'file': 'main.tf', 'line': 5, 'column': 27, 'end_line': 5, 'end_column': 32,
                'address': f'{T}.negative1', 'value': 'On', 'value_known': True,
                'status': 'compliant', 'verdict': 'compliant',
                'message': f'{T}.negative1: log_disconnections is "On" {ID}',
            },
            {
                **result,
                'file': 'main.tf', 'line': 12, 'column': 27, 'end_line': 12, 'end_column': 32,
                'address': f'{T}.u', 'value': None, 'value_known': False,
                'reason': 'data.x.y is only known after apply',
                'status': 'unverified', 'verdict': 'unverified',
                'message': f'unverified: {T}.u: data.x.y is only known after apply {ID}',
            },
            {
                **result,
                'file': 'main.tf', 'line': 20, 'column': 27, 'end_line': 20, 'end_column': 32,
                'address': f'{T}.s', 'value': 0, 'value_known': True,
                'status': 'suppressed', 'verdict': 'noncompliant',
                'suppression': 'kics-scan ignore-line',
                'message': f'{T}.s: log_disconnections is 0{NOT_ACCEPTED}, expected "on" {ID}',
            },
            {
                **result,
                'file': 'modules/db/main.tf', 'line': 8, 'column': 15,
                'end_line': 8, 'end_column': 35,
                'address': f'module.db.{T}.cfg["log_disconnections"]',
                'value': 'off', 'value_known': True,
                'via': ['var.params'],
                'origin': {
                    'file': 'variables.tf', 'line': 14, 'column': 13,
                    'end_line': 14, 'end_column': 18, 'what': 'default of var.params',
                },
                'callers': [{'file': 'main.tf', 'line': 1, 'column': 1}],
                'status': 'noncompliant', 'verdict': 'noncompliant', 'fixable': True,
                'message': (
                    f'module.db.{T}.cfg["log_disconnections"]: log_disconnections is "off", '
                    'expected "on" (value from variables.tf:14, default of var.params) '
                    f'(module call at main.tf:1) {ID}'
                ),
            },
        ],
        'errors': [{
            'file': 'bad.tf', 'line': 3, 'column': 4, 'kind': 'parse',
            'reason': 'Unexpected token', 'message': 'cannot parse Terraform: Unexpected token',
        }],
        'notes': [{
            'file': 'main.tf', 'line': 30, 'column': 1,
            'text': 'module source is a registry module: not followed',
        }],
        'fixed': ['variables.tf'],
        'changes': [{
            'file': 'variables.tf', 'line': 14, 'column': 13, 'from': 'off', 'to': 'on',
            'what': 'default of var.params', 'addresses': [f'module.db.{T}.cfg["log_disconnections"]'],
        }],
        'summary': {
            'noncompliant': 1, 'unverified': 1, 'compliant': 1, 'suppressed': 1, 'errors': 1,
        },
    }


def test_json_includes_unverified_whatever_unresolved_says() -> None:
    assert render(SAMPLE, 'json', unresolved='ignore') == render(SAMPLE, 'json')


def test_json_empty_report() -> None:
    got = json.loads(render(Report(), 'json'))
    assert (got['results'], got['errors'], got['notes'], got['fixed']) == ([], [], [], [])


@pytest.mark.parametrize(
    ('value', 'expected'),
    (
        (float('nan'), 'nan'),
        (float('inf'), 'inf'),
        (frozenset({'b', 'a'}), ['a', 'b']),
        ((1, 'x'), [1, 'x']),
        ({1: None}, {'1': None}),
        (object, "<class 'object'>"),
    ),
)
def test_json_values_are_always_valid_json(value: object, expected: object) -> None:
    out = render(Report(results=[res(value=value)]), 'json')
    assert json.loads(out)['results'][0]['value'] == expected
    json.loads(render(Report(results=[res(value=value)]), 'sarif'))


def test_json_is_ascii_even_for_undecodable_paths() -> None:
    # A path decoded with surrogateescape must not break writing the report.
    report = Report(results=[res(value='off', location=span('caf\udce9.tf', 1, 1))])
    for fmt in ('json', 'sarif'):
        out = render(report, fmt)
        assert out.isascii()
        json.loads(out)


# --- exit code and arguments -------------------------------------------------

@pytest.mark.parametrize(
    ('report', 'unresolved', 'expected'),
    (
        (Report(), 'warn', 0),
        (Report(results=[res(status='compliant', value='on')]), 'fail', 0),
        (KICS_POSITIVE, 'ignore', 1),
        (KICS_POSITIVE, 'warn', 1),
        (UNVERIFIED, 'ignore', 0),
        (UNVERIFIED, 'warn', 0),
        (UNVERIFIED, 'fail', 1),
        (SUPPRESSED, 'fail', 0),
        (Report(errors=[RunError('a.tf', 'x')]), 'warn', 1),
        (Report(notes=[Note('a.tf', 1, 1, 'skipped')]), 'fail', 0),
        (Report(fixed=['a.tf']), 'warn', 1),
    ),
)
def test_exit_code(report: Report, unresolved: str, expected: int) -> None:
    assert exit_code(report, unresolved=unresolved) == expected


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match='fmt'):
        render(Report(), 'xml')
    with pytest.raises(ValueError, match='unresolved'):
        render(Report(), 'text', unresolved='maybe')
    with pytest.raises(ValueError, match='unresolved'):
        exit_code(Report(), unresolved='yes')


@pytest.mark.parametrize(('change', 'expected'), (
    (Change('variables.tf', 9, 13, 'OFF', 'default of var.log_disconnections', (f'{T}.this',)),
     f'variables.tf:9:13: "OFF" -> "on" (default of var.log_disconnections, for {T}.this)'),
    (Change('main.tf', 5, 27, False, '', (f'{T}.a["x"]', f'{T}.a["y\n"]')),
     f'main.tf:5:27: false -> "on" (for {T}.a["x"], {T}.a["y\\n"])'),
))
def test_change_line(change: Change, expected: str) -> None:
    assert change_line(change) == expected


def test_a_long_value_is_cut_short_in_the_message_not_in_json() -> None:
    long = 'x' * 5000
    r = res(value=long)
    assert message(r) == (
        f'{T}.positive1: log_disconnections is "{"x" * 199}... (5002 characters)'
        f'{NOT_ACCEPTED}, expected "on" {ID}')
    assert json.loads(render(Report(results=[r]), 'json'))['results'][0]['value'] == long
