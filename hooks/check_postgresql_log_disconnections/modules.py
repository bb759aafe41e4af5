"""Source files -> a module directory's declarations: the blocks the rule needs, parsed.

Only the blocks that can matter are handed to python-hcl2: configuration and
server resources, variables, locals, module calls, tfvars attributes. The rest
of a file is never parsed (see ``scan`` for why skipping is safe), so a block
python-hcl2 cannot read elsewhere in the file does not stop the check.
"""
from __future__ import annotations

import os
import re

from check_postgresql_log_disconnections import files, hcl, scan
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.files import Source, is_override
from check_postgresql_log_disconnections.report import RunError
from check_postgresql_log_disconnections.rule import CONFIG_TYPES, SERVER_TYPES, sets_another_parameter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAX_DEPTH = 64  # deeper nesting is refused before python-hcl2 can hit RecursionError
MAX_CHUNK = 512 * 1024  # one block bigger than this is generated data: refused, not parsed
_WORD = re.compile(r'[\w-]+')  # what HCL identifiers are made of
_REFERENCE = re.compile(r'\b(var|local)\.([\w-]+)')


class _Pending:
    """A top-level block found by the pre-scan, parsed only when something asks for it
    (``chunk`` None: the whole file, which the pre-scan could not split)."""

    __slots__ = ('chunk', 'parsed', 'src')

    def __init__(self, src: Source, chunk: scan.Chunk | None) -> None:
        self.src = src
        self.chunk = chunk
        self.parsed = False


class Module:
    """What one directory declares, as far as the rule is concerned.

    Configuration resources are parsed when the module is loaded (``finish``); server
    resources, variables, locals and module calls when something first asks for
    them (``servers`` for ``--require-explicit``, ``variable``, ``local``,
    ``calls``), so a module with hundreds of variables pays only for the ones a
    configuration uses.
    """

    def __init__(self, directory: str, *, locals: dict[str, s.Attribute] | None = None) -> None:
        self.directory = directory  # absolute (``texts.check_texts``: relative to its sources)
        self.sources: dict[str, Source] = {}  # display path -> source
        self.variables: dict[str, s.Block] = {}  # parsed so far
        self.locals: dict[str, s.Attribute] = {} if locals is None else locals  # parsed so far
        self.resources: list[s.Block] = []  # CONFIG_TYPES and SERVER_TYPES
        self.module_calls: list[s.Block] = []  # parsed so far
        self.tfvars: list[tuple[str, dict[str, s.Attribute]]] = []  # precedence order
        self.errors: list[RunError] = []
        self.pending_variables: dict[str, list[_Pending]] = {}
        # every word of each unparsed locals block -> the blocks holding it: a block defining a
        # local holds its name literally, so one lookup parses only those (not a scan of all)
        self.pending_locals: dict[str, list[_Pending]] = {}
        self.pending_calls: list[_Pending] = []
        self.pending_servers: list[_Pending] = []
        self.outputs: dict[str, s.Block] = {}  # parsed so far
        self.pending_outputs: dict[str, list[_Pending]] = {}
        self.other_calls: dict[str, list[_Pending]] = {}  # parsed only for their outputs
        self.pending_configs: list[_Pending] = []  # configurations ``finish`` parses (see ``index``)
        self.overrides: list[Source] = []  # override files, merged by ``finish``
        self.call_matters: Callable[[str], bool] = lambda _source: True
        self.tfvars_sources: list[Source] = []  # auto-loaded tfvars files, in precedence order

    def variable(self, name: str) -> s.Block | None:
        for pending in self.pending_variables.pop(name, []):
            self._load(pending)
        return self.variables.get(name)

    def local(self, name: str) -> s.Attribute | None:
        if name not in self.locals:
            for pending in self.pending_locals.pop(name, []):
                if not pending.parsed:
                    self._load(pending)
        return self.locals.get(name)

    def servers(self) -> list[s.Block]:
        while self.pending_servers:
            self._load(self.pending_servers.pop(0))
        return [b for b in self.resources if b.labels[0] in SERVER_TYPES and len(b.labels) > 1]

    def calls(self) -> list[s.Block]:
        while self.pending_calls:
            self._load(self.pending_calls.pop(0))
        return self.module_calls

    def load_all(self) -> None:
        """Parse every pending block (override files merge over them: they must all be there first)."""
        while self.pending_configs:
            self._load(self.pending_configs.pop(0))
        for name in list(self.pending_variables):
            self.variable(name)
        every = {id(p): p for pendings in self.pending_locals.values() for p in pendings}
        for pending in sorted(every.values(), key=lambda p: (p.src.path, p.chunk.start if p.chunk else 0)):
            if not pending.parsed:
                self._load(pending)
        self.pending_locals.clear()
        for name in list(self.other_calls):
            self.pending_calls.extend(self.other_calls.pop(name))
        self.calls()
        self.servers()
        for name in list(self.pending_outputs):
            self.output(name)

    def call(self, name: str) -> s.Block | None:
        """The module call ``name`` (to read its outputs), parsed on demand."""
        for pending in self.other_calls.pop(name, []):
            self.pending_calls.append(pending)
        return next((b for b in self.calls() if b.labels[0] == name), None)

    def output(self, name: str) -> s.Block | None:
        for pending in self.pending_outputs.pop(name, []):
            self._load(pending)
        return self.outputs.get(name)

    def output_names(self) -> list[str]:
        return sorted({*self.outputs, *self.pending_outputs})

    def likely(self) -> list[str]:
        """The module calls that matter, and the variables and locals these and the configurations
        name (textually, transitively): what checking the module will most likely parse."""
        found = self.pending_configs + self.pending_calls
        texts = [self.sources[b.span.path].text[b.span.start:b.span.end] for b in self.resources
                 if b.span.path in self.sources] + [_text(p) for p in found]
        seen: set[int] = set()
        for text in texts:  # (grows while it runs)
            for kind, name in _REFERENCE.findall(text):
                for pending in (self.pending_variables if kind == 'var' else self.pending_locals).get(name, []):
                    if id(pending) not in seen:
                        seen.add(id(pending))
                        found.append(pending)
                        texts.append(_text(pending))
        return [_text(p) for p in found if _within_limit(p)]

    def _load(self, pending: _Pending) -> None:
        pending.parsed = True
        if pending.chunk is None:
            body = _parse_whole(pending.src, self.errors)
        else:
            body = _parse_chunk(pending.src, pending.chunk, self.errors)
        if body is not None:
            _collect(self, body, is_override(pending.src.path))


def _text(pending: _Pending) -> str:
    c = pending.chunk
    return pending.src.text if c is None else pending.src.text[c.start:c.end]


def _within_limit(pending: _Pending) -> bool:
    """Is the block (the file) not refused for its size or depth (then python-hcl2 is handed it)?"""
    c = pending.chunk
    return len(pending.src.text) <= MAX_CHUNK * 2 if c is None else _fits(c)


def _fits(c: scan.Chunk) -> bool:
    """Does ``_parse_chunk`` hand this block to python-hcl2 (not refused for its depth or size)?"""
    return c.depth <= MAX_DEPTH and c.end - c.start <= MAX_CHUNK


def local_calls(text: str) -> list[tuple[str, int]]:
    """``(source, line)`` of each plainly written local module source in a file's text (no parse)."""
    return files.local_calls(text)


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


def load(directory: str, sources: list[Source], call_matters: Callable[[str], bool],
         remote: bool = False) -> Module:
    """Index what matters in ``sources`` (the files of one directory); parse the resources."""
    mod = index(directory, sources, call_matters, remote)
    finish(mod)
    return mod


def index(directory: str, sources: list[Source], call_matters: Callable[[str], bool],
          remote: bool = False) -> Module:
    """``load``'s first half: the files split and indexed, nothing handed to python-hcl2 yet.

    A worker process, if one runs, is sent what ``finish`` and checking will most
    likely parse, so that it parses while this process indexes other modules.
    ``remote``: calls of modules that are not local may matter (see ``files.remote_matters``).
    """
    mod = Module(directory)
    mod.overrides = [x for x in sources if is_override(x.path)]
    mod.call_matters = call_matters
    for src in sources:
        mod.sources[src.path] = src
        if src.kind in ('tf', 'tfjson') and not is_override(src.path):
            _index(mod, src, call_matters, remote=remote, every_config=bool(mod.overrides))
    mod.tfvars_sources = sorted((x for x in sources if x.kind in ('tfvars', 'tfvarsjson') and _auto_loaded(x.path)),
                                key=lambda x: _tfvars_rank(x.path))
    if hcl.prefetching():
        hcl.prefetch(mod.likely() + [x.text for x in mod.tfvars_sources
                                     if x.kind == 'tfvars' and len(x.text) <= MAX_CHUNK * 2])
    return mod


def finish(mod: Module) -> None:
    """``load``'s second half, on a module ``index`` made: its configurations, override files and
    tfvars parsed."""
    if mod.overrides:  # Terraform merges them over the other files, in name order, after all of them
        mod.load_all()
        for src in mod.overrides:
            _index(mod, src, mod.call_matters, every_call=True)
            mod.load_all()
    while mod.pending_configs:
        mod._load(mod.pending_configs.pop(0))
    for src in mod.tfvars_sources:
        attrs = parse_tfvars(src, mod.errors)
        if attrs is not None:
            mod.tfvars.append((src.path, attrs))


def find_block(sources: list[Source], type_: str, labels: tuple[str, ...]) -> s.Block | None:
    """The first top-level block ``type_ "label"...`` in these files (in their order), parsed.

    Only the matching top-level block is handed to the parser, as ``load`` does;
    None when no file declares it or it does not parse.
    """
    errors: list[RunError] = []
    for src in sources:
        if src.kind not in ('tf', 'tfjson') or labels[-1] not in src.text:
            continue
        chunks = scan.chunks(src.text) if src.kind == 'tf' else None
        if chunks is None:
            bodies = [_parse_whole(src, errors)]
        else:
            bodies = [_parse_chunk(src, c, errors) for c in chunks if c.type == type_ and c.labels == labels]
        for body in bodies:
            for b in body.blocks if body is not None else ():
                if b.type == type_ and b.labels == labels:
                    return b
    return None


def _index(mod: Module, src: Source, call_matters: Callable[[str], bool], every_call: bool = False,
           remote: bool = False, every_config: bool = False) -> None:
    """Note what one file declares: its configurations for ``finish``, its variables, locals, module
    calls and outputs for whoever asks (a ``.tf.json`` file is parsed whole here).

    A configuration of another parameter (``rule.sets_another_parameter``) is not parsed, unless
    override files may rename it (``every_config``).
    """
    chunks = _chunks(src.text) if src.kind == 'tf' else None
    if chunks is None and src.kind == 'tf':  # (parsed whole, with the configurations)
        mod.pending_configs.append(_Pending(src, None))
        return
    if chunks is None:
        body = _parse_whole(src, mod.errors)
        if body is not None:
            _collect(mod, body, is_override(src.path))
        return
    now = [c for c in chunks if _parsed_now(src.text, c, every_config)]
    for c in chunks:
        if c.type == 'resource':
            if c.labels and c.labels[0] in CONFIG_TYPES:
                if any(c is x for x in now):
                    mod.pending_configs.append(_Pending(src, c))
            elif c.labels and c.labels[0] in SERVER_TYPES:
                mod.pending_servers.append(_Pending(src, c))  # only --require-explicit reads servers
        elif c.type == 'variable' and c.labels:
            mod.pending_variables.setdefault(c.labels[0], []).append(_Pending(src, c))
        elif c.type == 'locals':
            pending = _Pending(src, c)
            for word in set(_WORD.findall(src.text, c.start, c.end)):
                mod.pending_locals.setdefault(word, []).append(pending)
        elif c.type == 'module' and (every_call or files.calls_matter(src.text[c.start:c.end], call_matters)
                                     or (remote and not files.local_source(src.text[c.start:c.end]))):
            mod.pending_calls.append(_Pending(src, c))
        elif c.type == 'module' and c.labels:
            mod.other_calls.setdefault(c.labels[0], []).append(_Pending(src, c))
        elif c.type == 'output' and c.labels:
            mod.pending_outputs.setdefault(c.labels[0], []).append(_Pending(src, c))


def _parsed_now(text: str, c: scan.Chunk, every_config: bool = False, servers: bool = False) -> bool:
    """Is this block parsed as soon as its module is loaded (a configuration; a server, with ``servers``)?"""
    if c.type != 'resource' or not c.labels:
        return False
    if servers and c.labels[0] in SERVER_TYPES:
        return True
    return c.labels[0] in CONFIG_TYPES and (every_config or not sets_another_parameter(text[c.start:c.end]))


def likely_parsed(src: Source, servers: bool = False) -> list[str]:
    """The blocks of a ``.tf`` file that loading its module parses (``--require-explicit``: ``servers``,
    also its servers), and its module calls: a worker may start on them before (see ``worker``)."""
    if src.kind != 'tf':
        return []
    chunks = scan.chunks(src.text)
    if len(_SCANNED) > 16:
        _SCANNED.clear()
    _SCANNED[id(src.text)] = (src.text, chunks)  # (for _index: a 2 MB file is not split twice)
    return _within_limits(src.text, [c for c in chunks or () if _parsed_now(src.text, c, servers=servers)
                                     or c.type == 'module'])


_SCANNED: dict[int, tuple[str, list[scan.Chunk] | None]] = {}  # id(text) -> text, its chunks


def _chunks(text: str) -> list[scan.Chunk] | None:
    """``scan.chunks(text)``, taken from ``likely_parsed`` when it split the same text."""
    kept = _SCANNED.pop(id(text), None)
    return kept[1] if kept is not None and kept[0] is text else scan.chunks(text)


def _within_limits(text: str, chunks: list[scan.Chunk]) -> list[str]:
    """The texts of those blocks ``_parse_chunk`` hands to python-hcl2 (not refused for their size)."""
    return [text[c.start:c.end] for c in chunks if _fits(c)]


def parse_tfvars(src: Source, errors: list[RunError]) -> dict[str, s.Attribute] | None:
    body = _parse_whole(src, errors)
    if body is None:
        return None
    return {a.name: a for a in body.attributes}


def _collect(mod: Module, body: s.Body, override: bool = False) -> None:
    for b in body.blocks:
        if b.type == 'variable' and b.labels:
            base = mod.variables.get(b.labels[0])
            mod.variables[b.labels[0]] = merge(base, b) if override and base is not None else b
        elif b.type == 'locals':
            for a in b.attributes:
                mod.locals[a.name] = a  # an override file's local replaces the local of that name
        elif b.type == 'module' and b.labels:
            _add(mod.module_calls, b, override, None)
        elif b.type == 'output' and b.labels:
            mod.outputs[b.labels[0]] = merge(mod.outputs[b.labels[0]], b) if override and b.labels[0] in mod.outputs \
                else b
        elif b.type == 'resource' and len(b.labels) > 1 and b.labels[0] in CONFIG_TYPES + SERVER_TYPES:
            _add(mod.resources, b, override, mod.errors)


def _add(blocks: list[s.Block], b: s.Block, override: bool, errors: list[RunError] | None) -> None:
    """Append a block, or merge an override file's block over the one of the same name."""
    if not override:
        blocks.append(b)
        return
    for i, base in enumerate(blocks):
        if base.labels[:2] == b.labels[:2]:
            blocks[i] = merge(base, b)
            return
    if errors is not None:  # (a module call that is not followed is not kept: nothing to merge into)
        labels = ' '.join(f'"{x}"' for x in b.labels)
        errors.append(RunError(b.span.path, f'{b.type} {labels} in an override file overrides nothing: '
                               'Terraform would fail (Missing base block for override)', b.span.line, b.span.column))


def merge(base: s.Block, over: s.Block) -> s.Block:
    """Terraform's override merge: each argument replaces the one of that name; nested blocks of a
    type given in the override replace all of that type."""
    replaced = {a.name: a for a in over.attributes}
    attributes = tuple(replaced.pop(a.name, a) for a in base.attributes) + tuple(replaced.values())
    types = {b.type for b in over.blocks}
    blocks = tuple(b for b in base.blocks if b.type not in types) + over.blocks
    return s.Block(base.type, base.labels, attributes, blocks, base.span)


def _parse_chunk(src: Source, c: scan.Chunk, errors: list[RunError]) -> s.Body | None:
    if c.depth > MAX_DEPTH:
        errors.append(RunError(src.path, f'too deeply nested (more than {MAX_DEPTH} levels)', c.line, 1, 'limit'))
        return None
    if c.end - c.start > MAX_CHUNK:
        errors.append(RunError(src.path, f'block too large ({c.end - c.start} characters)', c.line, 1, 'limit'))
        return None
    try:
        return hcl.parse(src.text[c.start:c.end], src.path, line=c.line, offset=c.start)
    except hcl.ParseError as e:
        errors.append(RunError(src.path, e.reason, e.line, e.column))
        return None


def _parse_whole(src: Source, errors: list[RunError]) -> s.Body | None:
    if src.kind != 'tfjson' and len(src.text) > MAX_CHUNK * 2:  # (.tf.json: read fast, only what matters)
        errors.append(RunError(src.path, f'file too large to parse whole ({len(src.text)} characters)', 1, 1, 'limit'))
        return None
    try:
        if src.kind in ('tfjson', 'tfvarsjson'):
            from check_postgresql_log_disconnections import tfjson  # only for .tf.json / .tfvars.json

            if src.kind == 'tfvarsjson':
                return tfjson.parse_tfvars(src.text, src.path)
            return tfjson.parse_config(src.text, src.path, CONFIG_TYPES + SERVER_TYPES)
        return hcl.parse(src.text, src.path)
    except hcl.ParseError as e:
        errors.append(RunError(src.path, e.reason, e.line, e.column))
        return None
