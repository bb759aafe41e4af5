"""Source files -> a module directory's declarations: the blocks the rule needs, parsed.

Only the blocks that can matter are handed to python-hcl2: configuration and
server resources, variables, locals, module calls, tfvars attributes. The rest
of a file is never parsed (see ``scan`` for why skipping is safe), so a block
python-hcl2 cannot read elsewhere in the file does not stop the check.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from hooks import hcl, scan, tfjson
from hooks import syntax as s
from hooks.files import Source
from hooks.results import RunError

CONFIG_TYPES = ('azurerm_postgresql_configuration', 'azurerm_postgresql_flexible_server_configuration')
SERVER_TYPES = ('azurerm_postgresql_server', 'azurerm_postgresql_flexible_server')
MAX_DEPTH = 64  # deeper nesting is refused before python-hcl2 can hit RecursionError
MAX_CHUNK = 512 * 1024  # one block bigger than this is generated data: refused, not parsed
_WANTED_BLOCKS = ('variable', 'locals', 'module')
_LOCAL_SOURCE = re.compile(r'source\W+\.\.?[/\\]')


@dataclass
class Module:
    """What one directory declares, as far as the rule is concerned."""

    directory: str  # absolute
    sources: dict[str, Source] = field(default_factory=dict)  # display path -> source
    variables: dict[str, s.Block] = field(default_factory=dict)
    locals: dict[str, s.Attribute] = field(default_factory=dict)
    resources: list[s.Block] = field(default_factory=list)  # CONFIG_TYPES and SERVER_TYPES
    calls: list[s.Block] = field(default_factory=list)  # module blocks
    tfvars: list[tuple[str, dict[str, s.Attribute]]] = field(default_factory=list)  # precedence order
    errors: list[RunError] = field(default_factory=list)


def relevant(sources: list[Source]) -> bool:
    """Could this directory hold a configuration resource, or call a module that does?"""
    return any(src.kind in ('tf', 'tfjson') and (scan.may_configure(src.text) or _LOCAL_SOURCE.search(src.text))
               for src in sources)


def _tfvars_rank(path: str) -> tuple[int, str]:
    name = os.path.basename(path)
    if name == 'terraform.tfvars':
        return (0, name)
    if name == 'terraform.tfvars.json':
        return (1, name)
    return (2, name)  # *.auto.tfvars(.json), lexical order


def _auto_loaded(path: str) -> bool:
    name = os.path.basename(path)
    return name in ('terraform.tfvars', 'terraform.tfvars.json') or name.endswith(('.auto.tfvars', '.auto.tfvars.json'))


def load(directory: str, sources: list[Source]) -> Module:
    """Parse what matters in ``sources`` (the files of one directory)."""
    mod = Module(directory)
    for src in sources:
        mod.sources[src.path] = src
        if src.kind in ('tfvars', 'tfvarsjson'):
            continue
        body = _parse_tf(src, mod.errors)
        if body is not None:
            _collect(mod, body)
    for src in sorted((x for x in sources if x.kind in ('tfvars', 'tfvarsjson') and _auto_loaded(x.path)),
                      key=lambda x: _tfvars_rank(x.path)):
        attrs = parse_tfvars(src, mod.errors)
        if attrs is not None:
            mod.tfvars.append((src.path, attrs))
    return mod


def parse_tfvars(src: Source, errors: list[RunError]) -> dict[str, s.Attribute] | None:
    body = _parse_whole(src, errors)
    if body is None:
        return None
    return {a.name: a for a in body.attributes}


def _collect(mod: Module, body: s.Body) -> None:
    for b in body.blocks:
        if b.type == 'variable' and b.labels:
            mod.variables[b.labels[0]] = b
        elif b.type == 'locals':
            for a in b.attributes:
                mod.locals[a.name] = a
        elif b.type == 'module' and b.labels:
            mod.calls.append(b)
        elif b.type == 'resource' and b.labels and b.labels[0] in CONFIG_TYPES + SERVER_TYPES:
            mod.resources.append(b)


def _wanted(chunk: scan.Chunk) -> bool:
    if chunk.type in _WANTED_BLOCKS:
        return True
    return chunk.type == 'resource' and bool(chunk.labels) and chunk.labels[0] in CONFIG_TYPES + SERVER_TYPES


def _parse_tf(src: Source, errors: list[RunError]) -> s.Body | None:
    if src.kind == 'tfjson':
        return _parse_whole(src, errors)
    chunks = scan.chunks(src.text)
    if chunks is None:
        return _parse_whole(src, errors)
    attrs: list[s.Attribute] = []
    blocks: list[s.Block] = []
    for c in chunks:
        if not _wanted(c):
            continue
        if c.depth > MAX_DEPTH:
            errors.append(RunError(src.path, f'too deeply nested (more than {MAX_DEPTH} levels)', c.line, 1, 'limit'))
            continue
        if c.end - c.start > MAX_CHUNK:
            errors.append(RunError(src.path, f'block too large ({c.end - c.start} characters)', c.line, 1, 'limit'))
            continue
        try:
            body = hcl.parse(src.text[c.start:c.end], src.path, line=c.line, offset=c.start)
        except hcl.ParseError as e:
            errors.append(RunError(src.path, e.reason, e.line, e.column))
            continue
        attrs.extend(body.attributes)
        blocks.extend(body.blocks)
    return s.Body(tuple(attrs), tuple(blocks))


def _parse_whole(src: Source, errors: list[RunError]) -> s.Body | None:
    if len(src.text) > MAX_CHUNK * 2:
        errors.append(RunError(src.path, f'file too large to parse whole ({len(src.text)} characters)', 1, 1, 'limit'))
        return None
    try:
        if src.kind in ('tfjson', 'tfvarsjson'):
            if src.kind == 'tfvarsjson':
                return tfjson.parse_tfvars(src.text, src.path)
            return tfjson.parse_config(src.text, src.path)
        return hcl.parse(src.text, src.path)
    except hcl.ParseError as e:
        errors.append(RunError(src.path, e.reason, e.line, e.column))
        return None
