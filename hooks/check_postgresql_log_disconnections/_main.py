"""pre-commit hook: Azure PostgreSQL ``log_disconnections`` must be ``on`` in Terraform.

KICS query 07f7134f-9f37-476e-8664-670c218e4702 ("PostgreSQL Log
Disconnections Not Set"), CIS Microsoft Azure Foundations 4.3.4. The entrypoint
only parses arguments, runs ``pipeline.run`` (which also applies ``--fix`` and
checks again) and prints: ``Fixing PATH`` lines, then ``render.render``'s report.
"""
from __future__ import annotations

import os
import sys

from check_postgresql_log_disconnections import files, pipeline

# argparse, typing and the renderer are imported only when needed: a commit of file names
# that touch no PostgreSQL configuration imports little more than reading files needs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import TextIO

PROG = 'check-postgresql-log-disconnections'
# How the manifest's entry calls the hook. pre-commit runs entry + the configured
# args + file names, with no `--` before the file names, and a committed file
# named `--output=main.tf` would otherwise be an option.
PRE_COMMIT = '--pre-commit'


class _Args:
    """The options and their defaults: what a command line of file names only means."""

    def __init__(self, filenames: list[str]) -> None:
        self.filenames = filenames
        self.unresolved = 'warn'
        self.inputs: Sequence[tuple[str, object]] = ()  # ('var', (NAME, VALUE)) / ('var-file', FILE), in order
        self.tool = 'both'
        self.format = 'text'
        self.output: str | None = None
        self.fix = False
        self.show_suppressed = False
        self.sarif_include_suppressed = False
        self.require_explicit = False
        self.plans: list[str] = []  # --plan FILE ('-': stdin)
        self.no_cache = False
        self.pre_commit = False


def _plain_files(items: list[str]) -> list[str] | None:
    """The file names, when that is all there is (how pre-commit calls it unconfigured); else None."""
    names = items[1:] if items[:1] == [PRE_COMMIT] else items
    return names if names and not any(x.startswith('-') for x in names) else None


def _var(text: str) -> tuple[str, str]:
    import argparse

    name, sep, value = text.partition('=')
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f'expected NAME=VALUE, got {text!r}')
    problem = pipeline.var_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(f'{name.strip()}: {problem}')
    return name.strip(), value


def files_after_options(items: list[str], takes_value: frozenset[str] = frozenset()) -> list[str]:
    """pre-commit's argv after ``--pre-commit`` -> the same with ``--`` where the configured options end.

    The options end at the first item that is not an option or an option's
    value (an option in ``takes_value`` takes the next item): an item that
    does not start with ``-``, or that names a Terraform file (``.tf``,
    ``.tofu``, ``.tfvars``, ``.json`` of those), which is always a file here.
    Raises ``ValueError`` for what cannot be told apart: an option-like item
    that is also a file in this directory, and a missing file named like an
    option (pre-commit passes only files that exist, so that is an option
    whose value ends in ``.tf``...: give the value as its own item).
    """
    out: list[str] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item == '--':
            return out + items[i:]
        if not item.startswith('-') or files.kind_of(item):
            break
        if os.path.lexists(item):
            raise ValueError(f'{item}: an option, and also a file in this directory; rename the file')
        out.append(item)
        if item in takes_value and i + 1 < len(items):
            out.append(items[i + 1])
            i += 1
        i += 1
    for name in items[i:]:
        if name.startswith('-') and not os.path.lexists(name):
            raise ValueError(f'{name}: no such file; under pre-commit a name ending in .tf, .tofu, .tfvars or '
                             '.tfvars.json is always a file: give an option its value as a separate item '
                             '([--var-file, prod.tfvars])')
    return [*out, '--', *items[i:]]


def _parser() -> argparse.ArgumentParser:
    import argparse

    class _Ordered(argparse.Action):
        """``--var`` and ``--var-file`` into one list, in command-line order: the later wins, as in Terraform."""

        def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                     values: object, option_string: str | None = None) -> None:
            setattr(namespace, self.dest, [*getattr(namespace, self.dest), (self.const, values)])

    class _Version(argparse.Action):
        """``--version``: only it reads the installed metadata (``importlib.metadata`` costs ~50 ms)."""

        def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                     values: object, option_string: str | None = None) -> None:
            from check_postgresql_log_disconnections import about

            _say(f'{PROG} {about.version()}\n', sys.stdout)
            parser.exit()

    parser = argparse.ArgumentParser(
        prog=PROG, allow_abbrev=False,  # `--out=main.tf` is a file name, never `--output`
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
    parser.add_argument('--format', choices=('text', 'json', 'sarif'), default='text',
                        help='text: one line per finding (default); json: one document with every result; '
                             'sarif: SARIF 2.1.0 for GitHub code scanning')
    parser.add_argument('--output', metavar='FILE', help='write the report to FILE instead of stdout')
    parser.add_argument('--fix', action='store_true', help='rewrite non-compliant literals to "on" where they live')
    parser.add_argument('--show-suppressed', action='store_true', help='list suppressed findings (text format)')
    parser.add_argument('--sarif-include-suppressed', action='store_true',
                        help='keep suppressed findings in SARIF, marked suppressed (GitHub would show them as '
                             'open alerts, so they are left out by default)')
    parser.add_argument('--require-explicit', action='store_true',
                        help='a PostgreSQL server with no log_disconnections configuration is a finding')
    parser.add_argument('--plan', dest='plans', action='append', default=[], metavar='FILE',
                        help='judge the JSON of "terraform show -json PLANFILE" (repeatable; - reads stdin)')
    parser.add_argument('--version', action=_Version, nargs=0, help="show program's version number and exit")
    parser.add_argument('--no-cache', action='store_true',
                        help="do not read or write parsed blocks (or python-hcl2's parser) in the user cache directory "
                             '(see README, Speed)')
    parser.add_argument(PRE_COMMIT, action='store_true',
                        help='first, as the pre-commit manifest passes it: after the options, every item ending '
                             'in .tf, .tofu, .tfvars or .tfvars.json is a file name, whatever it looks like')
    return parser


def _takes_value(parser: argparse.ArgumentParser) -> frozenset[str]:
    return frozenset(s for a in parser._actions if a.nargs != 0 for s in a.option_strings)


def _say(text: str, stream: TextIO) -> bool:
    """Write ``text``; False when the stream is gone (``| head -c1``). Never raises for an encoding."""
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError:  # a strict non-UTF-8 stream: escape what it cannot take
            encoding = stream.encoding or 'utf-8'
            stream.write(text.encode(encoding, 'backslashreplace').decode(encoding))
        stream.flush()
    except BrokenPipeError:
        _silence(stream)
        return False
    return True


def _silence(stream: TextIO) -> None:
    # a closed pipe: the flush at exit must not print "Exception ignored ... BrokenPipeError"
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _error(text: str, code: int = 1) -> int:
    from check_postgresql_log_disconnections import render

    _say(f'{PROG}: {render.printable(text)}\n', sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    import gc

    # A run allocates hundreds of thousands of objects, nearly all freed by reference counting: the
    # cyclic collector's default pace (every 700) scanned them ~50 times (~15 ms, 3 ms on a second
    # run). As mypy does, it runs seldom; at most 100,000 objects' garbage waits for it.
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, 50, 50)
    try:
        items = list(sys.argv[1:] if argv is None else argv)
        plain = _plain_files(items)
        return _run(_Args(plain)) if plain is not None else _main(items)
    finally:
        gc.set_threshold(*threshold)


def _main(items: list[str]) -> int:
    from check_postgresql_log_disconnections import render

    parser = _parser()
    if items[:1] == [PRE_COMMIT]:
        try:
            items = [PRE_COMMIT, *files_after_options(items[1:], _takes_value(parser))]
        except ValueError as e:
            parser.error(render.printable(str(e)))
    args = parser.parse_args(items, namespace=_Args([]))
    if args.fix and args.plans:
        parser.error('--fix cannot be combined with --plan (fix the files, then plan again)')
    return _run(args)


def _run(args: _Args) -> int:
    opts = pipeline.Options(inputs=args.inputs, require_explicit=args.require_explicit, plans=args.plans,
                            tool=args.tool, fix=args.fix, cache=not args.no_cache)
    try:
        os.getcwd()
    except OSError as e:
        return _error(f'cannot use the working directory: {e.strerror or e}')
    result = pipeline.run(args.filenames, opts)
    if args.format == 'text' and not args.output and not (result.results or result.errors or result.notes
                                                          or result.fixed):
        return 0  # nothing to print: the renderer is not even imported
    from check_postgresql_log_disconnections import render

    if args.format == 'text' and result.fixed:  # JSON and SARIF list the fixed files in the document
        _say(''.join(render.fixing(path) + ''.join(f'{render.change_line(c)}\n'
                                                   for c in result.changes if c.path == path)
                     for path in result.fixed), sys.stdout)
    text = render.render(result, args.format, unresolved=args.unresolved, show_suppressed=args.show_suppressed,
                         include_suppressed=args.sarif_include_suppressed)
    code = render.exit_code(result, unresolved=args.unresolved)
    if args.output:
        try:  # all or nothing: a report cut short is worse than none
            files.write_atomically(args.output, text.encode('utf-8', 'backslashreplace'))
        except OSError as e:
            return _error(f'{args.output}: cannot write: {e.strerror or e}', 2)
    elif text and not _say(text, sys.stdout):
        return _error('cannot write the report: standard output was closed')
    return code
