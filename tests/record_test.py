"""``record.Record``: what the pipeline's values relied on from frozen dataclasses."""
from __future__ import annotations

import pytest

from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.record import replace
from check_postgresql_log_disconnections.values import Val

SPAN = s.Span('main.tf', 1, 2, 1, 5, 1, 4)


def test_fields_are_the_init_parameters_in_order() -> None:
    assert s.Lit._fields == ('value', 'span', 'quoted')
    assert Val._fields == ('data', 'origin', 'exact', 'via', 'is_set')  # (items, chars: measured, not compared)


def test_compared_and_hashed_by_value() -> None:
    assert s.Lit('on', SPAN) == s.Lit('on', s.Span('main.tf', 1, 2, 1, 5, 1, 4))
    assert s.Lit('on', SPAN) != s.Lit('on', SPAN, quoted=True)
    assert s.Ref('x', SPAN) != s.Unsupported('x', SPAN)  # another class: never equal
    assert len({s.Lit('on', SPAN), s.Lit('on', SPAN), s.Lit('off', SPAN)}) == 2


def test_repr() -> None:
    assert repr(s.Ref('var', SPAN)) == ("Ref(name='var', span=Span(path='main.tf', line=1, column=2, end_line=1, "
                                        "end_column=5, start=1, end=4))")
    assert repr(Val('on')) == "Val(data='on', origin=None, exact=False, via=(), is_set=False)"


def test_replace_makes_a_new_record_through_init() -> None:
    v = Val([Val('ab')], via=('var.x',))
    w = replace(v, data=[Val('abc'), Val('d')])
    assert (w.via, w.items, w.chars, v.chars) == (('var.x',), 2, 4, 2)  # measured again
    assert replace(s.GetAttr(s.Ref('a', SPAN), 'b', SPAN), obj=s.Ref('c', SPAN)).obj == s.Ref('c', SPAN)
    with pytest.raises(TypeError, match='Val has no field items'):
        replace(v, items=3)
