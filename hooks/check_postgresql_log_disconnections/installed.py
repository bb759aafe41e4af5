"""Terraform's record of the modules ``terraform init`` installed: ``.terraform/modules/modules.json``.

Registry and git modules live only there (``.terraform/modules/<key>``), so it
is the one place that says where a ``module`` call's code is. The file is a
JSON object ``{"Modules": [{"Key", "Source", "Version", "Dir"}, ...]}``:
``Key`` is the call path without instance keys (``""`` for the root, ``db``,
``db.inner``), ``Dir`` is relative to the root module's directory. Reading is
pure: nothing here follows a module or judges anything.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from check_postgresql_log_disconnections import files

MAX_BYTES = 8 * 1024 * 1024  # a real modules.json is a few KB

MODULES_JSON = os.path.join('modules', 'modules.json')  # under the data directory
DATA_DIR = '.terraform'  # Terraform's default; TF_DATA_DIR moves it
# Registry hosts Terraform and OpenTofu write in front of a short registry source.
_REGISTRY_HOSTS = ('registry.terraform.io/', 'registry.opentofu.org/')
_RUN_INIT = 'run terraform init'


@dataclass(frozen=True)
class Installed:
    key: str  # 'db.inner'
    source: str  # as Terraform recorded it
    version: str  # '' for local and git sources
    directory: str  # absolute


@dataclass(frozen=True)
class Manifest:
    """The installed modules of one root module; ``problem`` says why there are none."""

    modules: dict[str, Installed] = field(default_factory=dict)
    problem: str = ''
    path: str = os.path.join(DATA_DIR, MODULES_JSON)  # as a message shows it

    def find(self, key: str, source: str) -> Installed | str:
        """The installed module for call path ``key`` with ``source``, or why it cannot be used."""
        got = self.modules.get(key)
        if got is None:
            return self.problem or f'module {key} is not in {self.path} ({_RUN_INIT})'
        if not same_source(got.source, source):
            return f'{self.path} records module {key} from {got.source}, not {source} ({_RUN_INIT})'
        return got


def same_source(recorded: str, written: str) -> bool:
    """Does a source Terraform recorded name the source a module call writes?

    Terraform records a registry source with its host
    (``registry.terraform.io/Azure/x/azurerm``) where the call may omit it;
    registry names are case-insensitive.
    """
    a, b = _short(recorded), _short(written)
    if '::' in a or '://' in a or '::' in b or '://' in b:
        return a == b
    return a.lower() == b.lower()


def _short(source: str) -> str:
    for host in _REGISTRY_HOSTS:
        if source.lower().startswith(host):
            return source[len(host):]
    return source


def read(root: str, data_dir: str = DATA_DIR) -> Manifest:
    """The modules installed for the root module in directory ``root``."""
    path = os.path.join(root, data_dir, MODULES_JSON)
    shown = os.path.join(data_dir, MODULES_JSON)
    if not os.path.lexists(path):
        return Manifest(problem=f'no {shown} ({_RUN_INIT})')
    data = files.read_bytes(path, MAX_BYTES)  # never a FIFO or a device, never past the cap
    if isinstance(data, str):
        if data.startswith('file too large'):
            return Manifest(problem=f'{shown} is too large to be Terraform\'s ({_RUN_INIT})')
        return Manifest(problem=f'cannot read {shown}: {data} ({_RUN_INIT})')
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return Manifest(problem=f'cannot read {shown}: not valid JSON ({_RUN_INIT})')
    entries = doc.get('Modules') if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        return Manifest(problem=f'{shown} has no Modules list ({_RUN_INIT})')
    out: dict[str, Installed] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        key, source, directory = entry.get('Key'), entry.get('Source'), entry.get('Dir')
        version = entry.get('Version')
        if not (isinstance(key, str) and key and isinstance(source, str) and isinstance(directory, str)):
            continue  # the root module's own entry, or one we cannot use
        out[key] = Installed(key, source, version if isinstance(version, str) else '',
                             os.path.normpath(os.path.join(root, directory)))
    return Manifest(out, path=shown)
