"""A deterministic, realistic Terraform monorepo with known findings.

``generate(root, scale)`` writes a monorepo into ``root``: at scale 1 about 300
module directories, 2,500 ``.tf`` / ``.tfvars`` files and 3 MB: reusable modules
under ``modules/`` and root stacks under ``live/<env>/<region>/`` that call
them, with filler of the kinds a real Azure estate has (storage accounts,
networks, key vaults with nested and dynamic blocks, heredoc policies, VMs with
cloud-init templates, variables with validations, outputs, locals, comments).
About 3% of the directories configure PostgreSQL ``log_disconnections``, each
in one of ``STYLES`` (all of them at scale 1): a literal, a variable default, a local, a ``for_each``
over a variable map, a ``for_each`` over ``merge()`` of locals and variables, a
``terraform.tfvars`` override, and ``for_each`` over a map of server objects.
Every value is one Terraform itself would settle without providers.

The generator knows where it wrote each ``value`` line of a
``log_disconnections`` configuration and what it evaluates to:
``Corpus.expected`` holds the ``(relative path, line)`` of those whose value is
not ``"on"`` (what the hook must report), ``Corpus.compliant`` the others.
``parse_output`` and ``compare`` turn the hook's output into a verdict.

``generate_single_file(root)`` writes one ~2 MB ``main.tf`` in which 1% of the
blocks configure PostgreSQL.

Run ``python -m testing.corpus DIR [--scale S]`` to only write a corpus.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

RULE_ID = '07f7134f-9f37-476e-8664-670c218e4702'

STYLES = (
    'literal',          # value = "off" in the resource block
    'variable',         # value = var.log_disconnections, default in variables.tf
    'local',            # value = local.log_disconnections (literal or conditional on a bool var)
    'for_each_var',     # for_each = var.server_parameters (map default), value = each.value
    'for_each_merge',   # for_each = local.server_parameters = merge(local defaults, var overrides)
    'tfvars',           # value = var.log_disconnections, terraform.tfvars overrides the default
    'for_each_tfvars',  # for_each = var.server_parameters, terraform.tfvars replaces the map
    'for_each_servers', # for_each = var.servers (map of objects), value = each.value.log_disconnections
)
_ROOT_ONLY_STYLES = ('tfvars', 'for_each_tfvars')  # terraform.tfvars applies to root modules

MODULES_PER_SCALE = 300
PG_SHARE = 0.03

Location = tuple[str, int]


@dataclass
class Corpus:
    root: Path
    files: list[str] = field(default_factory=list)  # relative, '/'-separated, sorted
    expected: set[Location] = field(default_factory=set)  # value lines that are not "on"
    compliant: set[Location] = field(default_factory=set)  # value lines that are "on"
    total_bytes: int = 0
    modules: int = 0
    pg_modules: int = 0
    styles: dict[str, int] = field(default_factory=dict)
    unrelated: str = ''  # a .tf file with nothing of PostgreSQL in it

    @property
    def megabytes(self) -> float:
        return self.total_bytes / 1e6


# --------------------------------------------------------------------------
# text helpers

_PLACEHOLDER = re.compile(r'\{\{(\w+)\}\}')


def _fill(template: str, **values: object) -> str:
    """Replace ``{{name}}`` placeholders (HCL itself never writes ``{{``)."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def _q(text: str) -> str:
    return '"' + text + '"'


def _hcl_list(items: Iterable[str]) -> str:
    return '[' + ', '.join(_q(i) for i in items) + ']'


def _attrs(pairs: Sequence[tuple[str, str]], indent: int = 2) -> str:
    """Attributes aligned on ``=`` as ``terraform fmt`` writes them."""
    width = max(len(k) for k, _ in pairs)
    pad = ' ' * indent
    return ''.join(f'{pad}{k.ljust(width)} = {v}\n' for k, v in pairs)


class _Text:
    """A file being written; knows the line number of what is appended."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.next_line = 1

    def add(self, text: str) -> int:
        """Append ``text`` (a blank line is put before it); return its first line."""
        if self.parts:
            self.parts.append('\n')
            self.next_line += 1
        if not text.endswith('\n'):
            text += '\n'
        start = self.next_line
        self.parts.append(text)
        self.next_line += text.count('\n')
        return start

    def add_marked(self, text: str) -> int:
        """Append a resource block; return the line of its top-level ``value =``."""
        start = self.add(text)
        for i, line in enumerate(text.split('\n')):
            if re.match(r'  value\s+=', line) or line.startswith('  value ='):
                return start + i
        raise ValueError('no value attribute in block')

    def text(self) -> str:
        return ''.join(self.parts)


class _Module:
    def __init__(self, rel: str, app: str, is_root: bool) -> None:
        self.rel = rel
        self.app = app
        self.is_root = is_root
        self.files: dict[str, _Text] = {}
        self.names: set[str] = set()
        self.variables: dict[str, str] = {}  # name -> block text
        self.outputs: list[str] = []  # 'type.name' of resources to output the id of
        self.extra_outputs: list[str] = []

    def file(self, name: str) -> _Text:
        return self.files.setdefault(name, _Text())

    def unique(self, base: str) -> str:
        name, i = base, 2
        while name in self.names:
            name, i = f'{base}_{i}', i + 1
        self.names.add(name)
        return name

    def need(self, *names: str) -> None:
        for n in names:
            if n not in self.variables:
                self.variables[n] = _VARIABLES[n]

    def path(self, filename: str) -> str:
        return f'{self.rel}/{filename}'


# --------------------------------------------------------------------------
# vocabulary

_APPS = ('billing', 'orders', 'payments', 'catalog', 'search', 'identity', 'reporting', 'ingest',
         'gateway', 'notify', 'ledger', 'audit', 'inventory', 'pricing', 'shipping', 'crm',
         'analytics', 'portal', 'events', 'media', 'loyalty', 'fraud', 'checkout', 'profile')
_DOMAINS = {
    'network': ('vnet-hub', 'vnet-spoke', 'nsg', 'private-dns', 'firewall-rules', 'peering'),
    'storage': ('account', 'datalake', 'backup-vault', 'file-share'),
    'security': ('key-vault', 'policy', 'defender', 'rbac'),
    'compute': ('vm-linux', 'aks', 'scale-set', 'batch'),
    'monitoring': ('workspace', 'alerts', 'diagnostics', 'action-groups'),
    'apps': ('web-app', 'function-app', 'api-management', 'front-door'),
    'identity': ('managed-identity', 'app-registration', 'groups'),
}
_ENVS = ('dev', 'test', 'staging', 'prod')
_REGIONS = ('westeurope', 'northeurope', 'eastus2', 'uksouth', 'swedencentral')
_OWNERS = ('team-platform', 'team-data', 'team-payments', 'team-sre', 'team-identity')
_ROLES = ('Reader', 'Contributor', 'Storage Blob Data Reader', 'Key Vault Secrets User',
          'Monitoring Reader')
_LOG_CATEGORIES = ('AuditEvent', 'AzurePolicyEvaluationDetails', 'AppServiceHTTPLogs',
                   'AppServiceConsoleLogs', 'PostgreSQLLogs', 'kube-audit', 'StorageRead',
                   'StorageWrite')
_PG_PARAMS = ('log_checkpoints', 'log_connections', 'connection_throttling', 'log_retention_days',
              'log_min_duration_statement')


# --------------------------------------------------------------------------
# variables, locals, outputs, versions

def _variable(name: str, description: str, type_: str, default: str | None = None,
              extra: str = '') -> str:
    pairs = [('description', _q(description)), ('type', type_)]
    if default is not None:
        pairs.append(('default', default))
    body = _attrs(pairs)
    return f'variable "{name}" {{\n{body}{extra}}}\n'


_VALIDATION_ENV = '''
  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.environment)
    error_message = "The environment must be one of dev, test, staging or prod."
  }
'''

_SUBNETS_TYPE = '''map(object({
    address_prefixes  = list(string)
    service_endpoints = optional(list(string), [])
    delegations = optional(map(object({
      service = string
      actions = list(string)
    })), {})
  }))'''

_VARIABLES: dict[str, str] = {
    'name': _variable('name', 'Short name of the workload, used in resource names.', 'string'),
    'environment': _variable('environment', 'Deployment environment.', 'string',
                             extra=_VALIDATION_ENV),
    'location': _variable('location', 'Azure region of the resources.', 'string',
                          _q('westeurope')),
    'resource_group_name': _variable('resource_group_name',
                                     'Resource group that holds the resources.', 'string'),
    'tags': _variable('tags', 'Tags added to every resource.', 'map(string)', '{}'),
    'allowed_subnet_ids': _variable('allowed_subnet_ids',
                                    'Subnets allowed through the service firewall.',
                                    'list(string)', '[]'),
    'dns_servers': _variable('dns_servers', 'Custom DNS servers; empty for Azure DNS.',
                             'list(string)', '[]'),
    'subnets': _variable('subnets', 'Subnets to create, keyed by name.', _SUBNETS_TYPE, '{}'),
    'log_categories': _variable('log_categories', 'Diagnostic log categories to collect.',
                                'list(string)', _hcl_list(_LOG_CATEGORIES[:3])),
    'target_resource_id': _variable('target_resource_id',
                                    'Resource the diagnostics and alerts apply to.', 'string'),
    'reader_principal_ids': _variable('reader_principal_ids',
                                      'Principals granted read access.', 'list(string)', '[]'),
    'scope_id': _variable('scope_id', 'Scope of the role assignments.', 'string'),
    'app_subnet_id': _variable('app_subnet_id', 'Subnet for regional VNet integration.',
                               'string', 'null'),
    'instrumentation_key': _variable('instrumentation_key', 'Application Insights key.',
                                     'string', 'null',
                                     extra='  sensitive   = true\n'),
    'db_user': _variable('db_user', 'Database user of the application.', 'string',
                         _q('app')),
    'db_host': _variable('db_host', 'Database host name.', 'string', _q('localhost')),
    'feature_flags': _variable('feature_flags', 'Feature flags enabled in this deployment.',
                               'list(string)', '[]'),
    'kubernetes_version': _variable('kubernetes_version', 'Kubernetes version of the cluster.',
                                    'string', _q('1.29')),
    'aks_subnet_id': _variable('aks_subnet_id', 'Subnet of the node pools.', 'string'),
    'log_analytics_workspace_id': _variable('log_analytics_workspace_id',
                                            'Workspace that receives logs.', 'string'),
    'admin_group_object_ids': _variable('admin_group_object_ids',
                                        'Entra ID groups with cluster admin rights.',
                                        'list(string)', '[]'),
    'private_endpoint_subnet_id': _variable('private_endpoint_subnet_id',
                                            'Subnet for private endpoints.', 'string'),
    'virtual_network_id': _variable('virtual_network_id',
                                    'Virtual network linked to the private DNS zones.',
                                    'string'),
    'ssh_public_key': _variable('ssh_public_key', 'SSH public key of the admin user.',
                                'string'),
    'vm_subnet_id': _variable('vm_subnet_id', 'Subnet of the virtual machines.', 'string'),
    'packages': _variable('packages', 'Packages installed by cloud-init.', 'list(string)',
                          _hcl_list(['curl', 'jq', 'unzip'])),
    'storage_account_name': _variable('storage_account_name',
                                      'Storage account that holds the containers.', 'string'),
    'containers': _variable('containers', 'Blob containers to create.', 'set(string)',
                            _hcl_list(['raw', 'curated', 'archive'])),
    'subscription_id': _variable('subscription_id', 'Subscription to deploy into.', 'string'),
    'sku': _variable('sku', 'SKU settings.', 'object({\n    tier     = string\n'
                     '    capacity = number\n  })',
                     '{\n    tier     = "Standard"\n    capacity = 1\n  }'),
    'enable_diagnostics': _variable('enable_diagnostics', 'Send diagnostics to Log Analytics.',
                                    'bool', 'true'),
    'administrator_login': _variable('administrator_login',
                                     'Administrator login of the database server.', 'string',
                                     _q('psqladmin')),
    'delegated_subnet_id': _variable('delegated_subnet_id',
                                     'Subnet delegated to PostgreSQL flexible servers.',
                                     'string', 'null'),
    'private_dns_zone_id': _variable('private_dns_zone_id',
                                     'Private DNS zone of the flexible server.', 'string',
                                     'null'),
}


def _versions(r: random.Random, is_root: bool) -> str:
    azurerm = r.choice(('~> 3.90', '~> 3.110', '>= 3.80, < 4.0', '~> 4.0'))
    text = _fill('''terraform {
  required_version = "{{tf}}"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "{{azurerm}}"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}
''', tf=r.choice(('>= 1.3.0', '>= 1.5.0', '~> 1.6')), azurerm=azurerm)
    return text


def _providers(m: _Module) -> str:
    m.need('subscription_id')
    return '''provider "azurerm" {
  subscription_id = var.subscription_id

  features {
    key_vault {
      purge_soft_delete_on_destroy    = false
      recover_soft_deleted_key_vaults = true
    }
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}
'''


def _backend(m: _Module, r: random.Random) -> str:
    key = m.rel.replace('/', '-')
    return _fill('''terraform {
  backend "azurerm" {
    resource_group_name  = "rg-tfstate-{{env}}"
    storage_account_name = "sttfstate{{n}}"
    container_name       = "tfstate"
    key                  = "{{key}}.tfstate"
    use_azuread_auth     = true
  }
}
''', env=r.choice(_ENVS), n=r.randrange(100, 999), key=key)


def _locals(m: _Module, r: random.Random) -> str:
    m.need('environment', 'tags')
    extra = []
    if r.random() < 0.6:
        extra.append('''
  sku_by_environment = {
    dev     = "B1"
    test    = "B1"
    staging = "P1v3"
    prod    = "P2v3"
  }
  sku = local.sku_by_environment[var.environment]''')
    if r.random() < 0.5:
        extra.append(_fill('''
  # Address plan: one /24 per tier, carved from the spoke range.
  address_space = "10.{{o}}.0.0/16"
  tiers         = ["web", "app", "data", "endpoints"]
  tier_cidrs    = { for i, t in local.tiers : t => cidrsubnet(local.address_space, 8, i) }''',
                           o=r.randrange(1, 250)))
    if r.random() < 0.4:
        extra.append('''
  retention_days = local.is_production ? 90 : 30
  alert_emails   = compact([for e in split(",", lookup(var.tags, "alert_emails", "")) : trimspace(e)])''')
    return _fill('''locals {
  name_prefix = "${var.environment}-{{app}}"
  is_production = var.environment == "prod"

  tags = merge(var.tags, {
    environment = var.environment
    application = "{{app}}"
    owner       = "{{owner}}"
    managed_by  = "terraform"
    source      = "{{rel}}"
  })
{{extra}}
}
''', app=m.app, owner=r.choice(_OWNERS), rel=m.rel, extra='\n'.join(extra))


def _header(r: random.Random, m: _Module, what: str) -> str:
    style = r.randrange(4)
    if style == 0:
        rule = '# ' + '-' * 75
        return f'{rule}\n# {what} for {m.app}\n# Owner: {r.choice(_OWNERS)}\n{rule}\n'
    if style == 1:
        return (f'/*\n * {what} ({m.rel}).\n *\n * Changes here are applied by the pipeline '
                f'of {m.rel.split("/")[0]};\n * see the runbook before editing by hand.\n */\n')
    if style == 2:
        return f'// {what}: managed by Terraform, do not edit in the portal.\n'
    return f'# {what}\n'


# --------------------------------------------------------------------------
# filler resources: each returns HCL text and declares the variables it uses

def _resource_group(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('this', 'main', 'shared', m.app)))
    m.outputs.append(f'azurerm_resource_group.{n}')
    m.need('environment', 'location')
    return _fill('''resource "azurerm_resource_group" "{{n}}" {
  name     = "rg-{{app}}-${var.environment}-{{n}}"
  location = var.location
  tags     = local.tags
}
''', n=n, app=m.app)


def _storage(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('data', 'logs', 'artifacts', 'this', 'uploads')))
    m.outputs.append(f'azurerm_storage_account.{n}')
    m.need('location', 'resource_group_name', 'allowed_subnet_ids', 'environment')
    ips = _hcl_list(f'{r.randrange(20, 200)}.{r.randrange(256)}.{r.randrange(256)}.0/24'
                    for _ in range(r.randrange(0, 4)))
    text = _fill('''resource "azurerm_storage_account" "{{n}}" {
  name                            = "st{{short}}${var.environment}"
  resource_group_name             = var.resource_group_name
  location                        = var.location
  account_tier                    = "{{tier}}"
  account_replication_type        = "{{repl}}"
  account_kind                    = "StorageV2"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = {{sak}}
  https_traffic_only_enabled      = true

  blob_properties {
    versioning_enabled  = true
    change_feed_enabled = {{cf}}

    delete_retention_policy {
      days = {{days}}
    }

    container_delete_retention_policy {
      days = {{days}}
    }
  }

  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices", "Logging", "Metrics"]
    ip_rules                   = {{ips}}
    virtual_network_subnet_ids = var.allowed_subnet_ids
  }

  identity {
    type = "SystemAssigned"
  }

  tags = merge(local.tags, {
    data_classification = "{{cls}}"
  })

  lifecycle {
    prevent_destroy = true
  }
}
''', n=n, short=(m.app + n)[:12].replace('_', ''), tier=r.choice(('Standard', 'Premium')),
                 repl=r.choice(('LRS', 'ZRS', 'GRS', 'RAGZRS')),
                 sak=r.choice(('true', 'false')), cf=r.choice(('true', 'false')),
                 days=r.choice((7, 14, 30, 90)), ips=ips,
                 cls=r.choice(('internal', 'confidential', 'public')))
    if r.random() < 0.5:
        m.need('containers')
        c = m.unique(f'{n}_containers')
        text += _fill('''
resource "azurerm_storage_container" "{{c}}" {
  for_each              = var.containers
  name                  = each.key
  storage_account_name  = azurerm_storage_account.{{n}}.name
  container_access_type = "private"
}
''', c=c, n=n)
    return text


def _network(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('spoke', 'hub', 'this', 'main')))
    m.outputs.append(f'azurerm_virtual_network.{n}')
    m.need('location', 'resource_group_name', 'dns_servers', 'subnets', 'environment')
    return _fill('''resource "azurerm_virtual_network" "{{n}}" {
  name                = "vnet-{{app}}-${var.environment}"
  location            = var.location
  resource_group_name = var.resource_group_name
  address_space       = ["10.{{o}}.0.0/16"]
  dns_servers         = var.dns_servers

  tags = local.tags
}

resource "azurerm_subnet" "{{n}}" {
  for_each = var.subnets

  name                 = each.key
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.{{n}}.name
  address_prefixes     = each.value.address_prefixes
  service_endpoints    = each.value.service_endpoints

  dynamic "delegation" {
    for_each = each.value.delegations
    content {
      name = delegation.key

      service_delegation {
        name    = delegation.value.service
        actions = delegation.value.actions
      }
    }
  }
}
''', n=n, app=m.app, o=r.randrange(1, 250))


def _nsg(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('web', 'app', 'data', 'default')))
    m.need('location', 'resource_group_name')
    rules = [('allow_https', '443', 'VirtualNetwork'), ('allow_lb', '*', 'AzureLoadBalancer')]
    if r.random() < 0.3:
        rules.append(('allow_postgres', '5432', 'VirtualNetwork'))  # mentions PostgreSQL only by port
    if r.random() < 0.5:
        rules.append(('allow_ssh_bastion', '22', f'10.{r.randrange(250)}.1.0/26'))
    lines = []
    for i, (rule, port, source) in enumerate(rules):
        lines.append(f'    {rule} = {{ priority = {100 + 10 * i}, direction = "Inbound", '
                     f'access = "Allow", protocol = "Tcp", port = "{port}", source = "{source}" }}')
    lines.append('    deny_all = { priority = 4000, direction = "Inbound", access = "Deny", '
                 'protocol = "*", port = "*", source = "*" }')
    return _fill('''locals {
  {{n}}_rules = {
{{rules}}
  }
}

resource "azurerm_network_security_group" "{{n}}" {
  name                = "nsg-{{app}}-{{n}}"
  location            = var.location
  resource_group_name = var.resource_group_name

  dynamic "security_rule" {
    for_each = local.{{n}}_rules
    content {
      name                       = security_rule.key
      priority                   = security_rule.value.priority
      direction                  = security_rule.value.direction
      access                     = security_rule.value.access
      protocol                   = security_rule.value.protocol
      source_port_range          = "*"
      destination_port_range     = security_rule.value.port
      source_address_prefix      = security_rule.value.source
      destination_address_prefix = "*"
    }
  }

  tags = local.tags
}
''', n=n, app=m.app, rules='\n'.join(lines))


def _key_vault(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('this', 'secrets', 'app', 'cmk')))
    m.outputs.append(f'azurerm_key_vault.{n}')
    m.need('location', 'resource_group_name', 'allowed_subnet_ids', 'reader_principal_ids',
           'environment')
    second = ''
    if r.random() < 0.5:
        second = _fill('''
  dynamic "access_policy" {
    for_each = toset(var.reader_principal_ids)
    content {
      tenant_id          = data.azurerm_client_config.{{n}}.tenant_id
      object_id          = access_policy.value
      secret_permissions = ["Get", "List"]
    }
  }
''', n=n)
    return _fill('''data "azurerm_client_config" "{{n}}" {}

resource "azurerm_key_vault" "{{n}}" {
  name                       = "kv-{{short}}-${var.environment}"
  location                   = var.location
  resource_group_name        = var.resource_group_name
  tenant_id                  = data.azurerm_client_config.{{n}}.tenant_id
  sku_name                   = "{{sku}}"
  soft_delete_retention_days = 90
  purge_protection_enabled   = true
  enable_rbac_authorization  = false

  access_policy {
    tenant_id = data.azurerm_client_config.{{n}}.tenant_id
    object_id = data.azurerm_client_config.{{n}}.object_id

    key_permissions    = ["Get", "List", "Create", "Delete", "Recover", "WrapKey", "UnwrapKey"]
    secret_permissions = ["Get", "List", "Set", "Delete", "Recover"]
  }
{{second}}
  network_acls {
    default_action             = "Deny"
    bypass                     = "AzureServices"
    virtual_network_subnet_ids = var.allowed_subnet_ids
  }

  tags = local.tags
}

resource "random_password" "{{n}}" {
  length           = {{len}}
  special          = true
  override_special = "!#%&*()-_=+<>:?"
}

resource "azurerm_key_vault_secret" "{{n}}" {
  name         = "{{app}}-api-key"
  value        = random_password.{{n}}.result
  key_vault_id = azurerm_key_vault.{{n}}.id
  content_type = "password"

  lifecycle {
    ignore_changes = [value]
  }
}
''', n=n, app=m.app, short=(m.app + n)[:10].replace('_', ''),
                 sku=r.choice(('standard', 'premium')), second=second, len=r.choice((24, 32, 48)))


def _policy(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('deny_public_ip', 'allowed_locations', 'require_tags', 'deny_http')))
    locations = ', '.join(f'"{x}"' for x in r.sample(_REGIONS, 3))
    return _fill('''resource "azurerm_policy_definition" "{{n}}" {
  name         = "{{dash}}-{{app}}"
  policy_type  = "Custom"
  mode         = "All"
  display_name = "{{title}} ({{app}})"
  description  = "Managed by Terraform: {{title}} for the {{app}} landing zone."

  metadata = <<METADATA
    {
      "category": "{{cat}}",
      "version": "1.{{v}}.0"
    }
METADATA

  policy_rule = <<POLICY_RULE
{
  "if": {
    "allOf": [
      { "field": "type", "equals": "{{type}}" },
      { "not": { "field": "location", "in": "[parameters('allowedLocations')]" } }
    ]
  },
  "then": {
    "effect": "[parameters('effect')]"
  }
}
POLICY_RULE

  parameters = <<-PARAMETERS
    {
      "allowedLocations": {
        "type": "Array",
        "defaultValue": [{{locations}}]
      },
      "effect": {
        "type": "String",
        "allowedValues": ["Audit", "Deny", "Disabled"],
        "defaultValue": "{{effect}}"
      }
    }
  PARAMETERS
}
''', n=n, dash=n.replace('_', '-'), app=m.app, title=n.replace('_', ' ').capitalize(),
                 cat=r.choice(('Network', 'General', 'Tags', 'Security Center')),
                 v=r.randrange(10), locations=locations,
                 type=r.choice(('Microsoft.Network/publicIPAddresses',
                                'Microsoft.Storage/storageAccounts',
                                'Microsoft.DBforPostgreSQL/flexibleServers',
                                'Microsoft.Web/sites')),
                 effect=r.choice(('Audit', 'Deny')))


def _monitoring(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('this', 'central', 'app', 'security')))
    m.outputs.append(f'azurerm_log_analytics_workspace.{n}')
    m.need('location', 'resource_group_name', 'target_resource_id', 'log_categories',
           'enable_diagnostics', 'environment')
    return _fill('''resource "azurerm_log_analytics_workspace" "{{n}}" {
  name                = "log-{{app}}-${var.environment}"
  location            = var.location
  resource_group_name = var.resource_group_name
  sku                 = "PerGB2018"
  retention_in_days   = {{ret}}
  daily_quota_gb      = var.environment == "prod" ? -1 : 5
  tags                = local.tags
}

resource "azurerm_monitor_diagnostic_setting" "{{n}}" {
  count = var.enable_diagnostics ? 1 : 0

  name                       = "diag-{{app}}-{{n}}"
  target_resource_id         = var.target_resource_id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.{{n}}.id

  dynamic "enabled_log" {
    for_each = toset(var.log_categories)
    content {
      category = enabled_log.value
    }
  }

  metric {
    category = "AllMetrics"
    enabled  = true
  }
}
''', n=n, app=m.app, ret=r.choice((30, 60, 90, 180, 365)))


def _alert(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('cpu', 'memory', 'latency', 'errors', 'storage')))
    m.need('resource_group_name', 'target_resource_id')
    ns, metric = r.choice((('Microsoft.Web/sites', 'Http5xx'),
                           ('Microsoft.Compute/virtualMachines', 'Percentage CPU'),
                           ('Microsoft.DBforPostgreSQL/flexibleServers', 'cpu_percent'),
                           ('Microsoft.Storage/storageAccounts', 'Availability')))
    return _fill('''resource "azurerm_monitor_action_group" "{{n}}" {
  name                = "ag-{{app}}-{{n}}"
  resource_group_name = var.resource_group_name
  short_name          = "{{short}}"

  email_receiver {
    name                    = "oncall"
    email_address           = "oncall-{{app}}@example.com"
    use_common_alert_schema = true
  }

  webhook_receiver {
    name        = "pager"
    service_uri = "https://events.example.com/integration/{{app}}/enqueue"
  }
}

resource "azurerm_monitor_metric_alert" "{{n}}" {
  name                = "alert-{{app}}-{{n}}"
  resource_group_name = var.resource_group_name
  scopes              = [var.target_resource_id]
  description         = "{{metric}} above {{thr}} for 15 minutes"
  severity            = {{sev}}
  frequency           = "PT5M"
  window_size         = "PT15M"

  criteria {
    metric_namespace = "{{ns}}"
    metric_name      = "{{metric}}"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = {{thr}}
  }

  action {
    action_group_id = azurerm_monitor_action_group.{{n}}.id
  }
}
''', n=n, app=m.app, short=(m.app[:6] + n[:6]), ns=ns, metric=metric,
                 thr=r.choice((80, 90, 95, 5, 10)), sev=r.randrange(0, 4))


def _roles(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('readers', 'operators', 'pipeline', 'support')))
    m.need('reader_principal_ids', 'scope_id')
    return _fill('''resource "azurerm_role_assignment" "{{n}}" {
  for_each = toset(var.reader_principal_ids)

  scope                = var.scope_id
  role_definition_name = "{{role}}"
  principal_id         = each.value
  description          = "Granted by Terraform for {{app}}"
}
''', n=n, app=m.app, role=r.choice(_ROLES))


def _web_app(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('api', 'web', 'worker', 'admin')))
    m.outputs.append(f'azurerm_linux_web_app.{n}')
    m.need('location', 'resource_group_name', 'app_subnet_id', 'instrumentation_key', 'db_user',
           'db_host', 'feature_flags', 'environment')
    stack = r.choice(('python_version = "3.11"', 'node_version = "20-lts"',
                      'dotnet_version = "8.0"', 'java_version = "17"'))
    return _fill('''resource "azurerm_service_plan" "{{n}}" {
  name                = "asp-{{app}}-{{n}}-${var.environment}"
  resource_group_name = var.resource_group_name
  location            = var.location
  os_type             = "Linux"
  sku_name            = var.environment == "prod" ? "P1v3" : "B1"
  tags                = local.tags
}

resource "azurerm_linux_web_app" "{{n}}" {
  name                      = "app-{{app}}-{{n}}-${var.environment}"
  resource_group_name       = var.resource_group_name
  location                  = var.location
  service_plan_id           = azurerm_service_plan.{{n}}.id
  https_only                = true
  virtual_network_subnet_id = var.app_subnet_id

  site_config {
    always_on           = true
    minimum_tls_version = "1.2"
    ftps_state          = "Disabled"
    health_check_path   = "/healthz"

    application_stack {
      {{stack}}
    }

    ip_restriction {
      name        = "frontdoor"
      priority    = 100
      action      = "Allow"
      service_tag = "AzureFrontDoor.Backend"
    }
  }

  app_settings = {
    "APPINSIGHTS_INSTRUMENTATIONKEY" = var.instrumentation_key
    "DATABASE_URL"                   = "postgresql://${var.db_user}@${var.db_host}:5432/{{app}}?sslmode=require"
    "WEBSITE_RUN_FROM_PACKAGE"       = "1"
    "FEATURE_FLAGS"                  = join(",", var.feature_flags)
  }

  identity {
    type = "SystemAssigned"
  }

  logs {
    detailed_error_messages = true
    failed_request_tracing  = true

    http_logs {
      file_system {
        retention_in_days = 7
        retention_in_mb   = 35
      }
    }
  }

  tags = local.tags
}
''', n=n, app=m.app, stack=stack)


def _aks(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('this', 'main', 'platform')))
    m.outputs.append(f'azurerm_kubernetes_cluster.{n}')
    m.need('location', 'resource_group_name', 'kubernetes_version', 'aks_subnet_id',
           'log_analytics_workspace_id', 'admin_group_object_ids', 'environment')
    return _fill('''resource "azurerm_kubernetes_cluster" "{{n}}" {
  name                = "aks-{{app}}-${var.environment}"
  location            = var.location
  resource_group_name = var.resource_group_name
  dns_prefix          = "{{app}}${var.environment}"
  kubernetes_version  = var.kubernetes_version
  sku_tier            = var.environment == "prod" ? "Standard" : "Free"

  default_node_pool {
    name                = "system"
    vm_size             = "{{vm}}"
    node_count          = 3
    enable_auto_scaling = true
    min_count           = 3
    max_count           = {{max}}
    vnet_subnet_id      = var.aks_subnet_id
    zones               = ["1", "2", "3"]

    upgrade_settings {
      max_surge = "33%"
    }
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin    = "azure"
    network_policy    = "calico"
    load_balancer_sku = "standard"
    outbound_type     = "userDefinedRouting"
  }

  oms_agent {
    log_analytics_workspace_id = var.log_analytics_workspace_id
  }

  azure_active_directory_role_based_access_control {
    managed                = true
    azure_rbac_enabled     = true
    admin_group_object_ids = var.admin_group_object_ids
  }

  tags = local.tags
}
''', n=n, app=m.app, vm=r.choice(('Standard_D4s_v5', 'Standard_D8s_v5', 'Standard_E4s_v5')),
                 max=r.choice((6, 9, 12, 20)))


def _private_endpoint(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('blob', 'vault', 'db', 'sites')))
    m.need('location', 'resource_group_name', 'private_endpoint_subnet_id', 'target_resource_id',
           'virtual_network_id')
    zone, sub = r.choice((('privatelink.blob.core.windows.net', 'blob'),
                          ('privatelink.vaultcore.azure.net', 'vault'),
                          ('privatelink.postgres.database.azure.com', 'postgresqlServer'),
                          ('privatelink.azurewebsites.net', 'sites')))
    return _fill('''resource "azurerm_private_dns_zone" "{{n}}" {
  name                = "{{zone}}"
  resource_group_name = var.resource_group_name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "{{n}}" {
  name                  = "link-{{app}}-{{n}}"
  resource_group_name   = var.resource_group_name
  private_dns_zone_name = azurerm_private_dns_zone.{{n}}.name
  virtual_network_id    = var.virtual_network_id
  registration_enabled  = false
}

resource "azurerm_private_endpoint" "{{n}}" {
  name                = "pe-{{app}}-{{n}}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id

  private_service_connection {
    name                           = "psc-{{app}}-{{n}}"
    private_connection_resource_id = var.target_resource_id
    subresource_names              = ["{{sub}}"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.{{n}}.id]
  }
}
''', n=n, app=m.app, zone=zone, sub=sub)


def _vm(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('jumpbox', 'agent', 'runner', 'proxy')))
    m.need('location', 'resource_group_name', 'ssh_public_key', 'vm_subnet_id', 'packages',
           'environment')
    return _fill('''locals {
  {{n}}_cloud_init = <<-EOT
    #!/bin/bash
    set -euo pipefail
    echo "{{app}} ${var.environment}" > /etc/motd
    %{ for pkg in var.packages ~}
    apt-get install -y ${pkg}
    %{ endfor ~}
  EOT
}

resource "azurerm_network_interface" "{{n}}" {
  name                = "nic-{{app}}-{{n}}"
  location            = var.location
  resource_group_name = var.resource_group_name

  ip_configuration {
    name                          = "internal"
    subnet_id                     = var.vm_subnet_id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "azurerm_linux_virtual_machine" "{{n}}" {
  name                  = "vm-{{app}}-{{n}}"
  resource_group_name   = var.resource_group_name
  location              = var.location
  size                  = "{{size}}"
  admin_username        = "azureuser"
  network_interface_ids = [azurerm_network_interface.{{n}}.id]
  custom_data           = base64encode(local.{{n}}_cloud_init)

  admin_ssh_key {
    username   = "azureuser"
    public_key = var.ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "0001-com-ubuntu-server-jammy"
    sku       = "22_04-lts-gen2"
    version   = "latest"
  }

  tags = local.tags
}
''', n=n, app=m.app, size=r.choice(('Standard_B2s', 'Standard_D2s_v5', 'Standard_B4ms')))


def _identity(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('workload', 'pipeline', 'app', 'reader')))
    m.outputs.append(f'azurerm_user_assigned_identity.{n}')
    m.need('location', 'resource_group_name')
    return _fill('''resource "azurerm_user_assigned_identity" "{{n}}" {
  name                = "id-{{app}}-{{n}}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = local.tags
}

resource "azurerm_application_insights" "{{n}}" {
  name                = "appi-{{app}}-{{n}}"
  location            = var.location
  resource_group_name = var.resource_group_name
  application_type    = "web"
  sampling_percentage = {{pct}}
  tags                = local.tags
}
''', n=n, app=m.app, pct=r.choice((5, 25, 50, 100)))


def _terraform_data(m: _Module, r: random.Random) -> str:
    n = m.unique(r.choice(('bootstrap', 'smoke_test', 'migrations')))
    m.need('environment')
    return _fill('''resource "terraform_data" "{{n}}" {
  triggers_replace = [var.environment, "{{app}}", "{{v}}"]

  provisioner "local-exec" {
    command     = "./scripts/{{n}}.sh ${var.environment}"
    interpreter = ["/bin/bash", "-c"]
    environment = {
      APP = "{{app}}"
    }
  }
}
''', n=n, app=m.app, v=r.randrange(1, 40))


_Filler = Callable[[_Module, random.Random], str]
# (generator, weight)
_FILLERS: tuple[tuple[_Filler, int], ...] = (
    (_storage, 4), (_network, 3), (_nsg, 3), (_key_vault, 3), (_policy, 2), (_monitoring, 3),
    (_alert, 2), (_roles, 3), (_web_app, 2), (_aks, 1), (_private_endpoint, 3), (_vm, 1),
    (_identity, 3), (_terraform_data, 1), (_resource_group, 2),
)
_FILE_TOPICS = ('network.tf', 'storage.tf', 'security.tf', 'monitoring.tf', 'iam.tf',
                'compute.tf', 'dns.tf', 'apps.tf', 'policy.tf')


def _pick_fillers(r: random.Random, k: int) -> list[_Filler]:
    gens = [g for g, _ in _FILLERS]
    weights = [w for _, w in _FILLERS]
    return r.choices(gens, weights=weights, k=k)


def _outputs(m: _Module, r: random.Random) -> str:
    blocks = []
    for ref in m.outputs:
        rtype, name = ref.split('.')
        kind = rtype.replace('azurerm_', '').replace('_', ' ')
        blocks.append(_fill('''output "{{name}}_{{short}}_id" {
  description = "ID of the {{kind}} {{name}}."
  value       = {{ref}}.id
}
''', name=name, short=rtype.split('_')[-1], kind=kind, ref=ref))
        if r.random() < 0.3:
            blocks.append(_fill('''output "{{name}}_{{short}}_name" {
  description = "Name of the {{kind}} {{name}}."
  value       = {{ref}}.name
}
''', name=name, short=rtype.split('_')[-1], kind=kind, ref=ref))
    blocks.extend(m.extra_outputs)
    if not blocks:
        blocks.append('output "tags" {\n  description = "Tags applied by this module."\n'
                      '  value       = local.tags\n}\n')
    return '\n'.join(blocks)


def _module_call(m: _Module, r: random.Random, target: _Module) -> str:
    source = os.path.relpath(target.rel, m.rel).replace(os.sep, '/')
    n = m.unique(target.rel.split('/')[-1].replace('-', '_'))
    m.need('environment', 'location')
    args = [('source', _q(source)), ('name', _q(f'{m.app}-{n}')),
            ('environment', 'var.environment'), ('location', 'var.location'),
            ('resource_group_name', 'azurerm_resource_group.this.name'), ('tags', 'local.tags')]
    extra = ''
    if r.random() < 0.4:
        extra = '\n  depends_on = [azurerm_resource_group.this]\n'
    return f'module "{n}" {{\n{_attrs(args)}{extra}}}\n'


def _tfvars_filler(m: _Module, r: random.Random) -> str:
    lines = [f'environment = "{r.choice(_ENVS)}"', f'location    = "{r.choice(_REGIONS)}"',
             f'subscription_id = "{r.randrange(16**8):08x}-0000-4000-8000-{r.randrange(16**12):012x}"',
             'tags = {', f'  cost_center = "{r.randrange(1000, 9999)}"',
             f'  owner       = "{r.choice(_OWNERS)}"', '}']
    return '\n'.join(lines) + '\n'


# --------------------------------------------------------------------------
# PostgreSQL modules

@dataclass
class _Finding:
    path: str
    line: int
    compliant: bool


def _pg_server(m: _Module, r: random.Random, flexible: bool, n: str, for_each: str = '') -> str:
    m.need('location', 'resource_group_name', 'administrator_login', 'environment')
    fe = f'  for_each = {for_each}\n\n' if for_each else ''
    suffix = '-${each.key}' if for_each else ''
    if for_each:
        sku = 'each.value.sku_name'
    elif flexible:
        sku = _q(r.choice(('GP_Standard_D2s_v3', 'GP_Standard_D4s_v3', 'MO_Standard_E4s_v3')))
    else:
        sku = _q(r.choice(('GP_Gen5_2', 'GP_Gen5_4', 'MO_Gen5_4')))
    if flexible:
        m.need('delegated_subnet_id', 'private_dns_zone_id')
        return _fill('''resource "random_password" "{{n}}_admin" {
  length  = 32
  special = false
}

resource "azurerm_postgresql_flexible_server" "{{n}}" {
{{fe}}  name                   = "psql-{{app}}-${var.environment}{{suffix}}"
  resource_group_name    = var.resource_group_name
  location               = var.location
  version                = "{{ver}}"
  delegated_subnet_id    = var.delegated_subnet_id
  private_dns_zone_id    = var.private_dns_zone_id
  administrator_login    = var.administrator_login
  administrator_password = random_password.{{n}}_admin.result
  zone                   = "1"
  storage_mb             = {{storage}}
  sku_name               = {{sku}}
  backup_retention_days  = {{days}}

  high_availability {
    mode                      = "ZoneRedundant"
    standby_availability_zone = "2"
  }

  maintenance_window {
    day_of_week  = 0
    start_hour   = 2
    start_minute = 0
  }

  tags = local.tags

  lifecycle {
    ignore_changes = [zone, high_availability[0].standby_availability_zone]
  }
}
''', n=n, fe=fe, app=m.app, suffix=suffix, ver=r.choice(('13', '14', '15', '16')),
                     storage=r.choice((32768, 65536, 131072)), sku=sku,
                     days=r.choice((7, 14, 35)))
    return _fill('''resource "random_password" "{{n}}_admin" {
  length  = 32
  special = false
}

resource "azurerm_postgresql_server" "{{n}}" {
{{fe}}  name                = "psql-{{app}}-${var.environment}{{suffix}}"
  location            = var.location
  resource_group_name = var.resource_group_name

  administrator_login          = var.administrator_login
  administrator_login_password = random_password.{{n}}_admin.result

  sku_name   = {{sku}}
  version    = "11"
  storage_mb = {{storage}}

  backup_retention_days        = {{days}}
  geo_redundant_backup_enabled = true
  auto_grow_enabled            = true

  public_network_access_enabled    = false
  ssl_enforcement_enabled          = true
  ssl_minimal_tls_version_enforced = "TLS1_2"

  threat_detection_policy {
    enabled              = true
    email_account_admins = true
    retention_days       = 30
  }

  tags = local.tags
}
''', n=n, fe=fe, app=m.app, suffix=suffix, sku=sku, storage=r.choice((51200, 102400, 640000)),
                 days=r.choice((7, 14, 35)))


def _pg_config(flexible: bool, res: str, server: str, name: str, value: str,
               for_each: str = '', server_key: str = '') -> str:
    """A configuration resource block; ``server_key`` indexes a for_each server."""
    fe = [('for_each', for_each)] if for_each else []
    idx = f'[{server_key}]' if server_key else ''
    if flexible:
        rtype = 'azurerm_postgresql_flexible_server_configuration'
        pairs = [('name', name), ('server_id', f'azurerm_postgresql_flexible_server.{server}{idx}.id'),
                 ('value', value)]
    else:
        rtype = 'azurerm_postgresql_configuration'
        pairs = [('name', name),
                 ('resource_group_name',
                  f'azurerm_postgresql_server.{server}{idx}.resource_group_name'),
                 ('server_name', f'azurerm_postgresql_server.{server}{idx}.name'),
                 ('value', value)]
    head = _attrs(fe) + '\n' if fe else ''
    return f'resource "{rtype}" "{res}" {{\n{head}{_attrs(pairs)}}}\n'


def _on_off(r: random.Random) -> str:
    return 'off' if r.random() < 0.5 else 'on'


def _param_value(r: random.Random, param: str) -> str:
    if param == 'log_retention_days':
        return r.choice(('3', '7'))
    if param == 'log_min_duration_statement':
        return r.choice(('500', '1000'))
    return r.choice(('on', 'off'))


def _params_map(r: random.Random, log_disconnections: str, indent: int = 4) -> str:
    params = {p: _q(_param_value(r, p)) for p in r.sample(_PG_PARAMS, r.randrange(1, 4))}
    params['log_disconnections'] = _q(log_disconnections)
    keys = list(params)
    r.shuffle(keys)
    width = max(len(k) for k in keys)
    pad = ' ' * indent
    return '{\n' + ''.join(f'{pad}{k.ljust(width)} = {params[k]}\n' for k in keys) \
        + ' ' * (indent - 2) + '}'


def _pg_module(m: _Module, r: random.Random, style: str) -> list[_Finding]:
    """Write a PostgreSQL module in ``style``; return its log_disconnections value lines."""
    flexible = r.random() < 0.6
    main = m.file('main.tf')
    main.add(_header(r, m, 'PostgreSQL server and server parameters'))
    m.need('name', 'tags')
    found: list[_Finding] = []
    server = 'this' if r.random() < 0.6 else m.app
    m.names.add(server)

    def record(line: int, value: str) -> None:
        found.append(_Finding(m.path('main.tf'), line, value == 'on'))

    if style == 'for_each_servers':
        keys = r.sample(('primary', 'reporting', 'replica', 'batch'), r.randrange(1, 4))
        servers = [(k, _on_off(r)) for k in keys]
        sku = 'GP_Standard_D2s_v3' if flexible else 'GP_Gen5_2'
        entries = ''.join(f'    {k} = {{\n      sku_name           = "{sku}"\n'
                          f'      log_disconnections = "{v}"\n    }}\n' for k, v in servers)
        m.variables['servers'] = _variable(
            'servers', 'PostgreSQL servers of this workload, keyed by short name.',
            'map(object({\n    sku_name           = string\n    log_disconnections = string\n  }))',
            '{\n' + entries + '  }')
        main.add(_pg_server(m, r, flexible, server, for_each='var.servers'))
        line = main.add_marked(_pg_config(flexible, 'log_disconnections', server,
                                          _q('log_disconnections'),
                                          'each.value.log_disconnections', 'var.servers',
                                          'each.key'))
        record(line, 'on' if all(v == 'on' for _, v in servers) else 'off')
    else:
        main.add(_pg_server(m, r, flexible, server))
        if style == 'literal':
            value = _on_off(r)
            line = main.add_marked(_pg_config(flexible, 'log_disconnections', server,
                                              _q('log_disconnections'), _q(value)))
            record(line, value)
        elif style in ('variable', 'tfvars'):
            default = _on_off(r)
            value = default
            m.variables['log_disconnections'] = _variable(
                'log_disconnections', 'Value of the log_disconnections server parameter.',
                'string', _q(default),
                extra='\n  validation {\n    condition     = contains(["on", "off"], '
                      'var.log_disconnections)\n    error_message = "Use on or off."\n  }\n')
            if style == 'tfvars':
                value = _on_off(r)
                tfvars = m.file('terraform.tfvars')
                tfvars.add(f'# Parameters of the {m.app} database\nlog_disconnections = '
                           f'"{value}"\nadministrator_login = "{m.app}admin"\n')
            line = main.add_marked(_pg_config(flexible, 'log_disconnections', server,
                                              _q('log_disconnections'), 'var.log_disconnections'))
            record(line, value)
        elif style == 'local':
            if r.random() < 0.5:
                value = _on_off(r)
                expr = _q(value)
            else:
                verbose = r.random() < 0.5
                value = 'on' if verbose else 'off'
                m.variables['verbose_connection_logging'] = _variable(
                    'verbose_connection_logging', 'Log connections and disconnections.', 'bool',
                    'true' if verbose else 'false')
                expr = 'var.verbose_connection_logging ? "on" : "off"'
            m.file('locals.tf').add(f'locals {{\n  log_disconnections = {expr}\n  '
                                    f'log_connections    = "on"\n}}\n')
            line = main.add_marked(_pg_config(flexible, 'log_disconnections', server,
                                              _q('log_disconnections'), 'local.log_disconnections'))
            record(line, value)
        elif style in ('for_each_var', 'for_each_tfvars'):
            default = _on_off(r)
            value = default
            m.variables['server_parameters'] = _variable(
                'server_parameters', 'PostgreSQL server parameters, name => value.',
                'map(string)', _params_map(r, default))
            if style == 'for_each_tfvars':
                value = _on_off(r)
                m.file('terraform.tfvars').add(
                    f'server_parameters = {_params_map(r, value, indent=2)}\n')
            line = main.add_marked(_pg_config(flexible, 'parameters', server, 'each.key',
                                              'each.value', 'var.server_parameters'))
            record(line, value)
        elif style == 'for_each_merge':
            base = _on_off(r)
            override = r.choice((None, 'on', 'off'))
            value = override or base
            overrides = '{}' if override is None else \
                f'{{\n    log_disconnections = "{override}"\n  }}'
            m.variables['server_parameter_overrides'] = _variable(
                'server_parameter_overrides', 'Server parameters that replace the defaults.',
                'map(string)', overrides)
            m.file('locals.tf').add(
                f'locals {{\n  # Baseline agreed with the DBA team; overrides win.\n'
                f'  default_server_parameters = {_params_map(r, base)}\n\n'
                f'  server_parameters = merge(local.default_server_parameters, '
                f'var.server_parameter_overrides)\n}}\n')
            line = main.add_marked(_pg_config(flexible, 'parameters', server, 'each.key',
                                              'each.value', 'local.server_parameters'))
            record(line, value)
        else:  # pragma: no cover
            raise ValueError(style)
    if style == 'for_each_servers':
        kind = 'flexible_server' if flexible else 'server'
        m.extra_outputs.append(_fill('''output "server_ids" {
  description = "IDs of the PostgreSQL servers, by key."
  value       = { for k, s in azurerm_postgresql_{{kind}}.{{s}} : k => s.id }
}
''', kind=kind, s=server))
        return found
    m.outputs.append(f'azurerm_postgresql_{"flexible_server" if flexible else "server"}.{server}')
    if not style.startswith('for_each'):
        # other parameters set one by one, some "off": not this rule's business
        for p in r.sample(_PG_PARAMS, r.randrange(0, 3)):
            main.add(_pg_config(flexible, m.unique(p), server, _q(p), _q(_param_value(r, p))))
    if not flexible and r.random() < 0.6:
        main.add(_fill('''resource "azurerm_postgresql_database" "{{app}}" {
  name                = "{{app}}"
  resource_group_name = azurerm_postgresql_server.{{s}}.resource_group_name
  server_name         = azurerm_postgresql_server.{{s}}.name
  charset             = "UTF8"
  collation           = "English_United States.1252"
}

resource "azurerm_postgresql_firewall_rule" "azure_services" {
  name                = "allow-azure-services"
  resource_group_name = azurerm_postgresql_server.{{s}}.resource_group_name
  server_name         = azurerm_postgresql_server.{{s}}.name
  start_ip_address    = "0.0.0.0"
  end_ip_address      = "0.0.0.0"
}
''', app=m.app, s=server))
    elif flexible and r.random() < 0.6:
        main.add(_fill('''resource "azurerm_postgresql_flexible_server_database" "{{app}}" {
  name      = "{{app}}"
  server_id = azurerm_postgresql_flexible_server.{{s}}.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}
''', app=m.app, s=server))
    return found


# --------------------------------------------------------------------------
# the monorepo

def _filler_module(m: _Module, r: random.Random) -> None:
    """main.tf plus a few topic files of filler resources."""
    main = m.file('main.tf')
    main.add(_header(r, m, 'Resources'))
    for gen in _pick_fillers(r, r.randrange(2, 5)):
        main.add(gen(m, r))
    for topic in r.sample(_FILE_TOPICS, r.randrange(1, 4)):
        f = m.file(topic)
        if r.random() < 0.5:
            f.add(_header(r, m, topic[:-3].capitalize()))
        for gen in _pick_fillers(r, r.randrange(1, 3)):
            f.add(gen(m, r))


def _finish(m: _Module, r: random.Random) -> None:
    m.file('locals.tf').add(_locals(m, r))
    m.file('versions.tf').add(_versions(r, m.is_root))
    if m.is_root:
        m.file('providers.tf').add(_providers(m))
        m.file('backend.tf').add(_backend(m, r))
        if 'terraform.tfvars' not in m.files and r.random() < 0.5:
            m.file('terraform.tfvars').add(_tfvars_filler(m, r))
    out = m.file('outputs.tf')
    out.add(_outputs(m, r))
    var = m.file('variables.tf')
    for name in sorted(m.variables, key=lambda k: (k not in ('name', 'environment'), k)):
        if m.variables[name]:
            var.add(m.variables[name])


def _write(root: Path, modules: Iterable[_Module], corpus: Corpus) -> None:
    for m in modules:
        d = root / m.rel
        d.mkdir(parents=True, exist_ok=True)
        for name, text in m.files.items():
            data = text.text().encode('utf-8')
            (d / name).write_bytes(data)
            corpus.files.append(f'{m.rel}/{name}')
            corpus.total_bytes += len(data)
    corpus.files.sort()


def generate(root: str | os.PathLike[str], scale: float = 1.0, seed: int = 0, *,
             all_styles: bool = False) -> Corpus:
    """Write the monorepo into ``root`` (created if needed); return what was written.

    ``PG_SHARE`` of the modules configure PostgreSQL, taking ``STYLES`` in turn
    from a seeded starting point (at scale 1 every style appears);
    ``all_styles`` makes a small corpus hold at least one module of each style.
    """
    rootp = Path(root)
    rootp.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    n_modules = max(len(STYLES) + 4, round(MODULES_PER_SCALE * scale))
    n_pg = max(1, round(PG_SHARE * n_modules))
    if all_styles:
        n_pg = max(n_pg, len(STYLES))
    n_library = round(n_modules * 0.35)

    used: set[str] = set()

    def fresh(rel: str) -> str:
        base, i = rel, 2
        while rel in used:
            rel, i = f'{base}-{i}', i + 1
        used.add(rel)
        return rel

    library: list[_Module] = []
    for _ in range(n_library):
        domain = r.choice(sorted(_DOMAINS))
        rel = fresh(f'modules/{domain}/{r.choice(_DOMAINS[domain])}')
        library.append(_Module(rel, r.choice(_APPS), is_root=False))
    roots: list[_Module] = []
    for _ in range(n_modules - n_library):
        app = r.choice(_APPS)
        rel = fresh(f'live/{r.choice(_ENVS)}/{r.choice(_REGIONS)}/{app}')
        roots.append(_Module(rel, app, is_root=True))

    # choose which modules hold PostgreSQL: styles in turn, so every style appears
    first = r.randrange(len(STYLES))
    styles = [STYLES[(first + i) % len(STYLES)] for i in range(n_pg)]
    pg_of: dict[int, str] = {}
    candidates = list(range(len(library) + len(roots)))
    r.shuffle(candidates)
    for style in styles:
        pool = [i for i in candidates if i not in pg_of
                and (style not in _ROOT_ONLY_STYLES or i >= len(library))]
        pg_of[pool[0]] = style

    corpus = Corpus(rootp, modules=n_modules, pg_modules=n_pg)
    modules = library + roots
    for i in pg_of:
        m = modules[i]
        m.rel = fresh(m.rel.rsplit('/', 1)[0] + f'/postgres-{m.app}')
    callable_library = [m for i, m in enumerate(library) if i not in pg_of]
    for i, m in enumerate(modules):
        mr = random.Random(f'{seed}:{m.rel}')
        pg_style = pg_of.get(i)
        if pg_style is not None:
            for f in _pg_module(m, mr, pg_style):
                (corpus.compliant if f.compliant else corpus.expected).add((f.path, f.line))
            corpus.styles[pg_style] = corpus.styles.get(pg_style, 0) + 1
            if mr.random() < 0.5:  # a little filler beside the database
                m.file('monitoring.tf').add(_monitoring(m, mr))
        else:
            if m.is_root:
                m.names.add('this')
            _filler_module(m, mr)
            if m.is_root:
                main = m.file('main.tf')
                main.add(_resource_group_this(m))
                k = min(len(callable_library), mr.randrange(1, 4))
                for target in mr.sample(callable_library, k):
                    main.add(_module_call(m, mr, target))
        _finish(m, mr)
        if not corpus.unrelated and pg_style is None and not m.is_root \
                and 'azurerm_postgresql' not in m.files['main.tf'].text():
            corpus.unrelated = m.path('main.tf')
    _write(rootp, modules, corpus)
    return corpus


def _resource_group_this(m: _Module) -> str:
    m.need('environment', 'location')
    return _fill('''resource "azurerm_resource_group" "this" {
  name     = "rg-{{app}}-${var.environment}"
  location = var.location
  tags     = local.tags
}
''', app=m.app)


# --------------------------------------------------------------------------
# the platform repository: PostgreSQL servers everywhere, configurations in few

PLATFORM_MODULES_PER_SCALE = 500
PLATFORM_CONFIG_SHARE = 0.05  # modules that declare a log_disconnections configuration
PLATFORM_CALLED_SHARE = 0.4  # of those: library modules whose value a root's module call decides


def _pg_satellites(m: _Module, r: random.Random, flexible: bool, server: str) -> str:
    """Databases and firewall rules of a server: PostgreSQL resources that are not configurations."""
    blocks = []
    for db in r.sample(('app', 'reporting', 'audit', 'events', 'jobs'), r.randrange(1, 4)):
        n = m.unique(db)
        if flexible:
            blocks.append(_fill('''resource "azurerm_postgresql_flexible_server_database" "{{n}}" {
  name      = "{{app}}_{{db}}"
  server_id = azurerm_postgresql_flexible_server.{{s}}.id
  charset   = "UTF8"
  collation = "en_US.utf8"

  lifecycle {
    prevent_destroy = true
  }
}
''', n=n, app=m.app, db=db, s=server))
        else:
            blocks.append(_fill('''resource "azurerm_postgresql_database" "{{n}}" {
  name                = "{{app}}_{{db}}"
  resource_group_name = azurerm_postgresql_server.{{s}}.resource_group_name
  server_name         = azurerm_postgresql_server.{{s}}.name
  charset             = "UTF8"
  collation           = "English_United States.1252"
}
''', n=n, app=m.app, db=db, s=server))
    for rule in r.sample(('azure_services', 'office', 'vpn', 'build_agents'), r.randrange(1, 4)):
        n = m.unique(rule)
        ip = f'{r.randrange(20, 200)}.{r.randrange(256)}.{r.randrange(256)}'
        start, end = ('0.0.0.0', '0.0.0.0') if rule == 'azure_services' else (f'{ip}.0', f'{ip}.255')
        if flexible:
            blocks.append(_fill('''resource "azurerm_postgresql_flexible_server_firewall_rule" "{{n}}" {
  name             = "allow-{{dash}}"
  server_id        = azurerm_postgresql_flexible_server.{{s}}.id
  start_ip_address = "{{start}}"
  end_ip_address   = "{{end}}"
}
''', n=n, dash=rule.replace('_', '-'), s=server, start=start, end=end))
        else:
            blocks.append(_fill('''resource "azurerm_postgresql_firewall_rule" "{{n}}" {
  name                = "allow-{{dash}}"
  resource_group_name = azurerm_postgresql_server.{{s}}.resource_group_name
  server_name         = azurerm_postgresql_server.{{s}}.name
  start_ip_address    = "{{start}}"
  end_ip_address      = "{{end}}"
}
''', n=n, dash=rule.replace('_', '-'), s=server, start=start, end=end))
    return '\n'.join(blocks)


def _pg_servers_module(m: _Module, r: random.Random) -> tuple[bool, str]:
    """main.tf: a PostgreSQL server with databases and firewall rules, no configuration."""
    flexible = r.random() < 0.6
    server = m.unique('this' if r.random() < 0.6 else m.app)
    main = m.file('main.tf')
    main.add(_header(r, m, 'PostgreSQL server, databases and firewall rules'))
    main.add(_pg_server(m, r, flexible, server))
    main.add(_pg_satellites(m, r, flexible, server))
    kind = 'flexible_server' if flexible else 'server'
    m.outputs.append(f'azurerm_postgresql_{kind}.{server}')
    if r.random() < 0.3:
        main.add(_private_endpoint(m, r))
    if r.random() < 0.5:
        m.file('main.tf').add(_monitoring(m, r))
    return flexible, server


def _pg_params_library(m: _Module, r: random.Random) -> tuple[str, int]:
    """A library module that sets server parameters of a server it is given.

    Returns the default of its ``log_disconnections`` variable and the line of
    the configuration's ``value``: the value a caller passes, or the default.
    """
    flexible = 'flexible' in m.rel
    default = _on_off(r)
    m.variables['server_id' if flexible else 'server_name'] = _variable(
        'server_id' if flexible else 'server_name', 'The PostgreSQL server to configure.', 'string')
    m.variables['log_disconnections'] = _variable(
        'log_disconnections', 'Value of the log_disconnections server parameter.', 'string', _q(default))
    main = m.file('main.tf')
    main.add(_header(r, m, 'PostgreSQL server parameters'))
    if flexible:
        rtype, target = 'azurerm_postgresql_flexible_server_configuration', [('server_id', 'var.server_id')]
    else:
        m.need('resource_group_name')
        rtype = 'azurerm_postgresql_configuration'
        target = [('resource_group_name', 'var.resource_group_name'), ('server_name', 'var.server_name')]
    pairs = [('name', _q('log_disconnections')), *target, ('value', 'var.log_disconnections')]
    line = main.add_marked(f'resource "{rtype}" "log_disconnections" {{\n{_attrs(pairs)}}}\n')
    for p in r.sample(_PG_PARAMS, r.randrange(1, 3)):
        pairs = [('name', _q(p)), *target, ('value', _q(_param_value(r, p)))]
        main.add(f'resource "{rtype}" "{p}" {{\n{_attrs(pairs)}}}\n')
    return default, line


def _params_call(m: _Module, r: random.Random, lib: _Module, flexible: bool, server: str,
                 value: str | None) -> str:
    source = os.path.relpath(lib.rel, m.rel).replace(os.sep, '/')
    kind = 'flexible_server' if flexible else 'server'
    target = [('server_id', f'azurerm_postgresql_{kind}.{server}.id')] if flexible else [
        ('resource_group_name', 'var.resource_group_name'),
        ('server_name', f'azurerm_postgresql_{kind}.{server}.name')]
    args = [('source', _q(source)), *target]
    if value is not None:
        args.append(('log_disconnections', _q(value)))
    return f'module "{m.unique("server_parameters")}" {{\n{_attrs(args)}}}\n'


def _platform_finish(m: _Module, r: random.Random) -> None:
    """locals in main.tf; versions, variables and outputs files (four files a module)."""
    m.file('main.tf').add(_locals(m, r))
    m.file('versions.tf').add(_versions(r, m.is_root))
    m.file('outputs.tf').add(_outputs(m, r))
    var = m.file('variables.tf')
    for name in sorted(m.variables, key=lambda k: (k not in ('name', 'environment'), k)):
        if m.variables[name]:
            var.add(m.variables[name])


def generate_platform(root: str | os.PathLike[str], scale: float = 1.0, seed: int = 0) -> Corpus:
    """A platform team's repository: PostgreSQL servers, databases and firewall rules in almost
    every module, a ``log_disconnections`` configuration in ``PLATFORM_CONFIG_SHARE`` of them.

    At scale 1: 500 modules, about 2,000 files and 2.6 MB. The configurations
    are of two kinds: a module that configures its own server in one of
    ``STYLES``; and a library module ``modules/postgres/params-*`` whose
    value a root decides through a local module call (passing ``"on"``,
    ``"off"`` or nothing, so the library's default applies): such a root
    mentions neither a configuration type nor the parameter, and is relevant
    only through its call.
    """
    rootp = Path(root)
    rootp.mkdir(parents=True, exist_ok=True)
    r = random.Random(f'{seed}:platform')
    n_modules = max(len(STYLES) + 6, round(PLATFORM_MODULES_PER_SCALE * scale))
    n_config = max(len(STYLES) + 2, round(PLATFORM_CONFIG_SHARE * n_modules))
    n_called = max(2, round(n_config * PLATFORM_CALLED_SHARE))
    n_styled = n_config - n_called
    corpus = Corpus(rootp, modules=n_modules, pg_modules=n_config)
    used: set[str] = set()
    libraries = []
    for i in range(n_called):
        kind = 'flexible' if i % 2 == 0 else 'single'
        m = _Module(f'modules/postgres/params-{kind}-{i}', r.choice(_APPS), is_root=False)
        used.add(m.rel)
        libraries.append(m)
    modules: list[_Module] = []
    while len(modules) < n_modules - n_called:
        app, env, region = r.choice(_APPS), r.choice(_ENVS), r.choice(_REGIONS)
        rel = base = f'live/{env}/{region}/{app}-db' if r.random() < 0.7 else f'modules/{app}/postgres'
        n = 2
        while rel in used:  # (24 apps x 4 environments x 5 regions: larger scales repeat them)
            rel, n = f'{base}-{n}', n + 1
        used.add(rel)
        modules.append(_Module(rel, app, is_root=rel.startswith('live/')))
    first = r.randrange(len(STYLES))
    roots = [i for i, m in enumerate(modules) if m.is_root]
    styled: dict[int, str] = {}
    for k in range(n_styled):
        style = STYLES[(first + k) % len(STYLES)]
        pool = roots if style in _ROOT_ONLY_STYLES else range(len(modules))
        styled[r.choice([i for i in pool if i not in styled])] = style
    # each library is called by a few roots that do not configure anything themselves
    callers: dict[int, list[tuple[_Module, str | None]]] = {}
    free_roots = [i for i in roots if i not in styled]
    for lib in libraries:
        for i in r.sample(free_roots, min(len(free_roots), r.randrange(1, 4))):
            free_roots.remove(i)
            callers.setdefault(i, []).append((lib, r.choice((None, None, 'on', 'off'))))
    for lib in libraries:
        mr = random.Random(f'{seed}:{lib.rel}')
        default, line = _pg_params_library(lib, mr)
        values = {default} | {v or default for i in callers for target, v in callers[i] if target is lib}
        # the standalone judgement uses the default; each caller's value is judged too
        (corpus.expected if 'off' in values else corpus.compliant).add((lib.path('main.tf'), line))
        corpus.styles['module_call'] = corpus.styles.get('module_call', 0) + 1
        _platform_finish(lib, mr)
    for i, m in enumerate(modules):
        mr = random.Random(f'{seed}:{m.rel}')
        if i in styled:
            for f in _pg_module(m, mr, styled[i]):
                (corpus.compliant if f.compliant else corpus.expected).add((f.path, f.line))
            corpus.styles[styled[i]] = corpus.styles.get(styled[i], 0) + 1
        else:
            flexible, server = _pg_servers_module(m, mr)
            for lib, value in callers.get(i, []):
                lib_flexible = 'flexible' in lib.rel
                if lib_flexible == flexible:
                    m.file('main.tf').add(_params_call(m, mr, lib, flexible, server, value))
                else:  # the library configures the other kind of server: give it one of its own
                    other = m.unique('secondary')
                    m.file('main.tf').add(_pg_server(m, mr, lib_flexible, other))
                    m.file('main.tf').add(_params_call(m, mr, lib, lib_flexible, other, value))
            if not corpus.unrelated and i not in callers:
                corpus.unrelated = m.path('main.tf')  # servers, databases, firewall rules; no configuration
        _platform_finish(m, mr)
    _write(rootp, libraries + modules, corpus)
    return corpus


_TOP_LEVEL = re.compile(r'^(?:resource|data|locals|variable|output|module) ', re.M)


def generate_single_file(root: str | os.PathLike[str], size: int = 2_000_000,
                         relevant: float = 0.01, seed: int = 0) -> Corpus:
    """One ``main.tf`` of about ``size`` bytes in which ``relevant`` of the blocks are
    PostgreSQL configurations (literals, locals and variable defaults of the same file)."""
    rootp = Path(root)
    rootp.mkdir(parents=True, exist_ok=True)
    r = random.Random(f'{seed}:single')
    m = _Module('big', 'monolith', is_root=True)
    text = m.file('main.tf')
    corpus = Corpus(rootp, modules=1, pg_modules=1)
    written = 0
    blocks = 0  # top-level blocks written
    relevant_blocks = 0
    while written < size:
        if relevant_blocks < relevant * (blocks + 1):
            relevant_blocks += 1
            n = m.unique(f'db{relevant_blocks}')
            value = _on_off(r)
            kind = r.randrange(3)
            if kind == 1:
                pre = f'locals {{\n  {n}_log_disconnections = "{value}"\n}}\n'
                expr = f'local.{n}_log_disconnections'
            elif kind == 2:
                pre = _variable(f'{n}_log_disconnections', f'log_disconnections of {n}.',
                                'string', _q(value))
                expr = f'var.{n}_log_disconnections'
            else:
                pre, expr = '', _q(value)
            if pre:
                text.add(pre)
                written += len(pre) + 1
                blocks += 1
            if r.random() < 0.5:
                rtype = 'azurerm_postgresql_flexible_server_configuration'
                pairs = [('name', _q('log_disconnections')),
                         ('server_id', f'"/subscriptions/0000/resourceGroups/rg-monolith/'
                          f'providers/Microsoft.DBforPostgreSQL/flexibleServers/{n}"'),
                         ('value', expr)]
            else:
                rtype = 'azurerm_postgresql_configuration'
                pairs = [('name', _q('log_disconnections')),
                         ('resource_group_name', _q('rg-monolith')),
                         ('server_name', _q(f'psql-{n}')), ('value', expr)]
            block = f'resource "{rtype}" "{n}" {{\n{_attrs(pairs)}}}\n'
            line = text.add_marked(block)
            (corpus.compliant if value == 'on' else corpus.expected).add((m.path('main.tf'), line))
        else:
            block = _pick_fillers(r, 1)[0](m, r)
            text.add(block)
        written += len(block) + 1
        blocks += len(_TOP_LEVEL.findall(block))
    _finish_single(m, r)
    _write(rootp, [m], corpus)
    return corpus


def _finish_single(m: _Module, r: random.Random) -> None:
    text = m.file('main.tf')
    text.add(_locals(m, r))
    for name in sorted(m.variables):
        text.add(m.variables[name])


# --------------------------------------------------------------------------
# reading the hook's output

_LINE = re.compile(r'^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<rest>.*)$')


@dataclass
class Output:
    findings: set[Location] = field(default_factory=set)
    unverified: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def _norm(path: str, root: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(root)
        except ValueError:
            p = Path(os.path.relpath(p, root))
    return os.path.normpath(str(p)).replace(os.sep, '/')


def parse_output(text: str, root: str | os.PathLike[str]) -> Output:
    """Split the hook's output into findings (relative path, line), unverified and other lines."""
    rootp = Path(root).resolve()
    out = Output()
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        m = _LINE.match(line)
        if m and ' unverified: ' in line:
            out.unverified.append(line)
        elif m and RULE_ID in line:
            out.findings.add((_norm(m.group('path'), rootp), int(m.group('line'))))
        else:
            out.other.append(line)
    return out


@dataclass
class Verdict:
    ok: bool
    expected: int
    reported: int
    missing: list[Location]
    unexpected: list[Location]
    unverified: list[str]
    other: list[str]

    def describe(self, limit: int = 5) -> list[str]:
        lines = [f'expected {_n(self.expected, "finding")}, hook reported {self.reported}: '
                 + ('match' if self.ok else 'MISMATCH')]
        for what, items in (('missing', self.missing), ('unexpected', self.unexpected)):
            for p, ln in items[:limit]:
                lines.append(f'  {what}: {p}:{ln}')
            if len(items) > limit:
                lines.append(f'  ... {len(items) - limit} more {what}')
        if self.unverified:
            lines.append(f'  warning: {len(self.unverified)} unverified lines, e.g. '
                         f'{self.unverified[0]}')
        if self.other:
            lines.append(f'  note: {len(self.other)} other output lines, e.g. {self.other[0]}')
        return lines


def _n(count: int, noun: str) -> str:
    return f'{count} {noun}' + ('' if count == 1 else 's')


def compare(corpus: Corpus, output: str) -> Verdict:
    """The hook's findings must be exactly ``corpus.expected``."""
    got = parse_output(output, corpus.root)
    missing = sorted(corpus.expected - got.findings)
    unexpected = sorted(got.findings - corpus.expected)
    return Verdict(not missing and not unexpected, len(corpus.expected), len(got.findings),
                   missing, unexpected, got.unverified, got.other)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='python -m testing.corpus',
                                description='Write the benchmark corpus into DIR.')
    p.add_argument('dir')
    p.add_argument('--scale', type=float, default=1.0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--single-file', action='store_true', help='write the 2 MB single file')
    p.add_argument('--all-styles', action='store_true', help='at least one module of each style')
    args = p.parse_args(argv)
    if args.single_file:
        c = generate_single_file(args.dir, seed=args.seed)
    else:
        c = generate(args.dir, args.scale, args.seed, all_styles=args.all_styles)
    print(f'{c.root}: {c.modules} modules ({c.pg_modules} with PostgreSQL), {len(c.files)} files, '
          f'{c.megabytes:.2f} MB, {len(c.expected)} expected findings, '
          f'{len(c.compliant)} compliant values; styles {c.styles}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
