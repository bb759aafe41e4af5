"""The rule's facts, in one place: KICS query 07f7134f, "PostgreSQL Log Disconnections Not Set".

Every other module imports what it needs from here. Checking a sibling
parameter (KICS's ``log_connections`` query, say) is a change to this file and
its tests: the resource types, the parameter, the accepted value, the ids and
the texts a user reads.
"""
from __future__ import annotations

PARAMETER = 'log_disconnections'
ACCEPTED = 'on'  # compared case-insensitively, as KICS lowers the value
AZURE_VALUES = ('on', 'off')  # what Azure takes for this parameter; others get a note in the message
REPLACEMENT = '"on"'  # the HCL literal --fix writes

# The configuration resources judged, and the servers they configure (--require-explicit).
CONFIGURATION_FOR_SERVER = {
    'azurerm_postgresql_server': 'azurerm_postgresql_configuration',
    'azurerm_postgresql_flexible_server': 'azurerm_postgresql_flexible_server_configuration',
}
CONFIG_TYPES = tuple(CONFIGURATION_FOR_SERVER.values())
SERVER_TYPES = tuple(CONFIGURATION_FOR_SERVER)
# A substring every type above contains.
TYPE_STEM = 'azurerm_postgresql'
# The end every configuration type shares: one search rules them all out (most files name none).
CONFIG_SUFFIX = '_configuration'

RULE_ID = '07f7134f-9f37-476e-8664-670c218e4702'
RULE_NAME = 'PostgreSQL Log Disconnections Not Set'
OUR_ID = 'check-postgresql-log-disconnections'  # also accepted in kics-scan disable= lists
SEVERITY = 'MEDIUM'
CATEGORY = 'Observability'
CWE = 'CWE-778'
CIS = 'CIS Microsoft Azure Foundations 4.3.4'
CIS_TAG = 'CIS-4.3.4'
SECURITY_SEVERITY = '5.0'  # GitHub code scanning: 4.0-6.9 is Medium
HELP_URI = f'https://docs.kics.io/latest/queries/terraform-queries/azure/{RULE_ID}/'

DESCRIPTION = (
    f'The Azure PostgreSQL server parameter {PARAMETER} records the end '
    'of every session. With it off, disconnect events vanish from the audit '
    f'trail. The {CONFIG_TYPES[0]} or {CONFIG_TYPES[1]} resource named '
    f'{PARAMETER} must have the value "{ACCEPTED}".'
)
EXAMPLE = (
    f'resource "{CONFIG_TYPES[1]}" "{PARAMETER}" {{\n'
    f'  name      = "{PARAMETER}"\n'
    f'  server_id = {SERVER_TYPES[1]}.example.id\n'
    f'  value     = "{ACCEPTED}"\n'
    '}\n'
)
FIX_DESCRIPTION = f'Set {PARAMETER} to "{ACCEPTED}"'

# Values that cannot be known statically get their own SARIF rule: no security
# severity, so GitHub never shows an unknown value as a security alert.
UNVERIFIED_ID = f'{OUR_ID}-unverified'  # not RULE_ID/...: a hierarchical id shares its base's metadata
UNVERIFIED_NAME = f'{PARAMETER} value cannot be determined statically'
UNVERIFIED_DESCRIPTION = (
    f'The {PARAMETER} value of a {CONFIG_TYPES[0]} or {CONFIG_TYPES[1]} resource '
    'depends on something known only when Terraform runs (a variable with no value, a data source, '
    'a resource attribute, a function that reads files...), so it was neither passed nor failed. '
    f'Give it a value the configuration states, or check it in the plan.'
)


def may_matter(text: str, *, servers: bool = False) -> bool:
    """The textual pre-filter: False only when ``text`` holds nothing that can produce a result.

    A directory none of whose files passes is never split or parsed. Without
    ``servers`` (``--require-explicit``) a result comes only from (a) a resource
    of one of ``CONFIG_TYPES``, or (b) a module call that is not followed and
    is handed ``PARAMETER`` in its arguments (unverified at the argument). A
    server, database or firewall rule alone produces nothing; with ``servers``
    the ``SERVER_TYPES`` count too. (A local module call that leads to a
    directory that matters is followed by the caller of this function.)

    Why (a) cannot be missed: Terraform compares resource types byte for byte.
    In HCL the type is a block label: a bare identifier, written out literally,
    or a quoted string, which cannot span lines and allows neither
    interpolation nor ``%{`` directives; the only escapes that produce
    letters, digits or ``_`` are ``\\uXXXX`` and ``\\UXXXXXXXX`` (``\\n``,
    ``\\"``, ``$${``... cannot). In Terraform JSON the type is an object key, a
    JSON string whose only letter-producing escape is ``\\uXXXX``. So a file that
    declares such a resource contains its type verbatim, or a backslash
    followed by ``u`` / ``U``. (No other character's NFC form contains one of
    those letters, so Unicode normalization cannot spell it either.)

    For (b) the filter keeps every text that names the parameter in any case,
    or holds such an escape: a map key, an attribute name or a string value
    handed to a module, in a ``.tf`` file or in a tfvars file feeding one. (A
    name computed from pieces, ``join("_", ["log", "disconnections"])``, is out
    of reach of any textual filter.) A comment or an unrelated string that
    mentions a word only costs a parse: this is a pre-filter.
    """
    if CONFIG_SUFFIX in text and any(word in text for word in CONFIG_TYPES):
        return True
    if servers and any(word in text for word in SERVER_TYPES):
        return True
    if '\\' in text and ('\\u' in text or '\\U' in text):  # (one memchr in the common case)
        return True
    return PARAMETER in text.lower()


def sets_another_parameter(block: str) -> bool:
    """True only when a configuration resource block provably sets another parameter: it is not parsed.

    Its ``name`` must be a plain literal (letters, digits, ``_ . -``: no escape,
    no template) alone on its line, other than ``PARAMETER`` in any case; and it
    must be the block's only ``name``: the word occurs once (not counting
    ``x.name``, a reference: ``server_name = azurerm_postgresql_server.this.name``),
    and the block holds no nested block, object, template (one ``{``, one
    ``}``), heredoc or ``/*`` comment in which another could hide. Every instance of such a block
    configures that other parameter, which neither the rule nor
    ``--require-explicit`` looks at. Anything else is parsed.
    """
    if block.count('{') != 1 or block.count('}') != 1 or '<<' in block or '/*' in block:
        return False
    import re

    if len(re.findall(r'(?<!\.)\bname\b', block)) != 1:
        return False
    m = re.search(r'^[ \t]*name[ \t]*=[ \t]*"([A-Za-z0-9_.-]*)"[ \t]*\r?$', block, re.MULTILINE)
    return m is not None and m.group(1).lower() != PARAMETER


def compliant(value: object) -> bool:
    return isinstance(value, str) and value.lower() == ACCEPTED


def is_parameter(name: object) -> bool:
    """Does a configuration resource's ``name`` select this rule's parameter?"""
    return isinstance(name, str) and name.lower() == PARAMETER


def azure_accepts(value: object) -> bool:
    return isinstance(value, str) and value.lower() in AZURE_VALUES


def not_set_hint(server_type: str) -> str:
    """What to add when a server has no configuration resource for the parameter."""
    cfg = CONFIGURATION_FOR_SERVER.get(server_type, 'azurerm_postgresql_*_configuration')
    return f'{PARAMETER} is not set for this server; add an {cfg} with name {PARAMETER} and value {ACCEPTED}'


def fix_by_hand() -> str:
    return f'the value is computed, not a literal; set {PARAMETER} to "{ACCEPTED}" by hand'
