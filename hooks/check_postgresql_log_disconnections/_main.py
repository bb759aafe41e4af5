"""pre-commit hook: Azure PostgreSQL ``log_disconnections`` must be ``on`` in Terraform.

KICS query 07f7134f-9f37-476e-8664-670c218e4702 ("PostgreSQL Log
Disconnections Not Set"), CIS Microsoft Azure Foundations 4.3.4. The entrypoint
only parses arguments, runs ``pipeline.run`` (which also applies ``--fix`` and
checks again) and prints: ``Fixing PATH`` lines, then ``render.render``'s report.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from check_postgresql_log_disconnections import pipeline, render


def _var(text: str) -> tuple[str, str]:
    name, sep, value = text.partition('=')
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f'expected NAME=VALUE, got {text!r}')
    return name.strip(), value


class _Ordered(argparse.Action):
    """``--var`` and ``--var-file`` into one list, in command-line order: the later wins, as in Terraform."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, [*getattr(namespace, self.dest), (self.const, values)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='check-postgresql-log-disconnections',
        description='Block Terraform that sets Azure PostgreSQL log_disconnections to anything but "on".',
    )
    parser.add_argument('filenames', nargs='*', help='Terraform files or directories (directories are walked)')
    parser.add_argument('--unresolved', choices=('ignore', 'warn', 'fail'), default='warn',
                        help='what a value that cannot be determined statically does (default: warn)')
    parser.set_defaults(inputs=())
    parser.add_argument('--var', dest='inputs', action=_Ordered, const='var', type=_var, metavar='NAME=VALUE',
                        help='set a root module variable, as terraform -var does (later options win)')
    parser.add_argument('--var-file', dest='inputs', action=_Ordered, const='var-file', metavar='FILE',
                        help='read root module variables from a tfvars file, as terraform -var-file does')
    parser.add_argument('--tool', choices=('both', 'terraform', 'opentofu'), default='both',
                        help='whose reading of .tofu files to judge: terraform ignores them, opentofu reads x.tofu '
                             'instead of x.tf; both (default) reports what either would apply')
    parser.add_argument('--format', choices=('text', 'json', 'sarif'), default='text')
    parser.add_argument('--output', metavar='FILE', help='write the report to FILE instead of stdout')
    parser.add_argument('--fix', action='store_true', help='rewrite non-compliant literals to "on" where they live')
    parser.add_argument('--show-suppressed', action='store_true', help='list suppressed findings (text format)')
    parser.add_argument('--require-explicit', action='store_true',
                        help='a PostgreSQL server with no log_disconnections configuration is a finding')
    parser.add_argument('--plan', dest='plans', action='append', default=[], metavar='FILE',
                        help='judge the JSON of "terraform show -json PLANFILE" (repeatable; - reads stdin)')
    args = parser.parse_args(argv)
    if args.fix and args.plans:
        parser.error('--fix cannot be combined with --plan (fix the files, then plan again)')

    opts = pipeline.Options(inputs=args.inputs, require_explicit=args.require_explicit, plans=args.plans,
                            tool=args.tool, fix=args.fix)
    result = pipeline.run(args.filenames, opts)
    if args.format == 'text':  # JSON and SARIF list the fixed files in the document
        for path in result.fixed:
            print(f'Fixing {path}')
    text = render.render(result, args.format, unresolved=args.unresolved, show_suppressed=args.show_suppressed)
    if args.output:
        try:
            with open(args.output, 'w', encoding='utf-8') as f:
                f.write(text)
        except OSError as e:
            print(f'{args.output}: cannot write: {e.strerror or e}', file=sys.stderr)
            return 2
    elif text:
        sys.stdout.write(text)
    return render.exit_code(result, unresolved=args.unresolved)

