"""Terraform's ``format()`` (cty's take on Go's ``fmt``) and its JSON, or unverified.

The verbs, flags, widths and precisions below were each checked against
``terraform console`` (tests/terraform_console_test.py); a combination not
written out here is unverified rather than Python's idea of it (``%g``, ``%#o``,
``%.20f`` differ). A width or precision that would build more than a value may
hold is refused before building.
"""
from __future__ import annotations

import json
import re

from check_postgresql_log_disconnections.values import (
    EvalError,
    NotKnown,
    Unknown,
    Val,
    plain,
    room,
    to_bool,
    to_num,
    to_str,
)

# % flags width .precision [argument index] verb: cty takes the index only just before the verb
_SPEC = re.compile(r'%(?:(%)|([-+# 0]*)([0-9]*)(?:\.([0-9]+))?(?:\[([1-9][0-9]*)\])?([a-zA-Z]))')
_QUOTABLE = re.compile(r'[ !#-%\'-;=?-~]*')  # printable ASCII but " \ < > &: JSON and Go's %q agree


def go_json(obj: object) -> str:
    """Go's encoding/json as Terraform uses it: compact, keys sorted, whole floats as integers, HTML escaped."""
    def norm(x: object) -> object:
        if isinstance(x, float) and x.is_integer():
            return int(x)
        if isinstance(x, list):
            return [norm(y) for y in x]
        if isinstance(x, dict):
            return {k: norm(y) for k, y in x.items()}
        return x
    text = json.dumps(norm(obj), separators=(',', ':'), sort_keys=True, ensure_ascii=False)
    return text.translate(_ESCAPES)


_ESCAPES = {ord(c): f'\\u{ord(c):04x}' for c in '<>&\u2028\u2029'}


def _unverified(what: str) -> NotKnown:
    return NotKnown(Unknown(f'format(): {what} is not evaluated'))


def format_values(spec: str, args: list[Val]) -> str:
    out: list[str] = []
    pos, nxt, used, size = 0, 0, 0, 0
    while (i := spec.find('%', pos)) >= 0:
        out.append(spec[pos:i])
        m = _SPEC.match(spec, i)
        if m is None:
            raise _unverified(json.dumps(spec[i:i + 8], ensure_ascii=False))
        pos = m.end()
        if m.group(1):
            out.append('%')
        else:
            flags, width, prec, index, verb = m.group(2, 3, 4, 5, 6)
            nxt = int(index) - 1 if index else nxt
            if nxt >= len(args):
                raise EvalError(f'format(): not enough arguments for {m.group(0)}')
            w, p = int(width or 0), None if prec is None else int(prec)
            room(chars=max(w, p or 0))  # format("%0999999999d", 0) would build a gigabyte
            out.append(_verb(verb, flags, w, p, args[nxt], m.group(0)))
            nxt += 1
            used = max(used, nxt)
        size += len(out[-1]) + len(out[-2])
        room(chars=size)
    out.append(spec[pos:])
    if used < len(args):
        raise EvalError(f'format(): too many arguments; only {used} used by the format string')
    return ''.join(out)


def _verb(verb: str, flags: str, w: int, p: int | None, arg: Val, text: str) -> str:
    if verb in 'sv' and not set(flags) - set('-0'):
        if verb == 'v' and isinstance(arg.data, (list, dict)):
            s = go_json(plain(arg))
        else:
            s = to_str(arg)
            if verb == 's' and p:  # cty: a precision of 0 does not cut; %v ignores it
                s = s[:p]
        return _pad(s, w, flags)
    if verb == 'v' and flags == '#' and not w and p is None:
        return go_json(plain(arg))
    if verb == 't' and not flags and p is None:  # the width is ignored
        return 'true' if to_bool(arg) else 'false'
    if verb == 'q' and not flags and not w and p is None:
        s = to_str(arg)
        if _QUOTABLE.fullmatch(s):
            return f'"{s}"'
    if verb in 'dxXob':
        return _integer(verb, flags, w, p, arg, text)
    if verb in 'eEf' and not set(flags) - set('-+ 0') and (p is None or p <= 15):
        try:
            return f'%{flags}{w or ""}{"" if p is None else f".{p}"}{verb}' % float(to_num(arg))
        except OverflowError:
            pass
    raise _unverified(text)


def _integer(verb: str, flags: str, w: int, p: int | None, arg: Val, text: str) -> str:
    n = to_num(arg)
    if not float(n).is_integer():
        raise EvalError(f'format(): {text} needs a whole number, got {n}')
    allowed = set('-+ 0#') if verb in 'xX' else set('-+ 0')
    if set(flags) - allowed or (verb == 'b' and (set(flags) - set('-0') or p is not None)):
        raise _unverified(text)
    if verb == 'b':
        return _pad(format(int(n), 'b'), w, flags)
    return f'%{flags}{w or ""}{"" if p is None else f".{p}"}{verb}' % int(n)


def _pad(s: str, w: int, flags: str) -> str:
    """Go pads by runes, on the left; ``-`` pads on the right, ``0`` with zeros (strings too)."""
    if len(s) >= w:
        return s
    if '-' in flags:
        return s + ' ' * (w - len(s))
    if '0' in flags:
        if s[:1] == '-' and s[1:].isdigit():
            return '-' + s[1:].rjust(w - 1, '0')
        return s.rjust(w, '0')
    return s.rjust(w)
