"""python-hcl2 in a second process, loaded while this one reads the files (a first run).

Importing python-hcl2 and loading its grammar cost ~0.25 s before the first
block can be parsed, time a first run otherwise spends doing nothing else. So
when the first file that may matter is read and its blocks are not all in the
cache (``warm_up``), one child process is forked: it imports python-hcl2 and
loads its parser on the machine's other CPU while this process goes on reading
and scanning. Each block this process then cannot take from the cache goes to
the child (``hcl.parse`` asks ``parse``), which parses it with the same code
(``hcl.parse``, without cache or worker) and answers with the body in the
cache's JSON form (``cache.dump``: positions relative to the block; this
process writes it as the block's cache entry) or with the ``ParseError``'s
reason, line and column. Blocks known to be needed are sent ahead
(``prefetch``); the one this process waits for goes first.

Never a different result: any other answer (another exception, which must
stay an internal error), a child that could not be forked, died or replied
garbage makes this process parse the block itself, as without a worker. Never
a hang or an orphan: the child exits when its request pipe closes (this
process ended, whichever way), is stopped and reaped when the run ends,
ignores Ctrl-C (this process's to handle) and writes nothing to the terminal.

Only where ``os.fork`` exists, more than one CPU is usable and one is idle
(``idle_cpu``), and python-hcl2 is not loaded here already. ``CHECK_POSTGRESQL_LOG_DISCONNECTIONS_WORKER=0``
never starts it, ``=1`` whenever ``os.fork`` exists (tests, benchmarks).
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from check_postgresql_log_disconnections import syntax as s
    from check_postgresql_log_disconnections.files import Source

ENV = 'CHECK_POSTGRESQL_LOG_DISCONNECTIONS_WORKER'
_SIZE = 9  # every message: kind (1 byte), request number, payload length (4 bytes each, big-endian)
_PARSE, _NOW = 1, 2  # this process -> child: a block to parse (payload: its text); wanted now
_BODY, _ERROR, _OTHER = 1, 2, 3  # child -> this process: cache.dump payload; [reason, line, column]; parse here
_MAX_REPLY = 1 << 28  # a longer reply is garbage
_PROBES = 8  # files that may matter but hold no block to judge the cache by, before giving up
_EARLY = 1 << 18  # characters: a file this long takes >10 ms to split, the worker starts before


def _pack(kind: int, n: int, length: int) -> bytes:
    return bytes((kind,)) + n.to_bytes(4, 'big') + length.to_bytes(4, 'big')


def _unpack(data: bytearray) -> tuple[int, int, int]:
    return data[0], int.from_bytes(data[1:5], 'big'), int.from_bytes(data[5:9], 'big')


class _Gone(Exception):
    """The child cannot answer (ended, or said something that is no answer)."""


class _State:
    child: _Child | None = None
    inside = False  # this process is a worker
    probes = 0
    started = 0  # workers started by this process (tests)


def _wanted() -> bool:
    if _State.inside or not hasattr(os, 'fork'):
        return False
    mode = os.environ.get(ENV, '')
    if mode in ('0', '1'):
        return mode == '1'
    return 'hcl2' not in sys.modules and idle_cpu()  # (python-hcl2 loaded already: nothing to hide)


def idle_cpu() -> bool:
    """Is a CPU this process may use idle, most likely? (On a busy machine the child would take
    this process's CPU and make the run slower.)"""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (macOS)
        cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover
        load = 0.0
    running = running_now()
    if running is not None and running >= cpus:  # a task running for a moment is no load: asked
        import time  # again 1 ms later (one read in eight saw one more task on this idle machine)

        time.sleep(0.001)
        again = running_now()
        running = running if again is None else min(running, again)
    return idle(cpus, running, load)


def idle(cpus: int, running: int | None, load: float) -> bool:
    """``idle_cpu``'s rule. ``running``: the tasks running right now, this process among them (None
    where unknown); ``load``: the one-minute load average, the rule where that is unknown.

    The load average says what the last minute was, and keeps counting tasks that are waiting for
    the disk; a run of the hook just before (a benchmark, another hook) weighs in it for a minute.
    """
    if cpus < 2:
        return False
    if running is not None:
        return running < cpus  # this process and the child, and nothing else wants one of the CPUs
    return load < cpus - 0.5


def running_now() -> int | None:
    """The tasks running or ready to run right now, this one among them (Linux's ``/proc/loadavg``)."""
    try:
        fd = os.open('/proc/loadavg', os.O_RDONLY)
        try:
            data = os.read(fd, 256)
        finally:
            os.close(fd)
        return int(data.split()[3].partition(b'/')[0])
    except (OSError, IndexError, ValueError):
        return None


def warm_up(src: Source, servers: bool) -> bool:
    """A file that may matter was read: start the worker, unless the blocks of it to parse are cached
    (a long file: started before it is split, and stopped if they are).

    True when that is decided (started, cached, or no worker here); False when the file
    has no such block to judge by (ask again with the next file).
    """
    if _State.child is not None or not _wanted():
        return True
    from check_postgresql_log_disconnections import cache, modules

    early = src.kind == 'tf' and len(src.text) > _EARLY
    if early:  # it loads python-hcl2 while this process splits the file, not after
        start()
    texts = modules.likely_parsed(src, servers)
    todo = [t for t in texts if not cache.has(t)]
    if early and not todo:  # (a second run: stopped at once, on the CPU that was idle)
        _end()
    if not texts:
        _State.probes += 1
        return _State.probes >= _PROBES
    if todo:  # a second run over unchanged blocks never waits for a worker
        start()
        prefetch(todo)
    return True


def start() -> None:
    """Fork the worker (when wanted and not running); nothing happens when that fails."""
    if _State.child is not None or not _wanted():
        return
    try:
        down_r, down_w = os.pipe()  # requests
        up_r, up_w = os.pipe()  # answers
    except OSError:
        return
    try:
        for stream in (sys.stdout, sys.stderr):  # (what is buffered here must not be written twice)
            if stream is not None and not stream.closed:
                stream.flush()
        pid = os.fork()
    except (OSError, ValueError):
        for fd in (down_r, down_w, up_r, up_w):
            os.close(fd)
        return
    if pid == 0:  # pragma: no cover (the child: coverage is not measured there)
        try:
            os.close(down_w)
            os.close(up_r)
            _serve(down_r, up_w)
        finally:
            os._exit(0)  # never back into the parent's stack
    os.close(down_r)
    os.close(up_w)
    os.set_blocking(down_w, False)
    _State.child = _Child(pid, up_r, down_w)
    _State.started += 1
    if _State.started == 1:
        import atexit

        atexit.register(stop)


def stop() -> None:
    """End the worker, if one runs (it is reaped before this returns), and forget what this run probed."""
    _State.probes = 0
    _end()


def _end() -> None:
    """End the worker, if one runs: it is reaped before this returns."""
    child, _State.child = _State.child, None
    if child is None:
        return
    import signal

    for fd in (child.rfd, child.wfd):
        os.close(fd)
    try:
        os.kill(child.pid, signal.SIGTERM)
        os.waitpid(child.pid, 0)
    except OSError:  # pragma: no cover
        pass
    from check_postgresql_log_disconnections import cache

    cache.discard_unfinished(cache.PARSER_FILE, child.pid)  # (killed while it kept python-hcl2's parser)


def running() -> bool:
    return _State.child is not None


def prefetch(texts: Sequence[str]) -> None:
    """Blocks about to be parsed: the worker, if one runs, may start on those that are not cached."""
    child = _State.child
    if child is None:
        return
    from check_postgresql_log_disconnections import cache

    for text in texts:
        if not cache.has(text):
            child.ask(text)
    try:
        child.pump(block=False)
    except (_Gone, OSError, ValueError):  # (ValueError: select cannot watch a descriptor above 1023)
        stop()


def parse(text: str, path: str, line: int, offset: int) -> s.Body | None:
    """The worker's parse of ``text`` placed at ``path``:``line`` / ``offset``; None: parse it here.

    Raises ``hcl.ParseError`` as ``hcl.parse`` would.
    """
    child = _State.child
    if child is None:
        return None
    try:
        kind, payload = child.answer(text)
    except (_Gone, OSError, ValueError):
        stop()
        return None
    if kind == _BODY:
        from check_postgresql_log_disconnections import cache

        try:
            body = cache.load(payload, path, line, offset)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            return None
        cache.store(text, payload)  # (here: the child's time is what the run waits for)
        return body
    if kind == _ERROR:
        import json

        from check_postgresql_log_disconnections.hcl import ParseError

        try:
            reason, at, column = json.loads(payload)
        except ValueError:
            return None
        if isinstance(reason, str) and type(at) is int and type(column) is int:
            raise ParseError(reason, line + at - 1, column)
    return None


class _Child:
    """This process's end of the worker: requests queued, sent and answered."""

    def __init__(self, pid: int, rfd: int, wfd: int) -> None:
        self.pid, self.rfd, self.wfd = pid, rfd, wfd
        self.outbox = bytearray()
        self.inbox = bytearray()
        self.numbers: dict[str, int] = {}  # text -> request number (a text is asked once)
        self.answers: dict[int, tuple[int, bytes]] = {}
        self.hurried: set[int] = set()

    def ask(self, text: str) -> int:
        n = self.numbers.get(text)
        if n is None:
            n = self.numbers[text] = len(self.numbers)
            payload = text.encode('utf-8', 'surrogatepass')
            self.outbox += _pack(_PARSE, n, len(payload)) + payload
        return n

    def answer(self, text: str) -> tuple[int, bytes]:
        n = self.ask(text)
        if n not in self.answers and n not in self.hurried:
            self.hurried.add(n)
            self.outbox += _pack(_NOW, n, 0)
        while n not in self.answers:
            self.pump(block=True)
        return self.answers[n]

    def pump(self, block: bool) -> None:
        """Send what is queued, as far as the pipe takes it, and take in the answers that came."""
        import contextlib
        import select

        readable, writable, _ = select.select([self.rfd], [self.wfd] if self.outbox else [], [],
                                              None if block else 0)
        if writable:
            with contextlib.suppress(BlockingIOError):  # (until the pipe is full)
                while self.outbox:
                    del self.outbox[:os.write(self.wfd, self.outbox)]
        if readable:
            data = os.read(self.rfd, 1 << 20)
            if not data:
                raise _Gone('the worker ended')
            self.inbox += data
            self._unpack()

    def _unpack(self) -> None:
        while len(self.inbox) >= _SIZE:
            kind, n, length = _unpack(self.inbox)
            if kind not in (_BODY, _ERROR, _OTHER) or n >= len(self.numbers) or length > _MAX_REPLY:
                raise _Gone('not an answer')
            if len(self.inbox) < _SIZE + length:
                return
            self.answers[n] = (kind, bytes(self.inbox[_SIZE:_SIZE + length]))
            del self.inbox[:_SIZE + length]


def _serve(rfd: int, wfd: int) -> None:  # pragma: no cover (runs in the child)
    """The child: load python-hcl2, then answer requests (the hurried first) until the pipe closes."""
    import contextlib
    import select
    import signal
    from collections import deque

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    _State.inside, _State.child = True, None
    import gc

    gc.freeze()  # what the parent made is never scanned here (nor its pages copied by the scan)
    from check_postgresql_log_disconnections import cache, hcl

    with contextlib.suppress(Exception):  # (python-hcl2 broken: each block then fails, and is parsed there)
        hcl.load_parser()  # imports python-hcl2 and loads its parser (kept in the cache: ``hcl_parser``)
        hcl.parse('x = 1\n', '', column=2)  # the rest of it (column 2: not a block for the cache)
    cache.configure(False, lambda directory: True)  # (the parent writes the entries)
    texts: dict[int, bytes] = {}
    hurried: list[int] = []
    queued: deque[int] = deque()
    inbox = bytearray()
    while True:
        if not (hurried or queued) or select.select([rfd], [], [], 0)[0]:
            data = os.read(rfd, 1 << 20)
            if not data:
                return
            inbox += data
            while len(inbox) >= _SIZE and len(inbox) >= _SIZE + _unpack(inbox)[2]:
                kind, n, length = _unpack(inbox)
                if kind == _PARSE:
                    texts[n] = bytes(inbox[_SIZE:_SIZE + length])
                    queued.append(n)
                else:
                    hurried.append(n)
                del inbox[:_SIZE + length]
            continue
        n = hurried.pop() if hurried else queued.popleft()
        if n in texts:
            request = texts.pop(n)
            kind, payload = _answer(request)
            out = _pack(kind, n, len(payload)) + payload
            while out:
                out = out[os.write(wfd, out):]


def _answer(request: bytes) -> tuple[int, bytes]:  # pragma: no cover (runs in the child)
    import json

    from check_postgresql_log_disconnections import cache, hcl

    text = request.decode('utf-8', 'surrogatepass')
    try:
        return _BODY, cache.dump(hcl.parse(text, '', line=1, offset=0), 1, 0)
    except hcl.ParseError as e:
        return _ERROR, json.dumps([e.reason, e.line, e.column]).encode()
    except Exception:  # a bug of ours (an internal error) or a limit: the parent meets it itself
        return _OTHER, b''
