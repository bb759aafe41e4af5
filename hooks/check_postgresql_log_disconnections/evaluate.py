"""The expression interpreter: ``syntax`` nodes -> ``values``, as Terraform would.

``evaluate(expr, scope, bindings)`` knows literals, templates, references
(``var.``, ``local.``, ``each.``, ``count.``, for-expression variables),
operators, conditionals, indexing, splats, ``for`` expressions and the pure
functions of ``funcs``. A construct it does not model gives ``Unknown``, never
an exception; what Terraform would reject raises ``EvalError``.
"""
from __future__ import annotations

import operator

from check_postgresql_log_disconnections import funcs
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.values import (
    MAX_DIGITS,
    EvalError,
    NotKnown,
    Unknown,
    Val,
    equal,
    first_unknown,
    inherit,
    room,
    to_bool,
    to_num,
    to_str,
    type_name,
)

MAX_STEPS = 100_000  # evaluation steps for one module tree: real modules take hundreds
# What one module tree may build or hand to functions: steps alone do not bound a step's
# size (a function over a 10,000-element list is one step).
MAX_BUILT_ITEMS = 250_000
MAX_BUILT_CHARS = 50_000_000


TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from decimal import Decimal
    from typing import Protocol

    from check_postgresql_log_disconnections.values import Value

    class Scope(Protocol):
        def var(self, name: str) -> Value: ...
        def local(self, name: str) -> Value: ...
        def module(self, name: str) -> Value: ...


class Budget:
    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.left = steps
        self.items = MAX_BUILT_ITEMS
        self.chars = MAX_BUILT_CHARS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise NotKnown(Unknown('evaluation too large (step budget exhausted)'))

    def build(self, items: int, chars: int = 0) -> None:
        """Count elements and characters built, or read whole by a function."""
        self.items -= items
        self.chars -= chars
        if self.items < 0:
            raise NotKnown(Unknown(f'evaluation too large (more than {MAX_BUILT_ITEMS} elements built)'))
        if self.chars < 0:
            raise NotKnown(Unknown(f'evaluation too large (more than {MAX_BUILT_CHARS} characters built)'))

    def built(self, value: Value) -> None:
        """Count a new value's own elements or characters (what it shares is counted where built)."""
        if isinstance(value, Val):
            v = value.data
            self.build(len(v) if isinstance(v, (list, dict)) else 0, len(v) if isinstance(v, str) else 0)


_OPS: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    '+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv, '%': operator.mod}


def arithmetic(op: str, x: int | float, y: int | float) -> int | float:
    """Terraform computes in arbitrary precision: 3 * 0.1 is 0.3, and % truncates like Go."""
    if op == '%' and isinstance(x, int) and isinstance(y, int) and y:  # exact for any size (1e400 % 7)
        rest = abs(x) % abs(y)
        return -rest if x < 0 else rest
    from decimal import Decimal, localcontext  # (only for numbers: decimal is slow to import)

    a, b = Decimal(repr(x)), Decimal(repr(y))
    try:
        with localcontext() as ctx:
            ctx.prec = 40
            r = _OPS[op](a, b)  # Decimal % truncates
    except ArithmeticError:  # infinity from a function, a remainder of numbers too far apart
        raise NotKnown(Unknown(f'the {op} of these numbers cannot be evaluated')) from None
    if not r.is_finite() or r.adjusted() >= MAX_DIGITS:
        raise NotKnown(Unknown('number too large to evaluate'))
    return int(r) if r == r.to_integral_value() else float(r)


def _unify(value: Value, other: s.Expr) -> Value:
    """``c ? 1 : "x"`` is a string either way: Terraform gives both results one type."""
    if isinstance(value, Val) and isinstance(value.data, (bool, int, float)) and \
            isinstance(other, (s.Lit, s.Template)) and (isinstance(other, s.Template) or isinstance(other.value, str)):
        return value.derived(to_str(value))
    return value


def describe(expr: s.Expr) -> str:
    """Source-like text of a reference, for messages: ``var.params["x"]``."""
    if isinstance(expr, s.Ref):
        return expr.name
    if isinstance(expr, s.GetAttr):
        return f'{describe(expr.obj)}.{expr.name}'
    if isinstance(expr, s.Index):
        key = expr.key
        if isinstance(key, s.Lit):
            return f'{describe(expr.obj)}[{key.value!r}]'.replace("'", '"')
        return f'{describe(expr.obj)}[...]'
    if isinstance(expr, s.Call):
        return f'{expr.name}(...)'
    return 'expression'


def evaluate(expr: s.Expr, scope: Scope, bindings: Mapping[str, Value] | None = None,
             budget: Budget | None = None) -> Value:
    """Evaluate; ``Unknown`` for what cannot be known, ``EvalError`` for what Terraform rejects."""
    try:
        return _Eval(scope, budget or Budget()).eval(expr, dict(bindings or {}))
    except NotKnown as e:
        return e.unknown
    except RecursionError:
        return Unknown('expression too deeply nested to evaluate')


class _Eval:
    def __init__(self, scope: Scope, budget: Budget) -> None:
        self.scope = scope
        self.budget = budget

    def eval(self, e: s.Expr, b: dict[str, Value]) -> Value:
        if isinstance(e, s.Lit):  # free: a literal name is known even when the budget is spent
            return Val(e.value, e.span, True)
        self.budget.spend()
        v = self.step(e, b)
        if isinstance(v, Val):
            room(v.items, v.chars)  # [local.l, local.l] doubles without copying: bound what it stands for
        return v

    def step(self, e: s.Expr, b: dict[str, Value]) -> Value:
        if isinstance(e, s.Template):
            return self.template(e, b)
        if isinstance(e, (s.Ref, s.GetAttr)) and (ref := self.reference(e, b)) is not None:
            return ref
        if isinstance(e, s.Ref):
            return self.bare(e, b)
        if isinstance(e, s.GetAttr):
            return self.get_attr(self.eval(e.obj, b), e.name, e)
        if isinstance(e, s.Index):
            return self.index(self.eval(e.obj, b), self.eval(e.key, b), e)
        if isinstance(e, s.Splat):
            return self.splat(e, b)
        if isinstance(e, s.Call):
            return self.call(e, b)
        if isinstance(e, s.Cond):
            c = self.eval(e.cond, b)
            if isinstance(c, Unknown):
                return c
            chosen, other = (e.then, e.other) if to_bool(c) else (e.other, e.then)
            return _unify(self.eval(chosen, b), other)
        if isinstance(e, s.BinOp):
            return self.binop(e, b)
        if isinstance(e, s.UnOp):
            v = self.eval(e.operand, b)
            if isinstance(v, Unknown):
                return v
            if e.op == '!':
                return Val(not to_bool(v))
            return Val(-to_num(v))
        if isinstance(e, s.TupleExpr):
            self.budget.build(len(e.items))
            return Val([self.eval(x, b) for x in e.items])
        if isinstance(e, s.ObjectExpr):
            self.budget.build(len(e.items))
            out: dict[str, Value] = {}
            for key_expr, value_expr in e.items:
                key = self.eval(key_expr, b)
                if isinstance(key, Unknown):
                    return key
                out[to_str(key)] = self.eval(value_expr, b)
            return Val(out)
        if isinstance(e, s.ForExpr):
            return self.for_expr(e, b)
        if isinstance(e, s.Lit):  # pragma: no cover (eval answers literals)
            return Val(e.value, e.span, True)
        return Unknown(f'{e.what} is not evaluated')

    # --- references ---
    def reference(self, e: s.Ref | s.GetAttr, b: dict[str, Value]) -> Value | None:
        """``var.x``, ``local.x`` and other roots that are not plain values; None otherwise."""
        inner = e.obj if isinstance(e, s.GetAttr) else None
        if isinstance(inner, s.GetAttr) and isinstance(inner.obj, s.Ref) and inner.obj.name == 'module' and \
                'module' not in b:  # module.NAME.OUTPUT: named as such where the value came from
            v = self.get_attr(self.scope.module(inner.name), e.name, e)
            return v.through(f'module.{inner.name}.{e.name}') if isinstance(v, Val) else v
        if isinstance(e, s.GetAttr) and isinstance(e.obj, s.Ref) and e.obj.name not in b:
            root, name = e.obj.name, e.name
            if root == 'var':
                v = self.scope.var(name)
                return v.through(f'var.{name}') if isinstance(v, Val) else v
            if root == 'local':
                v = self.scope.local(name)
                return v.through(f'local.{name}') if isinstance(v, Val) else v
            if root == 'data':
                return Unknown(f'data.{name} is read only when Terraform runs')
            if root == 'module':
                v = self.scope.module(name)
                return v.through(f'module.{name}') if isinstance(v, Val) else v
            if root in ('path', 'terraform'):
                return Unknown(f'{root}.{name} depends on where Terraform runs')
            if root not in ('each', 'count', 'self'):
                return Unknown(f'{describe(e)} is known only after apply')
        return None

    def bare(self, e: s.Ref, b: dict[str, Value]) -> Value:
        if e.name in b:
            return b[e.name]
        if e.name in ('each', 'count'):
            raise EvalError(f'{e.name} is used outside a resource with {e.name}')
        return Unknown(f'{e.name} is not known statically')

    def get_attr(self, obj: Value, name: str, e: s.Expr) -> Value:
        if isinstance(obj, Unknown):
            return obj
        if isinstance(obj.data, dict):
            if name in obj.data:
                return inherit(obj.data[name], obj)
            raise EvalError(f'{describe(e)}: no attribute {name!r}')
        if obj.data is None:
            raise EvalError(f'{describe(e)}: attribute of a null value')
        if isinstance(obj.data, list):
            raise EvalError(f'{describe(e)}: a list has no attribute {name!r}')
        raise EvalError(f'{describe(e)}: a {type_name(obj)} has no attributes')

    def index(self, obj: Value, key: Value, e: s.Expr) -> Value:
        if isinstance(obj, Unknown):
            return obj
        if isinstance(key, Unknown):
            return key
        if isinstance(obj.data, dict):
            k = to_str(key)
            if k in obj.data:
                return inherit(obj.data[k], obj)
            raise EvalError(f'{describe(e)}: no key {k!r}')
        if isinstance(obj.data, list):
            if obj.is_set:
                raise EvalError(f'{describe(e)}: a set cannot be indexed')
            i = to_num(key)
            if not float(i).is_integer() or not 0 <= i < len(obj.data):
                raise EvalError(f'{describe(e)}: index {i} out of range')
            return inherit(obj.data[int(i)], obj)
        if obj.data is None:
            raise EvalError(f'{describe(e)}: index of a null value')
        raise EvalError(f'{describe(e)}: a {type_name(obj)} cannot be indexed')

    def splat(self, e: s.Splat, b: dict[str, Value]) -> Value:
        obj = self.eval(e.obj, b)
        if isinstance(obj, Unknown):
            return obj
        if obj.data is None:
            return Val([])
        items = obj.data if isinstance(obj.data, list) else [obj]
        out: list[Value] = []
        for item in items:
            cur: Value = item
            for kind, arg in e.rest:
                if kind == 'attr':
                    cur = self.get_attr(cur, str(arg), e)
                else:
                    assert not isinstance(arg, str)
                    cur = self.index(cur, self.eval(arg, b), e)
            out.append(cur)
        self.budget.build(len(out))
        return Val(out)

    # --- operators ---
    def binop(self, e: s.BinOp, b: dict[str, Value]) -> Value:
        left = self.eval(e.left, b)
        if e.op in ('&&', '||'):
            # Terraform evaluates both sides; a known deciding side still decides
            right = self.eval(e.right, b)
            if isinstance(left, Val) and to_bool(left) == (e.op == '||'):
                return Val(e.op == '||')
            if isinstance(right, Val) and to_bool(right) == (e.op == '||'):
                return Val(e.op == '||')
            if isinstance(left, Unknown):
                return left
            if isinstance(right, Unknown):
                return right
            return Val(to_bool(right))
        right = self.eval(e.right, b)
        for side in (left, right):
            u = first_unknown(side)
            if u is not None:
                return u
        assert isinstance(left, Val) and isinstance(right, Val)
        if e.op in ('==', '!='):  # compares whole values
            self.budget.build(left.items + right.items, left.chars + right.chars)
        if e.op == '==':
            return Val(equal(left, right))
        if e.op == '!=':
            return Val(not equal(left, right))
        x, y = to_num(left), to_num(right)
        if e.op in ('<', '>', '<=', '>='):
            return Val({'<': x < y, '>': x > y, '<=': x <= y, '>=': x >= y}[e.op])
        if e.op in ('/', '%') and y == 0:
            raise EvalError('division by zero')
        return Val(arithmetic(e.op, x, y))

    def template(self, e: s.Template, b: dict[str, Value]) -> Value:
        out: list[str] = []
        sole: Val | None = None
        size = 0
        for part in e.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                v = self.eval(part, b)
                if isinstance(v, Unknown):
                    return v
                if v.data is None:
                    raise EvalError('template interpolates a null value')
                out.append(to_str(v))
                sole = v if sole is None else sole
            size += len(out[-1])
            room(chars=size)  # "${local.x}${local.x}" doubles: refuse before joining
        self.budget.build(0, size)
        text = ''.join(out)
        # "${var.x}" is var.x itself, of any type; "o${var.x}" is a string derived from it
        if len(e.parts) == 1 and sole is not None:
            return sole
        if sole is not None:
            return sole.derived(text)
        return Val(text)  # pragma: no cover (templates always interpolate)

    # --- functions ---
    def call(self, e: s.Call, b: dict[str, Value]) -> Value:
        if e.name in ('try', 'can'):
            return self.try_can(e, b)
        args = [self.eval(a, b) for a in e.args]
        if e.expand and args:
            last = args.pop()
            if isinstance(last, Unknown):
                return last
            if not isinstance(last.data, list):
                raise EvalError(f'{e.name}(...): only a list can be expanded')
            args.extend(last.data)
        if e.name not in funcs.CHEAP:  # a function reads its arguments whole
            items = sum(a.items for a in args if isinstance(a, Val))
            chars = sum(a.chars for a in args if isinstance(a, Val))
            room(items, chars)
            self.budget.build(items, chars)
        result = funcs.call(e.name, args)
        self.budget.built(result)
        return result

    def try_can(self, e: s.Call, b: dict[str, Value]) -> Value:
        for arg in e.args:
            try:
                v = self.eval(arg, b)
            except EvalError:
                continue
            if e.name == 'can':
                return v if isinstance(v, Unknown) else Val(True)
            return v
        if e.name == 'can':
            return Val(False)
        raise EvalError('try(): no argument could be evaluated')

    # --- for expressions ---
    def for_expr(self, e: s.ForExpr, b: dict[str, Value]) -> Value:
        coll = self.eval(e.collection, b)
        if isinstance(coll, Unknown):
            return coll
        if isinstance(coll.data, dict):
            pairs: list[tuple[Value, Value]] = [(Val(k), inherit(v, coll)) for k, v in sorted(coll.data.items())]
        elif isinstance(coll.data, list):
            pairs = [(Val(i), inherit(v, coll)) for i, v in enumerate(coll.data)]
        else:
            raise EvalError(f'for expression over a {type_name(coll)}')
        funcs._check_size(len(pairs))
        self.budget.build(len(pairs))
        items: list[Value] = []
        obj: dict[str, Value] = {}
        groups: dict[str, list[Value]] = {}
        for key, value in pairs:
            inner = dict(b)
            if e.key_var is not None:
                inner[e.key_var] = key
            inner[e.value_var] = value
            if e.cond is not None:
                c = self.eval(e.cond, inner)
                if isinstance(c, Unknown):
                    return c
                if not to_bool(c):
                    continue
            if e.key is None:
                items.append(self.eval(e.value, inner))
                continue
            k = self.eval(e.key, inner)
            if isinstance(k, Unknown):
                return k
            ks = to_str(k)
            v = self.eval(e.value, inner)
            if e.grouping:
                groups.setdefault(ks, []).append(v)
            elif ks in obj:
                raise EvalError(f'for expression: duplicate key {ks!r}')
            else:
                obj[ks] = v
        if e.key is None:
            return Val(items)
        if e.grouping:  # a Val measures its size when made: make the groups once they are full
            return Val({k: Val(g) for k, g in groups.items()})
        return Val(obj)
