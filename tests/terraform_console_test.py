"""Our evaluator against Terraform itself: each expression, evaluated both ways, must agree.

Every case becomes ``locals { probe_<id> = <expression> }`` in its own file
``p_<id>.probe.tf`` of one temporary module (with the variables it declares), next to
shared variables and auto-loaded tfvars files. (Not ``p_<id>.tf``: a name ending
in ``_override.tf`` is an override file to Terraform.) Terraform evaluates all probes in
one ``terraform console`` run (``jsonencode({...})`` of every probe); a probe
Terraform rejects is found from the file its diagnostic names, and counts as
``'error'``, to be matched by our ``EvalError``. Our side loads the same
directory with ``check_postgresql_log_disconnections.modules.load`` and evaluates each probe in a root
``ModuleScope`` (variable defaults, ``terraform.tfvars``, ``*.auto.tfvars``).

Where we disagree with Terraform, the case is a strict xfail whose reason says
what Terraform answers. The whole file skips when ``terraform`` is not on PATH
or its console does not run: the hook itself never needs Terraform.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from check_postgresql_log_disconnections import files
from check_postgresql_log_disconnections import syntax as s
from check_postgresql_log_disconnections.evaluate import evaluate
from check_postgresql_log_disconnections.instances import ModuleScope, RootInputs
from check_postgresql_log_disconnections.modules import load
from check_postgresql_log_disconnections.values import EvalError, NotKnown, Val, plain


class Marker:
    """An answer that is not a value; compared by name, never equal to a string value."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ERROR = Marker('error')  # Terraform rejects the expression (ours: EvalError)
UNKNOWN = Marker('unknown')  # Terraform cannot know it before apply

COMMON = '''
variable "m" { default = { log_disconnections = "off", b = "on" } }
variable "l" { default = ["a", "b", "c"] }
variable "objs" { default = [{ name = "log_disconnections", value = "OFF" }, { name = "x", value = "1" }] }
variable "n" { default = null }
variable "s" { default = "Off" }

variable "tfv_a" { default = "default" }
variable "tfv_b" { default = "default" }
variable "tfv_c" { default = "default" }
variable "tfv_d" { default = "default" }
variable "tfv_j" { default = "default" }
variable "tfv_k" { default = "default" }
variable "tfv_num" {
  type    = number
  default = 0
}
variable "tfv_srv" {
  type = object({
    name           = string
    configurations = optional(map(string), { log_disconnections = "on" })
    sku            = optional(string)
  })
  default = { name = "default" }
}
variable "tfv_cfg" {
  type = object({
    configurations = optional(map(string), {})
  })
  default = {}
}
'''

TFVARS = {
    'terraform.tfvars': '''
tfv_a   = "terraform.tfvars"
tfv_b   = "terraform.tfvars"
tfv_j   = "terraform.tfvars"
tfv_num = "5"
tfv_srv = { name = "from-tfvars" }
tfv_cfg = { configurations = { max_connections = 100, log_disconnections = true } }
''',
    'terraform.tfvars.json': '{"tfv_j": "terraform.tfvars.json"}\n',
    'a.auto.tfvars': 'tfv_b = "a.auto.tfvars"\ntfv_c = "a.auto.tfvars"\ntfv_k = "a.auto.tfvars"\n',
    'a.auto.tfvars.json': '{"tfv_k": "a.auto.tfvars.json"}\n',
    'b.auto.tfvars': 'tfv_c = "b.auto.tfvars"\n',
}


UNVERIFIED: dict[str, str] = {}  # probe -> the reason we give instead of a value


def case(key: str, expr: str, decls: str = '', *, differs: str = '', unverified: str = '') -> Any:
    """One probe; ``differs`` (what Terraform answers, and we do not) makes it a strict xfail.

    ``unverified``: Terraform answers, and we deliberately do not guess: ours must be
    unknown with this reason (never a value that differs).
    """
    marks = [pytest.mark.xfail(strict=True, reason=differs)] if differs else []
    if unverified:
        UNVERIFIED[key] = unverified
    return pytest.param(key, expr, decls, id=key, marks=marks)


CASES = [
    # --- merge: later arguments win, shallowly ---
    case('merge_precedence', 'merge({a = 1, b = 2}, {b = 3}, {c = 4})'),
    case('merge_nested_is_shallow', 'merge({a = {x = 1}}, {a = {y = 2}})'),
    case('merge_var_override', 'merge(var.m, {log_disconnections = "on"})'),
    case('merge_null_argument', 'merge(null, {a = "x"})'),
    case('merge_mixed_value_types', 'merge({a = "on"}, {b = 1})'),
    case('merge_no_arguments', 'merge()'),
    # --- keys/values: lexical key order ---
    case('keys_sorted', 'keys({b = 1, a = 2, C = 3})'),
    case('values_in_key_order', 'values({b = "x", a = "y", c = "z"})'),
    case('keys_of_variable', 'keys(var.m)'),
    case('values_of_variable', 'values(var.m)'),
    # --- lookup ---
    case('lookup_default_hit', 'lookup(var.m, "b", "dflt")'),
    case('lookup_default_miss', 'lookup(var.m, "zz", "dflt")'),
    case('lookup_no_default_hit', 'lookup(var.m, "b")'),
    case('lookup_no_default_miss', 'lookup(var.m, "zz")'),
    case('lookup_null_value', 'lookup({a = null}, "a", "d")'),
    # --- element ---
    case('element_wraps_around', 'element(var.l, 4)'),
    case('element_in_range', 'element(var.l, 2)'),
    case('element_negative', 'element(var.l, -1)'),
    case('element_empty_list', 'element([], 0)'),
    case('element_fractional_index', 'element(var.l, 1.5)'),
    # --- toset: dedup and order ---
    case('toset_strings', 'toset(["b", "a", "b"])'),
    case('toset_numbers', 'toset([3, 1, 2, 1])'),
    case('toset_mixed_becomes_strings', 'toset(["b", 1])',
         differs='Terraform: ["1", "b"] (elements unify to string); ours: ["b", 1]'),
    case('toset_in_for', '[for s in toset(["on", "off", "on"]) : upper(s)]'),
    case('toset_length_case_sensitive', 'length(toset(["a", "a", "A"]))'),
    # --- for expressions ---
    case('for_map_if', '[for k, v in var.m : k if v == "off"]'),
    case('for_map_to_map_if', '{for k, v in {b = "on", a = "off"} : upper(k) => v if v != "off"}'),
    case('for_objects_to_map', '{for o in var.objs : o.name => lower(o.value)}'),
    case('for_list_with_index', '[for i, v in ["a", "b"] : "${i}=${v}"]'),
    case('for_object_mixed_values', '[for k, v in {a = "x", b = 1, c = true} : "${k}:${v}"]'),
    case('for_grouping', '{for o in [{k = "a", v = 1}, {k = "b", v = 2}, {k = "a", v = 3}] : o.k => o.v...}'),
    case('for_grouping_if', '{for o in var.objs : o.value => o.name... if o.name != "x"}'),
    case('for_duplicate_key', '{for s in ["a", "a"] : s => 1}'),
    case('for_null_filter', '[for v in ["a", null, "b"] : v if v != null]'),
    case('for_number_keys', '{for i, v in ["x", "y"] : i => v}'),
    case('for_over_string', '[for c in "abc" : c]'),
    # --- conditionals: both results unify to one type ---
    case('cond_string_or_number_true', 'true ? "on" : 1'),
    case('cond_string_or_number_false', 'false ? "on" : 1'),
    case('cond_number_or_string_true', 'true ? 1 : "x"'),
    case('cond_bool_or_string', 'true ? true : "x"'),
    case('cond_null_or_string', 'true ? null : "x"'),
    case('cond_different_objects', 'true ? {a = 1} : {b = "x"}',
         differs='Terraform: {"a": "1"} (both results unify to map(string)); ours: {"a": 1}'),
    case('cond_string_condition', '"true" ? "yes" : "no"'),
    case('cond_null_condition', 'var.n ? 1 : 2'),
    # --- string templates ---
    case('template_sole_bool', '"${true}"'),
    case('template_sole_number', '"${1.0}"'),
    case('template_bool', '"v=${true}"'),
    case('template_whole_number', '"v=${1.0}"'),
    case('template_fraction', '"v=${1.50}"'),
    case('template_division', '"v=${10 / 4}"'),
    case('template_float_sum', '"v=${0.1 + 0.2}"'),
    case('template_null', '"v=${null}"'),
    case('template_sole_number_equals_number', '"${1.0}" == 1'),
    case('template_directive', '"%{if true}on%{else}off%{endif}"',
         differs='Terraform: "on"; ours: unknown (template directives are not evaluated)'),
    case('template_escapes', '"$${x} %%{y}"'),
    # --- heredocs ---
    case('heredoc_plain', '<<EOT\non\nEOT'),
    case('heredoc_indented', '<<-EOT\n    a\n      b\n    EOT'),
    case('heredoc_interpolation', '<<-EOT\n  v=${true}\n  EOT',
         differs='Terraform: "v=true\\n"; ours: unknown (heredoc with interpolation is not evaluated)'),
    case('heredoc_trimspace', 'trimspace(<<EOT\n  on  \nEOT\n  )'),
    case('heredoc_blank_line', '<<-EOT\n    a\n\n    b\n    EOT'),
    # --- string functions ---
    case('lower', 'lower("Off")'),
    case('upper_variable', 'upper(var.s)'),
    case('upper_sharp_s', 'upper("straße")'),
    case('format_s', 'format("%s=%s", "log_disconnections", "on")'),
    case('format_d_padded', 'format("pg-%02d", 7)'),
    case('format_d_fraction', 'format("%d", 1.5)'),
    case('format_d_string', 'format("%d", "12")'),
    case('format_q', 'format("%q", "on")'),
    case('format_v_list', 'format("%v", ["a", 1])'),
    case('format_v_whole_number', 'format("%v", 1.0)'),
    case('format_v_bool', 'format("%v", true)'),
    case('format_s_fraction', 'format("%s", 1.5)'),
    case('format_f', 'format("%.2f", 2)'),
    case('format_missing_argument', 'format("%s %s", "a")'),
    case('format_percent', 'format("100%%")'),
    case('format_v_typed_null', 'format("%v", tostring(null))',
         differs='Terraform: "null"; ours: error'),
    case('format_s_typed_null', 'format("%s", tostring(null))'),
    case('upper_null', 'upper(var.n)'),
    case('replace_plain', 'replace("log-disconnections", "-", "_")'),
    case('replace_regex', 'replace("log_disconnections", "/_(\\\\w)/", "-$1")'),
    case('replace_regex_group_then_letter', 'replace("abc", "/(b)/", "$1x")'),
    case('replace_regex_empty_match', 'replace("aaa", "/a*/", "b")'),
    case('replace_single_slash_is_plain', 'replace("a/b", "/", "-")'),
    case('trimspace', 'trimspace("\\n\\t on \\n")'),
    case('coalesce_skips_null', 'coalesce(null, "on")'),
    case('coalesce_skips_empty_string', 'coalesce("", "on")'),
    case('coalesce_unifies_types', 'coalesce(1, "x")',
         differs='Terraform: "1" (arguments unify to string); ours: 1'),
    case('coalesce_all_null', 'coalesce(null, null)'),
    case('try_fallback', 'try(var.n.x, "fallback")'),
    case('try_first_succeeds', 'try(var.m.b, "fallback")'),
    case('try_all_fail', 'try(var.n.x)'),
    case('can', '[can(var.m.b), can(var.n.x), can(tonumber("x"))]'),
    case('try_tonumber', 'try(tonumber("off"), 0)'),
    case('can_regex', 'can(regex("^o", "on"))'),
    # --- splat ---
    case('splat_attribute', 'var.objs[*].name'),
    case('splat_legacy', 'var.objs.*.value'),
    case('splat_null', 'var.n[*]'),
    case('splat_scalar', 'var.s[*]'),
    case('splat_index', '[["a", "b"], ["c", "d"]][*][1]'),
    # --- count-like index arithmetic ---
    case('count_names', '[for i in range(3) : format("pg-%02d", i + 1)]'),
    case('range_step', 'range(1, 10, 3)'),
    case('range_negative_step', 'range(5, 0, -2)'),
    case('modulo_negative', '-5 % 3'),
    case('modulo', '7 % 3'),
    case('division_fraction', '7 / 2'),
    case('division_by_zero', 'tostring(1 / 0)',
         differs='Terraform: "+Inf" (1 / 0 is infinity); ours: error'),
    case('floor_division', 'floor(7 / 2)'),
    case('index_with_string_key', 'var.l["1"]'),
    case('index_last', 'var.l[length(var.l) - 1]'),
    case('index_out_of_range', 'var.l[3]'),
    case('float_product', '3 * 0.1'),
    # --- number formatting ---
    case('number_int', '1'),
    case('number_whole_float', '1.0'),
    case('number_fraction', '1.5'),
    case('number_exponent', '1e3'),
    case('number_two_thirds', '2 / 3'),
    case('template_two_thirds', '"${2 / 3}"'),
    case('jsonencode_whole_float', 'jsonencode(1.0)'),
    case('tostring_whole_float', 'tostring(1.0)'),
    case('tostring_fraction', 'tostring(1.5)'),
    case('tonumber_string', 'tonumber("1.50")'),
    # --- equality and comparison ---
    case('string_one_equals_number_one', '"1" == 1'),
    case('number_one_equals_one_point_zero', '1 == 1.0'),
    case('string_true_equals_true', '"true" == true'),
    case('null_equals_null', 'null == null'),
    case('variable_equals_null', 'var.n == null'),
    case('tuple_equals_list', '["a"] == tolist(["a"])',
         differs='Terraform: false (a tuple is not a list); ours: true'),
    case('object_equals_object', '{a = 1} == {a = 1}'),
    case('case_sensitive_inequality', '"on" != "ON"'),
    case('string_number_greater', '"10" > 9'),
    # --- null handling ---
    case('one_of_empty', 'one([])'),
    case('tostring_null', 'tostring(null)'),
    case('compact', 'compact(["a", "", null])'),
    case('length_of_null', 'length(null)'),
    case('null_fallback', 'var.n != null ? var.n : "default"'),
    case('attribute_of_null', 'var.n.x'),
    # --- type conversions ---
    case('tolist_mixed', 'tolist(["a", 1])',
         differs='Terraform: ["a", "1"] (elements unify to string); ours: ["a", 1]'),
    case('tomap_mixed', 'tomap({a = 1, b = "x"})',
         differs='Terraform: {"a": "1", "b": "x"} (values unify to string); ours: {"a": 1, "b": "x"}'),
    case('sort_numbers', 'sort([3, 1, 10])',
         differs='Terraform: ["1", "10", "3"] (sort converts to strings); ours: [1, 10, 3]'),
    case('jsonencode_object_key_order', 'jsonencode({b = 1, a = [true, null]})'),
    case('concat_mixed', 'concat(["a"], [1])'),
    case('contains_number_in_strings', 'contains(["a", "1"], 1)'),
    case('distinct_number_and_string', 'distinct([1, "1"])',
         differs='Terraform: ["1"] (elements unify to string first); ours: [1, "1"]'),
    # --- more of what configuration modules write ---
    case('element_of_set', 'element(toset(["b", "a"]), 0)'),
    case('upper_number', 'upper(1)'),
    case('lower_bool', 'lower(true)'),
    case('replace_regex_anchor', 'replace("on", "/^o/", "O")'),
    case('cond_string_off_condition', '"off" ? 1 : 2'),
    case('coalesce_all_empty', 'coalesce("", "")'),
    case('contains_lowered', 'contains(["on", "off"], lower("ON"))'),
    case('length_of_map', 'length(var.m)'),
    case('length_of_unicode_string', 'length("héllo")'),
    case('join_mixed', 'join(",", [1, true, "a"])'),
    case('split', 'split(",", "a,b,,c")'),
    case('flatten', 'flatten([["a"], [], ["b", ["c"]]])'),
    case('zipmap', 'zipmap(["b", "a"], [1, 2])'),
    case('substr', 'substr("log_disconnections", 4, 7)'),
    case('max_string_and_number', 'max("3", 10)'),
    case('splat_map', 'var.m[*]'),
    case('one_of_two', 'one(["a", "b"])'),
    case('and_string_false', 'true && "false"'),
    case('not_string_true', '!"true"'),
    case('computed_object_key', '{(var.s) = 1, "quoted key" = 2}'),
    case('merge_keys_case_sensitive', 'merge({a = 1}, {A = 2})'),
    case('lookup_object_mixed', 'lookup({a = "x", b = 1}, "b", "d")'),
    case('values_object_mixed', 'values({b = 1, a = "x"})'),
    case('format_s_list', 'format("%s", ["a"])'),
    case('format_d_bool', 'format("%d", true)'),
    case('toset_null', 'toset(null)'),
    case('for_over_null', '[for x in var.n : x]'),
    case('count_index_outside_count', 'count.index'),
    case('template_of_number_variable', '"${var.tfv_num}"'),
    case('big_integer_product', '4294967296 * 4294967296'),
    # --- regular expressions: Go's regexp (RE2) ---
    case('replace_regex_backtracking', 'replace("' + 'a' * 66 + '!", "/^(a+)+$/", "on")'),
    case('replace_regex_dollar_zero', 'replace("abc", "/(b)/", "[$0]")'),
    case('replace_regex_braced_group', 'replace("abc", "/(b)/", "$${1}x")'),
    case('replace_regex_leading_zero', 'replace("abc", "/(b)/", "$01")'),
    case('replace_regex_named_group', 'replace("abc", "/(?P<n>b)/", "<$n>")'),
    case('replace_regex_lone_dollar', 'replace("abc", "/b/", "$ $$")'),
    case('replace_regex_empty_pattern_unicode', 'replace("aé", "//", "-")'),
    case('replace_regex_off_to_f', 'replace("off", "/(o)f/", "$1n")'),
    case('regex_posix_class', 'regex("[[:alpha:]]+", "12ab3")'),
    case('regex_groups_list', 'regex("(a)(b)?", "a")'),
    case('regex_named_groups', 'regex("(?P<x>a)(?P<y>z)?", "a")'),
    case('regex_angle_named_group', 'regex("(?<x>a)", "a")'),
    case('regex_no_match', 'regex("a", "b")'),
    case('regex_mixed_groups', 'regex("(a)(?P<n>b)", "ab")'),
    case('regexall_optional_group', 'regexall("(a)(x)?", "aa")'),
    case('regexall_empty_matches', 'regexall("", "aé")'),
    case('regexall_case_insensitive', 'regexall("(?i)ON", "on On oN")'),
    # --- Terraform's function semantics, or unverified ---
    case('trimspace_unit_separator', 'trimspace("on\\u001f")'),
    case('trimspace_nbsp_nel', 'trimspace("\\u00a0on\\u0085")'),
    case('range_counts_down', 'range(3, 0)'),
    case('range_negative_limit', 'range(-2)'),
    case('range_fractional_limit', 'range(1.5)'),
    case('range_wrong_direction', 'range(0, 3, -1)'),
    case('range_over_1024', 'range(1025)'),
    case('range_fractional_step', 'range(0, 1, 0.3)',
         unverified='range() with a fractional start or step is not evaluated'),
    case('substr_offset_before_start', 'substr("abc", -5, 1)'),
    case('substr_negative_length', 'substr("abc", 1, -2)'),
    case('substr_past_end', 'substr("abc", 5, 1)'),
    case('substr_fractional_offset', 'substr("abc", 1.5, 1)'),
    case('substr_grapheme_cluster', 'substr("e\\u0301x", 0, 1)', unverified='counts grapheme clusters'),
    case('length_grapheme_cluster', 'length("e\\u0301x")', unverified='counts grapheme clusters'),
    case('strrev_grapheme_cluster', 'strrev("e\\u0301x")', unverified='counts grapheme clusters'),
    case('length_crlf', 'length("\\r\\n")', unverified='counts grapheme clusters'),
    case('title_go_separators', 'title("ǆa hello-world o\'neil x_y")'),
    case('format_zero_padded_string', 'format("%05s", "on")'),
    case('format_string_precision', 'format("%.0s|%.1s|%5.0s|", "on", "on", "on")'),
    case('format_width_of_bool_and_v', 'format("%5t|%-5v|%.3v", true, "on", "onnnn")'),
    case('format_argument_index', 'format("%[2]s %[1]s %s", "a", "b")'),
    case('format_integer_flags', 'format("%+d|%x|%#x|%08b|%o|% d|%-06d|%.2d", 3, 255, 255, 5, 8, 5, 3, 5)'),
    case('format_float_flags', 'format("%05.1f|%+.2e|%e", -2.25, 12345, 1234.5)'),
    case('format_v_escapes_html', 'format("%v|%#v", ["<", 1.5, true], {a = "é<"})'),
    case('format_too_many_arguments', 'format("%s", "a", "b")'),
    case('format_index_out_of_range', 'format("%[3]s", "a", "b")'),
    case('format_index_then_width', 'format("%[1]5s|", "a")', unverified='is not evaluated'),
    case('format_g', 'format("%g", 123456789)', unverified='%g is not evaluated'),
    case('format_q_unicode', 'format("%q", "é")', unverified='%q is not evaluated'),
    case('jsonencode_escapes_html', 'jsonencode("<&>é")'),
    # --- variable types: optional() defaults and conversion ---
    case('optional_defaults_on_default', 'var.v_srv', '''
variable "v_srv" {
  type = object({
    name           = string
    configurations = optional(map(string), { log_disconnections = "on" })
    sku            = optional(string)
  })
  default = { name = "pg" }
}
'''),
    case('optional_given_empty_map', 'var.v_srv2.configurations', '''
variable "v_srv2" {
  type = object({
    name           = string
    configurations = optional(map(string), { log_disconnections = "on" })
  })
  default = { name = "pg", configurations = {} }
}
'''),
    case('optional_nested_object_default', 'var.v_nested', '''
variable "v_nested" {
  type = object({
    logging = optional(object({
      disconnections = optional(string, "on")
      connections    = optional(bool, true)
    }), {})
  })
  default = {}
}
'''),
    case('optional_in_list_of_objects', 'var.v_params', '''
variable "v_params" {
  type = list(object({
    name  = string
    value = optional(string, "on")
  }))
  default = [{ name = "log_disconnections" }, { name = "x", value = "off" }]
}
'''),
    case('optional_defaults_on_tfvars', 'var.tfv_srv'),
    case('tfvars_map_string_conversion', 'var.tfv_cfg.configurations'),
    case('string_variable_from_number', 'var.v_str == "1"', '''
variable "v_str" {
  type    = string
  default = 1
}
'''),
    case('map_string_variable_conversion', 'var.v_map', '''
variable "v_map" {
  type    = map(string)
  default = { a = 1, b = true }
}
'''),
    case('bool_variable_from_string', 'var.v_bool == true', '''
variable "v_bool" {
  type    = bool
  default = "true"
}
'''),
    case('object_variable_extra_attribute', 'var.v_obj', '''
variable "v_obj" {
  type    = object({ a = string })
  default = { a = "x", b = "y" }
}
'''),
    case('number_variable_from_tfvars_string', 'var.tfv_num == 5'),
    case('number_variable_arithmetic', 'var.tfv_num + 1'),
    # --- tfvars precedence: default < terraform.tfvars < .json < *.auto.tfvars(.json), lexical ---
    case('tfvars_precedence', '[var.tfv_a, var.tfv_b, var.tfv_c, var.tfv_d, var.tfv_j, var.tfv_k]'),
]


def _probe_file(key: str, expr: str, decls: str) -> str:
    return f'{decls}\nlocals {{\n  probe_{key} = {expr}\n}}\n'


def _rejected(stderr: str) -> set[str]:
    """The probes an ``Error:`` diagnostic points into (``on p_<key>.probe.tf line ...``)."""
    out: set[str] = set()
    for block in re.split(r'^(?=(?:Error|Warning): )', stderr, flags=re.MULTILINE):
        m = re.search(r'^\s+on p_(\w+)\.probe\.tf line', block, re.MULTILINE)
        if block.startswith('Error: ') and m:
            out.add(m.group(1))
    return out


def _console(directory: Path, keys: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    expr = 'jsonencode({' + ', '.join(f'"{k}" = local.probe_{k}' for k in keys) + '})\n'
    try:
        run = subprocess.run(['terraform', 'console', '-no-color'], cwd=directory, input=expr, env=env,
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f'terraform console did not run: {e}')
    return run.returncode, run.stdout, run.stderr


def _ask(directory: Path, keys: list[str], env: dict[str, str], answers: dict[str, object]) -> None:
    """Terraform's values of ``keys``: one console run, split in halves while one of them spoils it.

    A probe whose value is unknown to Terraform (``(known after apply)``) or that
    ``jsonencode`` cannot serialise (infinity) makes the whole batch fail.
    """
    rc, out, err = _console(directory, keys, env)
    lines = [x for x in out.splitlines() if x.strip()]
    last = lines[-1] if lines else ''
    if rc == 0 and last.startswith('"'):
        answers.update(json.loads(json.loads(last)))
        return
    if len(keys) == 1:
        answers[keys[0]] = UNKNOWN if rc == 0 and last == '(known after apply)' else ('unserialisable', err.strip())
        return
    half = len(keys) // 2
    _ask(directory, keys[:half], env, answers)
    _ask(directory, keys[half:], env, answers)


def _terraform_answers(directory: Path) -> dict[str, object]:
    """Each probe's value as Terraform gives it, ERROR, or UNKNOWN."""
    rc_file = directory.parent / 'empty.tfrc'
    rc_file.write_text('')
    env = {**os.environ, 'TF_CLI_CONFIG_FILE': str(rc_file), 'TF_IN_AUTOMATION': '1',
           'CHECKPOINT_DISABLE': '1', 'TF_INPUT': '0'}
    keys = [p.values[0] for p in CASES]
    answers: dict[str, object] = {}
    for _ in range(5):
        rc, out, err = _console(directory, [k for k in keys if k not in answers], env)
        rejected = _rejected(err) - set(answers)
        if not rejected:
            break
        for key in rejected:  # Terraform rejects it: take it out, so that the rest can be asked
            answers[key] = ERROR
            (directory / f'p_{key}.probe.tf').unlink()
    lines = [x for x in out.splitlines() if x.strip()]
    if lines and lines[-1].startswith('"'):
        answers.update(json.loads(json.loads(lines[-1])))
    elif rc == 0 or 'on <console-input>' in err:  # one probe spoils the batch: find it
        _ask(directory, [k for k in keys if k not in answers], env, answers)
    else:
        pytest.skip(f'terraform console failed (exit {rc}): {err.strip()[-2000:]}')
    return answers


def _ours(expr: s.Expr, scope: ModuleScope) -> object:
    """One probe's value as our evaluator gives it: a plain value, ERROR, or a (kind, why) tuple."""
    try:
        v = evaluate(expr, scope)
        return plain(v) if isinstance(v, Val) else ('unknown', v.reason)
    except EvalError:
        return ERROR
    except NotKnown as e:  # an unknown inside a collection
        return ('unknown', e.unknown.reason)
    except Exception as e:  # a crash is a disagreement too, not the end of the fixture
        return ('crash', repr(e))


def _our_answers(directory: Path) -> dict[str, object]:
    """Each probe's value as our evaluator gives it, from the directory as the hook would load it."""
    sources = [src for src in map(files.read, files.siblings(str(directory))) if isinstance(src, files.Source)]
    mod = load(str(directory), sources, lambda _source: False)
    scope = ModuleScope(mod, None, RootInputs())
    answers: dict[str, object] = {}
    for param in CASES:
        key = param.values[0]
        attr = mod.local(f'probe_{key}')
        if attr is None:
            answers[key] = ('not parsed', [e.reason for e in mod.errors if f'p_{key}.probe.tf' in e.path])
            continue
        answer = _ours(attr.expr, scope)
        if isinstance(answer, tuple) and answer[0] == 'unknown' and 'Terraform would fail' in answer[1]:
            answer = ERROR  # a variable or local Terraform would reject
        answers[key] = answer
    return answers


@pytest.fixture(scope='module')
def answers(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], dict[str, object]]:
    """(Terraform's answers, ours) for every case, from one module directory."""
    if shutil.which('terraform') is None:
        pytest.skip('terraform is not on PATH')
    directory = tmp_path_factory.mktemp('console') / 'module'
    directory.mkdir()
    (directory / 'common.tf').write_text(COMMON)
    for name, text in TFVARS.items():
        (directory / name).write_text(text)
    for param in CASES:
        key, expr, decls = param.values
        (directory / f'p_{key}.probe.tf').write_text(_probe_file(key, expr, decls))
    ours = _our_answers(directory)  # first: Terraform's run takes the probes it rejects out
    return _terraform_answers(directory), ours


def normal(x: object) -> object:
    """JSON-comparable, with 1.0 and 1 the same number but true never 1."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, list):
        return [normal(y) for y in x]
    if isinstance(x, dict):
        return {str(k): normal(y) for k, y in x.items()}
    return x


def canon(x: object) -> str:
    """A value as JSON (sorted keys); a Marker or a (kind, why) tuple as bare text, unlike any JSON string."""
    if isinstance(x, Marker):
        return x.name
    if isinstance(x, tuple):
        return f'{x[0]}: {x[1]}'
    return json.dumps(normal(x), sort_keys=True, ensure_ascii=False)


def test_case_keys_are_unique() -> None:
    keys = [p.values[0] for p in CASES]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r'\w+', k) for k in keys)


@pytest.mark.parametrize(('key', 'expr', 'decls'), CASES)
def test_same_as_terraform(answers: tuple[dict[str, object], dict[str, object]],
                           key: str, expr: str, decls: str) -> None:
    terraform, ours = answers
    assert key in terraform, f'terraform gave no answer for {key}'
    theirs, mine = terraform[key], ours[key]
    if key in UNVERIFIED:  # we do not guess: unknown, with the reason, whatever Terraform says (value or error)
        assert isinstance(mine, tuple) and mine[0] == 'unknown' and UNVERIFIED[key] in mine[1], (expr, mine)
        return
    if isinstance(mine, tuple) and mine[0] == 'unknown' and theirs == UNKNOWN:
        return  # neither knows it
    assert canon(mine) == canon(theirs), f'{expr}: terraform {canon(theirs)}, ours {canon(mine)}'
