"""``python -m benchmarks``: time the hook, and check its findings on a generated repository.

The corpus (``--shape``) is by default a platform team's repository
(``testing.corpus.generate_platform``): 500 modules, ~2,000 files, ~2.6 MB,
PostgreSQL servers, databases and firewall rules in almost every module, a
``log_disconnections`` configuration in 5% of them, some reached only through
a local module call. ``--shape monorepo`` is the older generator (few
PostgreSQL modules among storage, network, key vaults...).

Every measurement is a whole process, started the way pre-commit starts the
hook: all file paths on the command line, split into the same chunks as
pre-commit's ``xargs.partition`` (about 128 KB of arguments per process; the
hook is run serially, ``target_concurrency=1``), the chunks run one after the
other and their times added. The naive baseline and the floor get the same
chunks. Each number is the median of ``--reps`` runs (the naive baseline:
``--naive-reps``, default 3; checkov, which takes minutes: one run), measured with
``time.perf_counter`` around the process; peak RSS comes from ``os.wait4``
(the child's own ``ru_maxrss``). The comparators are interleaved with the hook
in every repetition, so drift on a noisy machine hits both sides of a ratio.

Every corpus is a git repository with every file committed, as a user's
repository is (pre-commit runs inside one): the hook asks git which files it
tracks (``git ls-files``), so that cost is measured too. (Without git on the
machine the corpora stay plain directories, and the report says so.)

The hook keeps parsed blocks in a cache (``cache.py``), pointed here at a
directory of the benchmark's own, and beside them python-hcl2's parser ready to
load (``hcl_parser.py``), as python-hcl2 keeps its own ``.lark_cache.bin``
beside its package. A *first run* meets every block for the first time: the
block entries are removed before it (every repetition) and only the parser is
kept, as on any run after the hook's very first. A *cold run* starts from an
empty cache directory (information: the hook's first run in a new cache). A
*second run* starts from the cache the first run left.

Measured, each with its target:
 1. all files, second run, vs. a naive baseline that parses every file whole
    with ``hcl2.parses`` (``benchmarks/naive.py``): at least 50x faster (the
    first run's ratio is shown too);
 2. all files vs. a floor that only reads every file and runs one regex
    (``benchmarks/floor.py``): at most 5x on a first run, 3x on a second (a
    cold run's ratio is shown too);
 3. the hook on one unrelated ``.tf`` file (a commit touching servers but no
    configuration) vs. ``python -c pass``: at most 3x;
 4. one ~2 MB ``.tf`` file with 1% relevant blocks, first run: time (at most
    0.35 s: "keep ~0.28 s") and peak RSS (at most 55 MB: "keep ~44 MB"); the
    second and cold runs' times are shown too;
 5. growth: all files at 0.5x .. 8x the corpus, seconds per MB, first and
    second runs: linear (s/MB at the largest at most 1.25x s/MB at the smallest);
 6. checkov with an equivalent custom check, when checkov is installed.

Every run of the hook on a generated corpus is also checked: its findings (the
``PATH:LINE`` of each non-``unverified`` line) must be the corpus's known ones.
Speed targets are printed met / missed but do not fail (machines are noisy);
wrong findings make the exit code 1.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from testing import corpus as gen

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
HOOK_CODE = 'import sys; from check_postgresql_log_disconnections._main import main; sys.exit(main(sys.argv[1:]))'
ENTRY = 'check-postgresql-log-disconnections'  # what pre-commit puts before the file names
CHECKOV_ID = 'CKV_CUSTOM_PGLD_1'


# --------------------------------------------------------------------------
# running processes

@dataclass
class Run:
    seconds: float
    max_rss_kb: int
    returncode: int
    stdout: str = ''
    stderr: str = ''
    timed_out: bool = False


def _maxrss_kb(ru: object) -> int:
    rss = int(getattr(ru, 'ru_maxrss', 0))
    return rss // 1024 if sys.platform == 'darwin' else rss  # bytes on macOS, KiB on Linux


def run_process(cmd: Sequence[str], cwd: Path, env: dict[str, str], timeout: float) -> Run:
    """One process: wall time, its own peak RSS (``os.wait4``), exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            with contextlib.suppress(OSError):  # already gone
                proc.kill()

        killer = threading.Timer(timeout, kill)
        killer.start()
        try:
            if hasattr(os, 'wait4'):
                _, status, ru = os.wait4(proc.pid, 0)
                seconds = time.perf_counter() - start
                proc.returncode = os.waitstatus_to_exitcode(status)
                rss = _maxrss_kb(ru)
            else:  # pragma: no cover (Windows: no rusage of one child)
                proc.wait()
                seconds = time.perf_counter() - start
                rss = 0
        finally:
            killer.cancel()
        timed_out = fired.is_set()
        out.seek(0)
        err.seek(0)
        return Run(seconds, rss, proc.returncode if proc.returncode is not None else -1,
                   out.read().decode('utf-8', 'replace'), err.read().decode('utf-8', 'replace'), timed_out)


def _environ_size(env: dict[str, str]) -> int:
    return sum(8 + len(k.encode()) + len(v.encode()) + 2 for k, v in env.items())


def partition(cmd: Sequence[str], files: Sequence[str], env: dict[str, str],
              max_length: int | None = None) -> list[list[str]]:
    """Split ``files`` as pre-commit's ``xargs.partition(cmd, files, target_concurrency=1)`` does."""
    if max_length is None:
        if os.name == 'posix':
            max_length = max(min(os.sysconf('SC_ARG_MAX') - 2048 - _environ_size(env), 2 ** 17), 2 ** 12)
        else:  # pragma: no cover
            max_length = 2 ** 15 - 2048

    def length(*args: str) -> int:
        return len(' '.join(args).encode(sys.getfilesystemencoding()))

    base = length(*cmd) + 1
    chunks: list[list[str]] = []
    chunk: list[str] = []
    total = base
    for f in files:
        n = length(f) + 1
        if chunk and total + n > max_length:
            chunks.append(chunk)
            chunk, total = [], base
        chunk.append(f)
        total += n
    chunks.append(chunk)
    return chunks


def run_chunks(cmd: Sequence[str], chunks: Sequence[Sequence[str]], cwd: Path, env: dict[str, str],
               timeout: float) -> Run:
    """Run ``cmd + chunk`` for each chunk, one after the other: times added, RSS the largest."""
    total = Run(0.0, 0, 0)
    outs, errs = [], []
    for chunk in chunks:
        r = run_process([*cmd, *chunk], cwd, env, timeout)
        total.seconds += r.seconds
        total.max_rss_kb = max(total.max_rss_kb, r.max_rss_kb)
        total.returncode = max(total.returncode, r.returncode) if r.returncode >= 0 else r.returncode
        total.timed_out = total.timed_out or r.timed_out
        outs.append(r.stdout)
        errs.append(r.stderr)
    total.stdout = ''.join(outs)
    total.stderr = ''.join(errs)
    return total


class Series:
    """Repeated runs of one measurement."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.runs: list[Run] = []

    def add(self, run: Run) -> Run:
        self.runs.append(run)
        return run

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs) if self.runs else float('nan')

    @property
    def max_rss_mb(self) -> float:
        return max((r.max_rss_kb for r in self.runs), default=0) / 1024

    def spread(self) -> str:
        if len(self.runs) < 2:
            return ''
        secs = [r.seconds for r in self.runs]
        return f'{min(secs):.3f}-{max(secs):.3f}'


# --------------------------------------------------------------------------
# the report

@dataclass
class Row:
    key: str
    what: str
    hook: str
    other: str
    ratio: str
    target: str
    ok: bool | None  # None: informational

    @property
    def verdict(self) -> str:
        return {True: 'met', False: 'MISSED', None: '-'}[self.ok]


@dataclass
class Check:
    what: str
    verdict: gen.Verdict
    returncode: int
    stderr: str = ''

    @property
    def ok(self) -> bool:
        want = 1 if self.verdict.expected else 0
        return self.verdict.ok and self.returncode == want

    def describe(self) -> list[str]:
        lines = [f'{"ok   " if self.ok else "WRONG"} {self.what}: ' + self.verdict.describe()[0]]
        lines += ['      ' + x.strip() for x in self.verdict.describe()[1:]]
        want = 1 if self.verdict.expected else 0
        if self.returncode != want:
            lines.append(f'      exit code {self.returncode}, expected {want}')
        if not self.ok and self.stderr.strip():
            lines += ['      stderr: ' + x for x in self.stderr.strip().splitlines()[-8:]]
        return lines


@dataclass
class Bench:
    args: argparse.Namespace
    work: Path
    env: dict[str, str]
    hook_cmd: list[str]
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    growth: list[tuple[float, gen.Corpus, Series, Series]] = field(default_factory=list)
    first_second: tuple[Series, Series] = (Series('first'), Series('second'))
    git: bool = False  # the corpora are git repositories (git is installed)

    def log(self, text: str) -> None:
        print(f'[{time.strftime("%H:%M:%S")}] {text}', file=sys.stderr, flush=True)

    def run(self, cmd: Sequence[str], chunks: Sequence[Sequence[str]], cwd: Path) -> Run:
        return run_chunks(cmd, chunks, cwd, self.env, self.args.timeout)

    def check(self, what: str, c: gen.Corpus, run: Run) -> None:
        stderr = run.stderr + ('\n(timed out)' if run.timed_out else '')
        self.checks.append(Check(what, gen.compare(c, run.stdout), run.returncode, stderr))


def _fmt_s(seconds: float) -> str:
    return f'{seconds:.3f}'


# --------------------------------------------------------------------------
# the measurements

CACHE_ENV = 'CHECK_POSTGRESQL_LOG_DISCONNECTIONS_CACHE_DIR'


class Cache:
    """The hook's cache directory for one corpus: emptied before a first run, kept for a second."""

    def __init__(self, b: Bench, label: str) -> None:
        self.dir = b.work / f'cache-{label}'
        self.env = dict(b.env, **{CACHE_ENV: str(self.dir)})

    def wipe(self) -> dict[str, str]:
        """Nothing kept: a cold run."""
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.env

    def forget_blocks(self) -> dict[str, str]:
        """The parsed blocks removed (their entries live in subdirectories), the parser kept: a first run."""
        if self.dir.is_dir():
            for sub in self.dir.iterdir():
                if sub.is_dir():
                    shutil.rmtree(sub, ignore_errors=True)
        return self.env


def cold_run(b: Bench, chunks: Sequence[Sequence[str]], root: Path, cache: Cache) -> Run:
    """A run from an empty cache directory (it leaves python-hcl2's parser kept for the first run)."""
    return run_chunks(b.hook_cmd, chunks, root, cache.wipe(), b.args.timeout)


def hook_runs(b: Bench, chunks: Sequence[Sequence[str]], root: Path, cache: Cache) -> tuple[Run, Run]:
    """A first run (every block new, the parser kept), then a second (the cache it left)."""
    first = run_chunks(b.hook_cmd, chunks, root, cache.forget_blocks(), b.args.timeout)
    second = run_chunks(b.hook_cmd, chunks, root, cache.env, b.args.timeout)
    return first, second


def _ratio_row(key: str, what: str, hook: Series, other: Series, target: float, at_most: bool) -> Row:
    ratio = hook.median / other.median if at_most else other.median / hook.median
    ok = ratio <= target if at_most else ratio >= target
    return Row(key, what, _fmt_s(hook.median), _fmt_s(other.median), f'{ratio:.1f}x',
               f'{"<=" if at_most else ">="} {target:g}x', ok)


def measure_all_files(b: Bench, c: gen.Corpus) -> tuple[Series, Series]:
    """1 and 2: the hook (first and second runs), the naive baseline and the floor on every file."""
    chunks = partition([ENTRY], c.files, b.env)
    b.log(f'corpus: {len(c.files)} files, {c.megabytes:.2f} MB, '
          f'{len(chunks)} command line(s) as pre-commit splits them')
    naive_cmd = [sys.executable, str(HERE / 'naive.py')]
    floor_cmd = [sys.executable, str(HERE / 'floor.py')]
    first, second = Series('hook, first run'), Series('hook, second run')
    naive, floor = Series('naive'), Series('floor')
    cold = Series('hook, cold run')
    cache = Cache(b, 'x1')
    b.log('warm-up and correctness runs of the hook')
    b.check(f'all files at scale {b.args.scale:g}, cold run', c, cold_run(b, chunks, c.root, cache))
    runs = hook_runs(b, chunks, c.root, cache)
    b.check(f'all files at scale {b.args.scale:g}, first run', c, runs[0])
    b.check(f'all files at scale {b.args.scale:g}, second run', c, runs[1])
    b.run(floor_cmd, chunks, c.root)
    for i in range(b.args.reps):
        b.log(f'all files: repetition {i + 1}/{b.args.reps}')
        cold.add(cold_run(b, chunks, c.root, cache))
        one, two = hook_runs(b, chunks, c.root, cache)
        first.add(one)
        second.add(two)
        floor.add(b.run(floor_cmd, chunks, c.root))
        if i < b.args.naive_reps:
            naive.add(b.run(naive_cmd, chunks, c.root))
    size = f'{len(c.files)} files, {c.megabytes:.1f} MB'
    b.rows.append(_ratio_row('1', f'all files ({size}), second run: naive hcl2.parses / hook', second, naive,
                             50, at_most=False))
    b.rows.append(Row('1f', 'all files, first run: naive hcl2.parses / hook', _fmt_s(first.median),
                      _fmt_s(naive.median), f'{naive.median / first.median:.1f}x', '(information)', None))
    b.rows.append(_ratio_row('2f', 'all files, first run: hook / read+regex floor', first, floor, 5, at_most=True))
    b.rows.append(_ratio_row('2s', 'all files, second run: hook / read+regex floor', second, floor, 3,
                             at_most=True))
    b.rows.append(Row('2c', 'all files, cold run (empty cache dir): hook / floor', _fmt_s(cold.median),
                      _fmt_s(floor.median), f'{cold.median / floor.median:.1f}x', '(information)', None))
    b.first_second = (first, second)
    return first, second


def measure_one_file(b: Bench, c: gen.Corpus) -> None:
    """3: the commit of one unrelated file."""
    one = [[c.unrelated]]
    pass_cmd = [sys.executable, '-c', 'pass']
    hook, bare = Series('hook one file'), Series('python -c pass')
    b.run(b.hook_cmd, one, c.root)
    b.run(pass_cmd, [[]], c.root)
    b.log(f'one unrelated file ({c.unrelated}) vs python -c pass')
    for _ in range(max(b.args.reps, 9)):  # cheap: a few more repetitions steady the ratio
        hook.add(b.run(b.hook_cmd, one, c.root))
        bare.add(b.run(pass_cmd, [[]], c.root))
    b.rows.append(_ratio_row('3', 'one unrelated .tf file: hook / python -c pass', hook, bare, 3, at_most=True))


def measure_single_file(b: Bench) -> None:
    """4: one ~2 MB file with 1% relevant blocks, first run: time and peak RSS."""
    c = gen.generate_single_file(b.work / 'single-2mb', size=b.args.single_size)
    commit_all(c.root)
    chunks = [c.files]
    cache = Cache(b, 'single')
    b.log(f'single file: {c.megabytes:.2f} MB, {len(c.expected) + len(c.compliant)} relevant blocks')
    b.check(f'single {c.megabytes:.1f} MB file, cold run', c, cold_run(b, chunks, c.root, cache))
    runs = hook_runs(b, chunks, c.root, cache)
    b.check(f'single {c.megabytes:.1f} MB file, first run', c, runs[0])
    b.check(f'single {c.megabytes:.1f} MB file, second run', c, runs[1])
    first, second = Series('single file, first run'), Series('single file, second run')
    cold = Series('single file, cold run')
    for _ in range(b.args.reps):
        cold.add(cold_run(b, chunks, c.root, cache))
        one, two = hook_runs(b, chunks, c.root, cache)
        first.add(one)
        second.add(two)
    b.rows.append(Row('4a', f'one {c.megabytes:.1f} MB .tf file (1% relevant), first run: time',
                      _fmt_s(first.median), '-', '-', '<= 0.35 s (keep ~0.28 s)', first.median <= 0.35))
    b.rows.append(Row('4b', 'the same: peak RSS', f'{first.max_rss_mb:.0f} MB', '-', '-',
                      '<= 55 MB (keep ~44 MB)', first.max_rss_mb <= 55))
    b.rows.append(Row('4s', 'the same, second run: time', _fmt_s(second.median), '-', '-', '(information)', None))
    b.rows.append(Row('4c', 'the same, cold run (empty cache dir): time', _fmt_s(cold.median), '-', '-',
                      '(information)', None))


def measure_growth(b: Bench, base: gen.Corpus) -> None:
    """5: the all-files run at several sizes, first and second runs; seconds per MB."""
    for factor in b.args.growth:
        if factor == 1:
            first, second = b.first_second
            b.growth.append((factor, base, first, second))
            continue
        scale = b.args.scale * factor
        c = generate(b, b.work / f'corpus-x{factor:g}', scale)
        chunks = partition([ENTRY], c.files, b.env)
        b.log(f'growth {factor:g}x: {len(c.files)} files, {c.megabytes:.2f} MB, {len(chunks)} command line(s)')
        cache = Cache(b, f'x{factor:g}')
        runs = hook_runs(b, chunks, c.root, cache)
        b.check(f'all files at scale {scale:g}, first run', c, runs[0])
        b.check(f'all files at scale {scale:g}, second run', c, runs[1])
        first, second = Series(f'growth {factor:g}, first'), Series(f'growth {factor:g}, second')
        for _ in range(b.args.growth_reps):
            one, two = hook_runs(b, chunks, c.root, cache)
            first.add(one)
            second.add(two)
        b.growth.append((factor, c, first, second))
    b.growth.sort(key=lambda g: g[0])
    lo, hi = b.growth[0], b.growth[-1]
    for key, which, label in (('5f', 2, 'first'), ('5s', 3, 'second')):
        per_lo = _series(lo, which).median / lo[1].megabytes
        per_hi = _series(hi, which).median / hi[1].megabytes
        ratio = per_hi / per_lo
        b.rows.append(Row(key, f'growth, {label} runs: s/MB at {hi[0]:g}x / s/MB at {lo[0]:g}x',
                          f'{per_hi:.3f}/MB', f'{per_lo:.3f}/MB', f'{ratio:.2f}x', '<= 1.25x (linear)',
                          ratio <= 1.25))


def _series(g: tuple[float, gen.Corpus, Series, Series], which: int) -> Series:
    return g[2] if which == 2 else g[3]


def generate(b: Bench, root: Path, scale: float) -> gen.Corpus:
    if b.args.shape == 'monorepo':
        c = gen.generate(root, scale, seed=b.args.seed)
    else:
        c = gen.generate_platform(root, scale, seed=b.args.seed)
    b.git = commit_all(c.root)
    return c


def commit_all(root: Path) -> bool:
    """Make ``root`` a git repository with every file committed, as a user's is (pre-commit runs in
    one): the hook then asks git which files it tracks, as it does there. False when git is missing.

    The user's and the system's git configuration are left out (no hooks, templates or signing).
    """
    git = shutil.which('git')
    if git is None:
        return False
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM='1', GIT_AUTHOR_NAME='benchmark',
               GIT_AUTHOR_EMAIL='benchmark@example.invalid', GIT_COMMITTER_NAME='benchmark',
               GIT_COMMITTER_EMAIL='benchmark@example.invalid')
    for args in (['init', '-q'], ['add', '-A'], ['commit', '-q', '--no-verify', '--allow-empty', '-m', 'corpus']):
        subprocess.run([git, *args], cwd=root, env=env, check=True, capture_output=True)
    return True


CHECKOV_CHECK = '''\
"""log_disconnections must be "on": the hook's rule as a checkov custom check."""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _first(conf, key):
    value = conf.get(key)
    if isinstance(value, list):
        return value[0] if value else None
    return value


class PostgresqlLogDisconnections(BaseResourceCheck):
    def __init__(self):
        super().__init__(
            name='Ensure Azure PostgreSQL log_disconnections is on',
            id='%(id)s',
            categories=[CheckCategories.LOGGING],
            supported_resources=['azurerm_postgresql_configuration',
                                 'azurerm_postgresql_flexible_server_configuration'],
        )

    def scan_resource_conf(self, conf):
        if _first(conf, 'name') != 'log_disconnections':
            return CheckResult.UNKNOWN
        value = _first(conf, 'value')
        if isinstance(value, str) and value.lower() == 'on':
            return CheckResult.PASSED
        return CheckResult.FAILED


check = PostgresqlLogDisconnections()
'''


def find_checkov(explicit: str | None) -> list[str] | None:
    if explicit:
        return shlex.split(explicit)
    exe = shutil.which('checkov')
    if exe:
        return [exe]
    try:
        import importlib.util
        if importlib.util.find_spec('checkov') is not None:
            return [sys.executable, '-m', 'checkov.main']
    except (ImportError, ValueError):
        pass
    return None


def measure_checkov(b: Bench, c: gen.Corpus, hook: Series) -> None:
    """6: checkov with the same rule as a custom check (optional)."""
    cmd = find_checkov(b.args.checkov)
    if cmd is None:
        print('checkov not installed: skipped')
        b.rows.append(Row('6', 'checkov / hook', '-', '-', '-', 'informational', None))
        return
    checks = b.work / 'checkov-checks'
    checks.mkdir(exist_ok=True)
    (checks / '__init__.py').write_text('')
    (checks / 'pg_log_disconnections.py').write_text(CHECKOV_CHECK % {'id': CHECKOV_ID})
    full = [*cmd, '-d', '.', '--framework', 'terraform', '--external-checks-dir', str(checks),
            '--check', CHECKOV_ID, '--quiet', '--compact', '--skip-download', '-o', 'json']
    env = dict(b.env, BC_SKIP_MAPPING='TRUE', CHECKOV_SKIP_VERSION_CHECK='true', LOG_LEVEL='ERROR')
    s = Series('checkov')
    reps = b.args.checkov_reps
    for i in range(reps):  # no warm-up: checkov takes minutes, and the ratio is informational
        b.log(f'checkov: run {i + 1}/{reps}')
        s.add(run_chunks(full, [[]], c.root, env, b.args.timeout))
    failed = _checkov_failed(s.runs[0].stdout)
    ratio = s.median / hook.median
    found = 'unreadable output' if failed is None else f'{failed} failed vs {len(c.expected)} expected lines'
    b.rows.append(Row('6', f'checkov / hook (checkov: {found})', _fmt_s(hook.median), _fmt_s(s.median),
                      f'{ratio:.1f}x', 'informational', None))


def _checkov_failed(text: str) -> int | None:
    import json
    start = text.find('{'), text.find('[')
    starts = [i for i in start if i >= 0]
    if not starts:
        return None
    try:
        data = json.loads(text[min(starts):])
    except ValueError:
        return None
    reports = data if isinstance(data, list) else [data]
    lines = set()
    for rep in reports:
        for f in rep.get('results', {}).get('failed_checks', []):
            lines.add((f.get('file_path', ''), tuple(f.get('file_line_range', ()))))
    return len(lines)


# --------------------------------------------------------------------------

def print_report(b: Bench, out: list[str]) -> None:
    headers = ('#', 'measurement', 'hook', 'other', 'ratio', 'target', 'result')
    rows = [(r.key, r.what, r.hook, r.other, r.ratio, r.target, r.verdict) for r in b.rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    right = {2, 3, 4}

    def line(cells: Sequence[str]) -> str:
        return '  '.join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out.append(line(headers))
    out.append(line(['-' * w for w in widths]))
    out.extend(line(r) for r in rows)
    if b.growth:
        out.append('')
        out.append('growth (hook, all files; medians, first run = every block new, second run = the cache it left):')
        out.append(f'  {"factor":>6}  {"files":>6}  {"MB":>6}  {"first s":>8}  {"s/MB":>6}  '
                   f'{"second s":>8}  {"s/MB":>6}  {"peak RSS":>8}')
        for factor, c, first, second in b.growth:
            out.append(f'  {factor:>5g}x  {len(c.files):>6}  {c.megabytes:>6.2f}  {first.median:>8.3f}  '
                       f'{first.median / c.megabytes:>6.3f}  {second.median:>8.3f}  '
                       f'{second.median / c.megabytes:>6.3f}  {max(first.max_rss_mb, second.max_rss_mb):>5.0f} MB')


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='python -m benchmarks', description=__doc__.split('\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog='Speed targets missed are reported as MISS; the exit code is 1 only when '
                                       'the hook\'s findings differ from the corpus\'s known findings.')
    p.add_argument('--shape', choices=('platform', 'monorepo'), default='platform',
                   help='platform (default): PostgreSQL servers in almost every module, configurations in 5%%; '
                   'monorepo: a few PostgreSQL modules among other Azure resources')
    p.add_argument('--scale', type=float, help='corpus size; 1 = platform: 500 modules, ~2,000 files, ~2.6 MB '
                   '(monorepo: ~300 modules, ~2,500 files, ~3 MB) (default 1, 0.25 with --quick)')
    p.add_argument('--reps', type=int, help='repetitions per measurement, medians reported (default 5, 3 with --quick)')
    p.add_argument('--naive-reps', type=int, help='repetitions of the naive hcl2 baseline (default: min(reps, 3))')
    p.add_argument('--checkov-reps', type=int, default=1, help='runs of checkov, which takes minutes (default 1)')
    p.add_argument('--quick', action='store_true', help='smaller corpus, fewer repetitions')
    p.add_argument('--keep', metavar='DIR', help='write the corpora into DIR and keep them (default: a temp dir)')
    p.add_argument('--seed', type=int, default=0, help='corpus seed (default 0)')
    p.add_argument('--growth', type=lambda s: [float(x) for x in s.split(',')], default=[0.5, 1.0, 2.0, 4.0, 8.0],
                   metavar='F,F,...', help='growth factors of the corpus (default 0.5,1,2,4,8)')
    p.add_argument('--growth-reps', type=int, help='repetitions of each growth size (default: min(reps, 3))')
    p.add_argument('--single-size', type=int, default=2_000_000, metavar='BYTES',
                   help='size of the single-file case (default 2000000)')
    p.add_argument('--hook-cmd', metavar='CMD', help='command that runs the hook (default: this checkout\'s '
                   'check_postgresql_log_disconnections._main.main through the current Python)')
    p.add_argument('--checkov', metavar='CMD', help='checkov command (default: checkov on PATH, if any)')
    p.add_argument('--no-checkov', action='store_true', help='skip the checkov comparison')
    p.add_argument('--timeout', type=float, default=900, help='seconds before one process is killed (default 900)')
    args = p.parse_args(argv)
    if args.scale is None:
        args.scale = 0.25 if args.quick else 1.0
    if args.reps is None:
        args.reps = 3 if args.quick else 5
    args.reps = max(1, args.reps)
    if args.naive_reps is None:
        args.naive_reps = min(args.reps, 3)
    args.naive_reps = max(1, min(args.naive_reps, args.reps))
    args.checkov_reps = max(1, args.checkov_reps)
    if 1.0 not in args.growth:
        args.growth.append(1.0)
    if args.growth_reps is None:
        args.growth_reps = min(args.reps, 3)
    args.growth_reps = max(1, args.growth_reps)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), *filter(None, [env.get('PYTHONPATH')])])
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    hook_cmd = shlex.split(args.hook_cmd) if args.hook_cmd else [sys.executable, '-c', HOOK_CODE]
    if args.keep:
        work = Path(args.keep).resolve()
        work.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix='pgld-bench-')
        work = Path(cleanup.name)
    env[CACHE_ENV] = str(work / 'cache-other')  # never the user's own cache
    b = Bench(args, work, env, hook_cmd)
    try:
        header = (f'check-postgresql-log-disconnections benchmark: Python {platform.python_version()} on '
                  f'{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; scale {args.scale:g}, '
                  f'{args.reps} repetitions (naive {args.naive_reps}, checkov {args.checkov_reps}); corpora in {work}\n'
                  f'hook command: {shlex.join(hook_cmd)} FILE...')
        print(header, flush=True)
        b.log(f'generating the {args.shape} corpus (scale {args.scale:g})')
        c = generate(b, work / 'corpus-x1', args.scale)
        print(f'corpus: {c.modules} modules ({c.pg_modules} configure PostgreSQL: '
              + ', '.join(f'{k} {v}' for k, v in sorted(c.styles.items())) + f'), {len(c.files)} files, '
              f'{c.megabytes:.2f} MB, {len(c.expected)} known findings, {len(c.compliant)} compliant values; '
              + ('a git repository, every file committed' if b.git else
                 'NOT a git repository (git is not installed): the hook\'s git path is not measured'), flush=True)
        _, hook = measure_all_files(b, c)
        measure_one_file(b, c)
        measure_single_file(b)
        measure_growth(b, c)
        if args.no_checkov:
            b.rows.append(Row('6', 'checkov / hook', '-', '-', '-', 'skipped (--no-checkov)', None))
        else:
            measure_checkov(b, c, hook)
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    out: list[str] = ['']
    print_report(b, out)
    out.append('')
    out.append('correctness (findings of every hook run on a generated corpus vs. its known findings):')
    for check in b.checks:
        out.extend('  ' + x for x in check.describe())
    ok = all(ch.ok for ch in b.checks)
    misses = [r.key for r in b.rows if r.ok is False]
    out.append('')
    out.append(f'speed targets: {"all met" if not misses else "MISSED " + ", ".join(misses)} '
               f'(reported, not failed: timing is noisy)')
    out.append(f'correctness: {"PASS" if ok else "FAIL: the hook reports wrong findings"}')
    print('\n'.join(out), flush=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
