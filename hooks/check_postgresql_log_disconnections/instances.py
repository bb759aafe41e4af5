"""Modules -> resource instances: what Terraform would create, with evaluated attributes.

A ``ModuleScope`` answers ``var.`` and ``local.`` for one module instance: a
root module takes ``--var``, ``--var-file``, ``*.auto.tfvars``,
``terraform.tfvars`` and defaults (Terraform's precedence); a child module
takes its caller's arguments. ``count`` and ``for_each`` expand each resource
into instances, and ``module`` calls are followed into their directory: local
ones, and the ones ``terraform init`` installed. A call the hook cannot follow
that is handed the parameter is unverified at that argument; ``module.NAME``
outputs of the modules it can read are evaluated as Terraform does.
"""
from __future__ import annotations

import json
import os

from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.evaluate import Budget, evaluate
from check_postgresql_log_disconnections.record import Record
from check_postgresql_log_disconnections.report import Note
from check_postgresql_log_disconnections.rule import CONFIG_TYPES, PARAMETER, is_parameter
from check_postgresql_log_disconnections.values import (
    EvalError,
    Unknown,
    Val,
    inherit,
    plain,
    to_bool,
    to_num,
    to_str,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from check_postgresql_log_disconnections.modules import Module
    from check_postgresql_log_disconnections.values import Value

MAX_MODULE_DEPTH = 16
MAX_INSTANCES = 10_000  # resource and module instances in one module tree: more is generated, not written
_TOO_MANY = f'too many instances to evaluate (more than {MAX_INSTANCES} in this module tree)'
_META_ARGS = ('source', 'version', 'count', 'for_each', 'providers', 'depends_on')


class Instance(Record):
    """One resource instance, or a resource whose instances cannot be known (``expanded=False``)."""

    __slots__ = (
        'address',
        'at',
        'block',
        'callers',
        'error',
        'expanded',
        'installed',
        'module',
        'name',
        'reason',
        'resource_type',
        'value',
    )

    def __init__(self, resource_type: str, address: str, block: s.Block, module: Module, name: Value,
                 value: Value | None, callers: tuple[s.Span, ...] = (), expanded: bool = True, reason: str = '',
                 error: str = '', at: s.Span | None = None, installed: tuple[str, ...] = ()) -> None:
        self.resource_type = resource_type
        self.address = address
        self.block = block
        self.module = module
        self.name = name
        self.value = value  # None: the block has no ``value`` attribute
        self.callers = callers
        self.expanded = expanded
        self.reason = reason  # why the instances are unknown, when not expanded
        self.error = error  # a bug of ours while evaluating it: reported on its own, the others still judged
        self.at = at  # set: not a resource but a module call's line, unverified for ``reason``
        self.installed = installed  # the installed modules it lies in: 'module.pg: SOURCE VERSION'


class Limits:
    """What one module tree may cost: evaluation steps and instances, shared by all its modules."""

    def __init__(self, budget: Budget | None = None, instances: int = 0) -> None:
        self.budget = budget or Budget()
        self.instances = instances

    def take(self, n: int) -> bool:
        """Count ``n`` more instances; False when that goes over the bound."""
        self.instances += n
        return self.instances <= MAX_INSTANCES


class RootInputs:
    """Root-module inputs from the command line, in the order given."""

    def __init__(self, var_values: dict[str, Value] | None = None) -> None:
        self.var_values: dict[str, Value] = {} if var_values is None else var_values  # --var and --var-file, merged


def _key(v: str | int) -> str:
    return json.dumps(v) if isinstance(v, str) else str(v)


class Tree:
    """What the expansion of one module tree shares: its inputs, how to load a called module, its notes and limits.

    ``load``: a called module's directory -> the module, or why it is not followed. ``identity``: a
    directory as the cycle check compares it (symbolic links resolved). ``load_any``: a local module
    whose outputs are read, whether or not it configures anything (None: outputs are not read).
    ``installed``: (key, source) -> the module ``terraform init`` installed for the call and its
    version, or why it cannot be followed (None: installed modules are not read).
    """

    def __init__(self, root_inputs: RootInputs, load: Callable[[str], Module | str], notes: list[Note] | None = None,
                 limits: Limits | None = None, identity: Callable[[str], str] = os.path.realpath,
                 load_any: Callable[[str], Module | str] | None = None,
                 installed: Callable[[str, str], tuple[Module, str] | str] | None = None) -> None:
        self.root_inputs = root_inputs
        self.load = load
        self.notes: list[Note] = [] if notes is None else notes
        self.limits = limits or Limits()
        self.identity = identity
        self.load_any = load_any
        self.installed = installed


class _Place(Record):
    """Where a module instance sits in its tree."""

    __slots__ = ('callers', 'inputs', 'installed', 'keys', 'prefix', 'stack')

    def __init__(self, inputs: dict[str, Value] | None = None, prefix: str = '', callers: tuple[s.Span, ...] = (),
                 stack: tuple[str, ...] = (), keys: tuple[str, ...] = (), installed: tuple[str, ...] = ()) -> None:
        self.inputs = inputs  # its caller's arguments; None: the root module
        self.prefix = prefix  # its address, `module.a["x"].`
        self.callers = callers  # the module blocks that instantiated it, outermost first
        self.stack = stack  # the directories of those callers (``Tree.identity``)
        self.keys = keys  # the module call names from the root: modules.json's Key is '.'.join(keys)
        self.installed = installed  # the installed modules it lies in: 'module.pg: SOURCE VERSION'


_ROOT = _Place()


class ModuleScope:
    def __init__(self, mod: Module, inputs: dict[str, Value] | None, root_inputs: RootInputs,
                 call_site: s.Span | None = None, limits: Limits | None = None, *,
                 tree: Tree | None = None, place: _Place | None = None) -> None:
        self.mod = mod
        self.limits = limits or Limits()
        self.inputs = inputs  # None: a root module
        self.root_inputs = root_inputs
        self.call_site = call_site
        self.tree = tree  # None: module outputs are not read
        self.place = place or _ROOT
        self._vars: dict[str, Value] = {}
        self._locals: dict[str, Value] = {}
        self._modules: dict[str, Value] = {}
        self._outputs: dict[str, Value] = {}
        self._busy: set[str] = set()

    def _guard(self, key: str, compute: Callable[[], Value], memo: dict[str, Value]) -> Value:
        if key in memo:
            return memo[key]
        if key in self._busy:
            return Unknown(f'{key} refers to itself')
        self._busy.add(key)
        try:
            memo[key] = compute()
        except EvalError as e:
            memo[key] = Unknown(f'{key}: Terraform would fail: {e.reason}')
        finally:
            self._busy.discard(key)
        return memo[key]

    def var(self, name: str) -> Value:
        return self._guard(f'var.{name}', lambda: self._var(name), self._vars)

    def _var(self, name: str) -> Value:
        decl = self.mod.variable(name)
        where = os.path.basename(self.mod.directory) or self.mod.directory
        if decl is None:
            return Unknown(f'var.{name} is not declared in {where}/')
        type_attr = decl.attr('type')
        given: Value | None = None
        if self.inputs is not None:
            given = self.inputs.get(name)
        elif name in self.root_inputs.var_values:
            given = self.root_inputs.var_values[name]
        else:
            for _path, attrs in reversed(self.mod.tfvars):
                if name in attrs:
                    given = evaluate(attrs[name].expr, Constant(), budget=self.limits.budget)
                    break
        type_expr = type_attr.expr if type_attr is not None else None
        default = decl.attr('default')
        if isinstance(given, Val) and given.data is None and default is not None and _not_nullable(decl):
            given = None  # `nullable = false`: null means "use the default"
        if given is not None:
            return with_type_defaults(given, type_expr)
        if default is None:
            if self.call_site is not None:
                missing = Unknown(f'var.{name} has no default and the module call at '
                                  f'{self.call_site.path}:{self.call_site.line} does not set it')
            else:
                missing = Unknown(f'var.{name} has no default')
            return type_defaults(type_expr, missing, f'var.{name}')
        return with_type_defaults(evaluate(default.expr, Constant(), budget=self.limits.budget), type_expr)

    def local(self, name: str) -> Value:
        return self._guard(f'local.{name}', lambda: self._local(name), self._locals)

    def _local(self, name: str) -> Value:
        attr = self.mod.local(name)
        if attr is None:
            return Unknown(f'local.{name} is not defined')
        return evaluate(attr.expr, self, budget=self.limits.budget)


    def module(self, name: str) -> Value:
        """``module.NAME``: the called module's outputs, evaluated with this call's arguments, as Terraform does."""
        return self._guard(f'module.{name}', lambda: self._module(name), self._modules)

    def output(self, name: str) -> Value:
        def compute() -> Value:
            block = self.mod.output(name)
            attr = block.attr('value') if block is not None else None
            if attr is None:
                return Unknown(f'output {name} has no value')
            return evaluate(attr.expr, self, budget=self.limits.budget)
        return self._guard(f'output.{name}', compute, self._outputs)

    def _module(self, name: str) -> Value:
        call = self.mod.call(name)
        source = _source(call) if call is not None else None
        if self.tree is None or call is None or source is None:
            return Unknown(f'module.{name} outputs are not evaluated')
        if len(self.place.stack) >= MAX_MODULE_DEPTH:
            return Unknown(f'module.{name} is more than {MAX_MODULE_DEPTH} module calls deep')
        child = _outputs_module(self.tree, self.mod.directory, source, (*self.place.keys, name))
        if isinstance(child, str):
            return Unknown(f'module.{name} outputs cannot be read: source {source} {child}')
        exp = _expansions(call, self)
        if isinstance(exp, Unknown):
            return Unknown(f'module.{name}: {exp.reason}')
        here = self.tree.identity(self.mod.directory)
        objects: list[tuple[dict[str, Value], Val]] = []
        for suffix, bindings in exp:
            inputs = {a.name: _eval(a.expr, self, bindings) for a in call.attributes if a.name not in _META_ARGS}
            place = _Place(inputs, f'{self.place.prefix}module.{name}{suffix}.', (*self.place.callers, call.span),
                           (*self.place.stack, here), (*self.place.keys, name))
            scope = ModuleScope(child, inputs, self.root_inputs, call.span, self.limits, tree=self.tree, place=place)
            objects.append((bindings, Val({o: scope.output(o) for o in child.output_names()})))
        if call.attr('count') is not None:
            return Val([obj for _, obj in objects])
        if call.attr('for_each') is not None:
            return Val({str(plain(b['each'])['key']): obj for b, obj in objects})  # type: ignore[index]
        return objects[0][1]


def _not_nullable(decl: s.Block) -> bool:
    attr = decl.attr('nullable')
    return attr is not None and isinstance(attr.expr, s.Lit) and attr.expr.value is False


def _type_call(type_expr: s.Expr | None) -> tuple[str, tuple[s.Expr, ...]]:
    if isinstance(type_expr, s.Call):
        return type_expr.name, type_expr.args
    return '', ()


def with_type_defaults(value: Value, type_expr: s.Expr | None) -> Value:
    """Convert a value to a variable's type constraint, as Terraform does.

    Primitive types convert (``1`` becomes ``"1"`` for ``string``, ``"true"``
    becomes ``true`` for ``bool``), an object type drops attributes it does not
    declare and fills the ``optional(type, default)`` ones that are missing.
    """
    kind, args = _type_call(type_expr)
    if kind == 'optional' and args:
        return with_type_defaults(value, args[0])
    if not isinstance(value, Val) or value.data is None:
        return value
    if isinstance(type_expr, s.Ref) and type_expr.name in ('string', 'number', 'bool'):
        return _convert(value, type_expr.name)
    if not args:
        return value
    if kind == 'object' and isinstance(args[0], s.ObjectExpr) and isinstance(value.data, dict):
        out: dict[str, Value] = {}
        for key_expr, attr_type in args[0].items:
            if not isinstance(key_expr, s.Lit):
                return value  # a type we cannot read: leave the value as it is
            key = str(key_expr.value)
            given = value.data.get(key)
            optional = _type_call(attr_type)[0] == 'optional'
            if given is not None and not (optional and isinstance(given, Val) and given.data is None):
                out[key] = with_type_defaults(given, attr_type)
            elif optional:  # missing or null: the default
                out[key] = _optional_default(attr_type)
        return Val(out, value.origin, value.exact, value.via)
    if kind in ('map', 'list', 'set') and isinstance(value.data, (dict, list)):
        if isinstance(value.data, dict):
            return Val({k: with_type_defaults(x, args[0]) for k, x in value.data.items()},
                       value.origin, value.exact, value.via)
        return Val([with_type_defaults(x, args[0]) for x in value.data], value.origin, value.exact, value.via,
                   value.is_set)
    return value


def _convert(value: Val, kind: str) -> Value:
    v = value.data
    try:
        if kind == 'string' and isinstance(v, (bool, int, float)):
            return Val(to_str(value), value.origin, value.exact, value.via, value.is_set)
        if kind == 'number' and isinstance(v, str):
            return Val(to_num(value), value.origin, value.exact, value.via, value.is_set)
        if kind == 'bool' and isinstance(v, str):
            return Val(to_bool(value), value.origin, value.exact, value.via, value.is_set)
    except EvalError as e:
        return Unknown(f'Terraform would fail: {e.reason}')
    return value


def _optional_default(attr_type: s.Expr) -> Value:
    _, args = _type_call(attr_type)
    if len(args) < 2:
        return Val(None)
    return with_type_defaults(evaluate(args[1], Constant()), args[0])


def type_defaults(type_expr: s.Expr | None, missing: Unknown, name: str) -> Value:
    """A required variable of object type: its optional attributes still have defaults.

    ``var.instance.configurations`` is ``{}`` when ``instance`` is an object whose
    ``configurations = optional(map(string), {})``; the required attributes stay unknown.
    """
    kind, args = _type_call(type_expr)
    if kind != 'object' or not args or not isinstance(args[0], s.ObjectExpr):
        return missing
    out: dict[str, Value] = {}
    for key_expr, attr_type in args[0].items:
        if isinstance(key_expr, s.Lit):
            key = str(key_expr.value)
            if _type_call(attr_type)[0] == 'optional':
                out[key] = _optional_default(attr_type)
            else:
                out[key] = Unknown(f'{name}.{key} has no default')
    return Val(out)


def _outputs_module(tree: Tree, directory: str, source: str, keys: tuple[str, ...]) -> Module | str:
    if is_local(source):
        if tree.load_any is None:
            return 'is not read here'
        return tree.load_any(os.path.normpath(os.path.join(directory, source)))
    if tree.installed is None:
        return 'is not installed here'
    got = tree.installed('.'.join(keys), source)
    return got if isinstance(got, str) else got[0]


class Constant:
    """The scope of a constant: variable defaults, tfvars and ``--var`` values refer to nothing."""

    def var(self, name: str) -> Value:
        return Unknown(f'var.{name} cannot be used here')

    def local(self, name: str) -> Value:
        return Unknown(f'local.{name} cannot be used here')

    def module(self, name: str) -> Value:
        return Unknown(f'module.{name} cannot be used here')


def _expansions(block: s.Block, scope: ModuleScope) -> list[tuple[str, dict[str, Value]]] | Unknown:
    """``[(address suffix, bindings)]`` for each instance, or why they cannot be known."""
    count = block.attr('count')
    for_each = block.attr('for_each')
    if count is not None:
        v = evaluate(count.expr, scope, budget=scope.limits.budget)
        if isinstance(v, Unknown):
            return Unknown(f'count is unknown: {v.reason}')
        n = to_num(v)  # Terraform converts "3" too
        if n < 0 or not float(n).is_integer():
            return Unknown(f'count is not a whole number: {n!r}: Terraform would fail')
        if scope.limits.instances + n > MAX_INSTANCES:
            return Unknown(_TOO_MANY)
        return [(f'[{i}]', {'count': Val({'index': Val(i)})}) for i in range(int(n))]
    if for_each is not None:
        v = evaluate(for_each.expr, scope, budget=scope.limits.budget)
        if isinstance(v, Unknown):
            return Unknown(f'for_each is unknown: {v.reason}')
        if isinstance(v.data, (dict, list)) and scope.limits.instances + len(v.data) > MAX_INSTANCES:
            return Unknown(_TOO_MANY)
        if isinstance(v.data, dict):
            return [(f'[{_key(k)}]', {'each': Val({'key': Val(k), 'value': inherit(x, v)})})
                    for k, x in sorted(v.data.items())]
        if isinstance(v.data, list) and v.is_set:
            out: list[tuple[str, dict[str, Value]]] = []
            for x in v.data:
                if isinstance(x, Unknown):
                    return Unknown(f'for_each is unknown: {x.reason}')
                if not isinstance(x.data, str):
                    return Unknown('for_each over a set of non-strings: Terraform would fail')
                element = inherit(x, v)
                out.append((f'[{_key(x.data)}]', {'each': Val({'key': element, 'value': element})}))
            return out
        kind = 'null' if v.data is None else 'list' if isinstance(v.data, list) else type(v.data).__name__
        return Unknown(f'for_each takes a map or a set, got a {kind}: Terraform would fail')
    return [('', {})]


def _eval(expr: s.Expr | None, scope: ModuleScope, bindings: dict[str, Value]) -> Value:
    if expr is None:
        return Unknown('not set')
    try:
        return evaluate(expr, scope, bindings, scope.limits.budget)
    except EvalError as e:
        return Unknown(f'Terraform would fail: {e.reason}')


def expand(mod: Module, tree: Tree, place: _Place | None = None) -> list[Instance]:
    """Every configuration resource instance of ``mod`` and of the modules it calls."""
    at = place or _ROOT
    scope = ModuleScope(mod, at.inputs, tree.root_inputs, at.callers[-1] if at.callers else None, tree.limits,
                        tree=tree, place=at)
    out: list[Instance] = []
    for block in mod.resources:
        rtype = block.labels[0]
        if rtype not in CONFIG_TYPES or len(block.labels) < 2:
            continue
        name_attr = block.attr('name')
        # a literal name that is another parameter: nothing to expand
        if name_attr is not None and isinstance(name_attr.expr, s.Lit) and \
                not is_parameter(str(name_attr.expr.value)):
            continue
        base = f'{at.prefix}{rtype}.{block.labels[1]}'
        try:
            out.extend(_resource(block, mod, scope, base, at))
        except Exception as e:  # a bug of ours must not hide the other resources
            unknown = Unknown('internal error')
            out.append(Instance(rtype, base, block, mod, unknown, None, at.callers, False, unknown.reason,
                                f'{type(e).__name__}: {e}', installed=at.installed))
    for call in mod.calls():
        out.extend(_follow(call, mod, scope, tree, at))
    return out


def _resource(block: s.Block, mod: Module, scope: ModuleScope, base: str, at: _Place) -> list[Instance]:
    """The instances of one configuration resource block."""
    rtype = block.labels[0]
    name_attr = block.attr('name')
    value_attr = block.attr('value')
    try:
        exp = _expansions(block, scope)
    except EvalError as e:
        exp = Unknown(f'Terraform would fail: {e.reason}')
    if not isinstance(exp, Unknown) and not scope.limits.take(len(exp)):
        exp = Unknown(_TOO_MANY)
    if isinstance(exp, Unknown):
        return [Instance(rtype, base, block, mod, exp, None, at.callers, False, exp.reason, installed=at.installed)]
    out = []
    for suffix, bindings in exp:
        name = _eval(name_attr.expr if name_attr else None, scope, bindings)
        value = _eval(value_attr.expr, scope, bindings) if value_attr else None
        out.append(Instance(rtype, base + suffix, block, mod, name, value, at.callers, installed=at.installed))
    return out


def is_local(source: str) -> bool:
    return source.startswith(('./', '../', '.\\', '..\\'))


def _source(call: s.Block) -> str | None:
    src_attr = call.attr('source')
    if src_attr is None or not isinstance(src_attr.expr, s.Lit) or not isinstance(src_attr.expr.value, str):
        return None  # Terraform requires a literal source
    return src_attr.expr.value


def _call_expansions(call: s.Block, scope: ModuleScope) -> list[tuple[str, dict[str, Value]]]:
    try:
        exp = _expansions(call, scope)
    except EvalError as e:
        exp = Unknown(f'Terraform would fail: {e.reason}')
    if isinstance(exp, Unknown):
        # instances unknown: evaluate once, with each/count themselves unknown
        return [('[*]', {'each': exp, 'count': exp})]
    return exp


def _follow(call: s.Block, mod: Module, scope: ModuleScope, tree: Tree, at: _Place) -> list[Instance]:
    source = _source(call)
    if source is None:
        return []
    name = call.labels[0]
    where = call.span

    def note(text: str) -> list[Instance]:
        tree.notes.append(Note(where.path, where.line, where.column, f'module "{name}" {text}'))
        return []

    here = tree.identity(mod.directory)
    label = ''
    if is_local(source):
        child_dir = os.path.normpath(os.path.join(mod.directory, source))
        if tree.identity(child_dir) in (*at.stack, here):  # through a symbolic link too
            return note(f'calls itself (through {source}): not followed')
        child = tree.load(child_dir)
        if isinstance(child, str):
            if not child:
                return []
            note(f'source {source} {child}')
            return _unfollowed(call, mod, scope, at, source, f'its directory {child}')
    else:
        got = (tree.installed('.'.join((*at.keys, name)), source) if tree.installed is not None
               else 'installed modules are not read here')
        if isinstance(got, str):
            return _unfollowed(call, mod, scope, at, source, got)
        child, label = got
    if len(at.stack) >= MAX_MODULE_DEPTH:
        return [Instance('module', f'{at.prefix}module.{name}', call, mod, Unknown(''), None, at.callers,
                         reason=f'module "{name}" (source {source}) is more than {MAX_MODULE_DEPTH} module calls '
                                'deep: what it configures is not checked', at=where, installed=at.installed)]
    exp = _call_expansions(call, scope)
    if not scope.limits.take(len(exp)):
        return note(f'has {_TOO_MANY}')
    out: list[Instance] = []
    for suffix, bindings in exp:
        inputs = {a.name: _eval(a.expr, scope, bindings) for a in call.attributes if a.name not in _META_ARGS}
        prefix = f'{at.prefix}module.{name}{suffix}.'
        inner = _Place(inputs, prefix, (*at.callers, where), (*at.stack, here), (*at.keys, name),
                       (*at.installed, f'{prefix[:-1]}: {source} {label}'.rstrip()) if label else at.installed)
        out.extend(expand(child, tree, inner))
    return out


def _unfollowed(call: s.Block, mod: Module, scope: ModuleScope, at: _Place, source: str, why: str) -> list[Instance]:
    """A module the hook cannot read: each argument that hands it the parameter is unverified, never silent."""
    out: list[Instance] = []
    name = call.labels[0]
    for suffix, bindings in _call_expansions(call, scope):
        for a in call.attributes:
            if a.name in _META_ARGS or not _carries(_eval(a.expr, scope, bindings), a.expr.span, mod):
                continue
            reason = (f'argument {a.name} passes {PARAMETER} to module source "{source}", '
                      f'which the hook cannot read: {why}')
            out.append(Instance('module', f'{at.prefix}module.{name}{suffix}', call, mod, Unknown(''), None,
                                at.callers, reason=reason, at=a.expr.span, installed=at.installed))
    return out


def _carries(value: Value, span: s.Span, mod: Module) -> bool:
    """Does the value name the parameter anywhere: a key, an attribute name, a string, at any depth?"""
    if isinstance(value, Unknown):
        src = mod.sources.get(span.path)  # unknown: fall back on the argument's own text
        return src is not None and PARAMETER in src.text[span.start:span.end].lower()
    v = value.data
    if isinstance(v, str):
        return PARAMETER in v.lower()
    if isinstance(v, dict):
        return any(PARAMETER in k.lower() or _carries(x, span, mod) for k, x in v.items())
    if isinstance(v, list):
        return any(_carries(x, span, mod) for x in v)
    return False
