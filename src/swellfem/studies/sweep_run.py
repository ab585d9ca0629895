"""Running a sweep: serially, with ``--jobs N`` worker processes, or under ``mpiexec -n N``,
where rank 0 deals the points out one at a time to whichever rank is free (each point solved
serially); and in shards (``--shard K/N``, e.g. the tasks of a job array, sharing one OUTDIR or
each with its own) that :func:`merge_sweep` collects. See docs/sweeps.md.

Resumable: every point is written all or nothing into ``points/<hash>/`` (``summary.json``
or ``error.json``); a rerun skips points that have a ``summary.json``. The table
``results.csv`` and the plots are rewritten (atomically) at the end of every whole run and
merge (never by a shard), and for a sweep with ``[design]`` (a shell design map) also
``design.md``: which designs no layer is predicted to fail in, and the safe region in one
sentence. The table is built from the point files alone, so serial, parallel and merged runs
give the same ``results.csv``, byte for byte.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import pickle
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import interrupt
from ..formatting import soc_text
from ..results.files import (OutputError, atomic_directory, check_output_dir, read_marker, write_json,
                             write_marker)
from ..results.tables import flatten_stage
from .sweep import Design, Point, SweepSpec, load_sweep, shard_of, shard_points, sweep_identity

EXIT_SOME_FAILED = 4


def solve_point(case_data: dict, point_dir: str) -> dict:
    """Solve one point serially (MPI.COMM_SELF) into ``point_dir``; returns a status dict."""
    from .._backend import MPI
    from ..case import case_from_data
    from .run import solve_case

    t0 = time.perf_counter()
    point_dir = Path(point_dir)
    try:
        case = case_from_data(case_data)
        with atomic_directory(point_dir) as tmp:
            summary = solve_case(case, field_dir=tmp / "fields" if case.output.fields else None,
                                 comm=MPI.COMM_SELF, log=lambda *a, **k: None)
            write_json(tmp / "summary.json", summary)
        return {"status": "ok", "seconds": time.perf_counter() - t0}
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        with atomic_directory(point_dir) as tmp:
            write_json(tmp / "error.json", {"error": message, "traceback": traceback.format_exc()})
        return {"status": "failed", "error": message, "seconds": time.perf_counter() - t0}


def _die_with_parent(parent_pid: int) -> None:
    """A worker ends when the sweep process ``parent_pid`` ends, even by SIGKILL (Linux:
    PR_SET_PDEATHSIG). Compared by PID, so that a parent that is PID 1 (a container without an
    init) is not taken for a dead one."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # not Linux: the pool's own clean-up applies
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _point_status(outdir: Path, p: Point) -> str:
    d = outdir / "points" / p.key
    if (d / "summary.json").exists():
        return "done"
    return "todo"


class Progress:
    """A progress bar with an ETA on a terminal (tqdm), plain log lines otherwise. Thread-safe
    (under MPI, rank 0's dealer thread reports the other ranks' points)."""

    def __init__(self, total: int, done: int, enabled: bool = True):
        self.total, self.done, self.enabled = total, done, enabled
        self.t0 = time.perf_counter()
        self.new = 0
        self.bar = None
        self.lock = threading.Lock()
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="point", dynamic_ncols=True)

    def update(self, label: str, status: dict) -> None:
        with self.lock:
            self._update(label, status)

    def _update(self, label: str, status: dict) -> None:
        self.done += 1
        self.new += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{label} {status['status']}")
            return
        if not self.enabled:
            return
        rate = (time.perf_counter() - self.t0) / self.new
        eta = rate * (self.total - self.done)
        extra = f": {status['error']}" if status["status"] == "failed" else ""
        on = f" on rank {status['rank']}" if "rank" in status else ""
        print(f"[{self.done}/{self.total}] point {label} {status['status']}{on} in {status['seconds']:.1f} s, "
              f"ETA {eta:.0f} s{extra}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_sweep(path: Path, outdir: Path, jobs: int = 1, overrides: list[str] | None = None,
              log=print, progress: bool = True, overwrite: bool = False, shard: tuple[int, int] | None = None,
              loaded: tuple | None = None) -> dict:
    """Run (or resume) the sweep ``path`` into ``outdir``; returns counts of points.

    ``outdir`` is resumed only if it holds this same sweep (its marker names the sweep's
    identity); another sweep's directory is replaced only with ``overwrite``, and a directory
    swellfem did not write never (:func:`swellfem.results.files.check_output_dir`).

    ``shard = (K, N)`` runs only the points of shard K of N (:func:`~.sweep.shard_of`) and
    writes no ``results.csv`` (it would not be the whole sweep): :func:`merge_sweep` builds it
    from the shards. Shards may share one ``outdir`` (also on several machines at once).
    ``loaded``: the sweep as :func:`~.sweep.load_sweep` returned it (not read again)."""
    from .._backend import MPI

    comm = MPI.COMM_WORLD
    spec, points, columns = loaded if loaded is not None else load_sweep(path, overrides)
    outdir = Path(outdir)
    identity = sweep_identity(points, columns)
    if shard is not None and overwrite:
        raise OutputError(f"--overwrite with --shard {shard[0]}/{shard[1]}: shards may share {outdir}, and "
                          "replacing it would delete the other shards' points; remove it or choose another -o")
    _open_outdir(comm, outdir, identity, overwrite, _sweep_record(path, spec, points, overrides))
    mine = points if shard is None else shard_points(points, *shard)
    valid = [p for p in mine if p.case is not None]
    distinct = list({p.key: p for p in valid}.values())  # a repeated case is solved once
    todo = None
    if comm.rank == 0:
        todo = [p.index for p in distinct if _point_status(outdir, p) != "done"]
    todo = [points[i] for i in comm.bcast(todo, root=0)]
    where = f"shard {shard[0]}/{shard[1]}: {len(mine)} of {len(points)} points" if shard else f"{len(points)} points"
    if comm.rank == 0:
        log(f"{spec.name}: {where} ({len(mine) - len(valid)} invalid), "
            f"{len(distinct) - len(todo)} already done, {len(todo)} to run"
            + (f" on {comm.size} MPI ranks" if comm.size > 1 else f" with {jobs} job(s)"))
    bar = Progress(len(distinct), len(distinct) - len(todo), enabled=progress and comm.rank == 0)
    workers = Workers(jobs if comm.size == 1 else 1)  # --jobs N: for the points, then the figures
    try:
        try:
            if comm.size > 1:
                _solve_shared(comm, todo, outdir, bar)
            elif jobs > 1 and len(todo) > 1:
                for key, status in workers.imap_unordered(_solve_task, [
                        (p.key, p.data, str(outdir / "points" / p.key)) for p in todo]):
                    bar.update(key, status)
            else:
                for p in todo:
                    bar.update(p.key, solve_point(p.data, str(outdir / "points" / p.key)))
        finally:
            bar.close()
        counts = {}
        if comm.rank == 0 and shard is None:
            counts = write_results(spec, points, columns, outdir, map_=workers.map)
            log(f"{counts['ok']} points done, {counts['failed']} failed; wrote {outdir}/results.csv")
    finally:
        workers.close()
    if comm.rank == 0 and shard is not None:
        counts = _write_shard_record(outdir, shard, mine)
        log(f"shard {shard[0]}/{shard[1]}: {counts['ok']} points done, {counts['failed']} failed; "
            f"results.csv of the whole sweep: swellfem sweep-merge {path} -o OUTDIR SHARD_DIR...")
    if comm.size > 1:
        _idle_barrier(comm)  # while rank 0 writes the table and plots
    counts = comm.bcast(counts, root=0)
    return counts


def _sweep_record(path: Path, spec: SweepSpec, points: list[Point], overrides: list[str] | None) -> dict:
    """``sweep.json``: the sweep file, its definition, the overrides and every point."""
    return {"sweep_file": str(path), "spec": spec.model_dump(), "overrides": overrides or [],
            "points": [{"index": p.index, "key": p.key, "values": p.values} for p in points]}


def _open_outdir(comm, outdir: Path, identity: str, overwrite: bool, record: dict) -> None:
    """Check, create or resume the sweep directory (rank 0; its error raised on every rank) and
    write ``sweep.json``. Safe for shards that start at once into one directory: it is created
    with its marker in one rename, and ``sweep.json`` replaced atomically."""
    error = None
    if comm.rank == 0:
        try:
            state = check_output_dir(outdir, "sweep", overwrite, identity)
            if state == "replace":
                shutil.rmtree(outdir)
            if state != "resume":
                _create_sweep_dir(outdir, identity, overwrite)
            (outdir / "points").mkdir(exist_ok=True)
            _atomic_json(outdir / "sweep.json", record)
        except OutputError as exc:
            error = exc
    error = comm.bcast(error, root=0)
    if error is not None:
        raise error


def _create_sweep_dir(outdir: Path, identity: str, overwrite: bool) -> None:
    """Make ``outdir`` with its marker and ``points/`` by renaming a temporary beside it into
    place (onto nothing or an empty directory): a concurrent shard sees either no directory or a
    marked one. Where another shard made it first, it must hold this same sweep."""
    outdir = Path(outdir).absolute()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-{os.getpid()}-", dir=outdir.parent))
    try:
        write_marker(tmp, "sweep", identity)
        (tmp / "points").mkdir()
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, outdir)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            check_output_dir(outdir, "sweep", overwrite, identity)  # made meanwhile: this sweep's only
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _solve_task(task: tuple[str, dict, str]) -> tuple[str, dict]:
    key, case_data, point_dir = task
    return key, solve_point(case_data, point_dir)


class WorkerLost(RuntimeError):
    """A worker process of ``--jobs N`` ended in the middle of a task (killed by the system)."""


def _serve(conn, parent_pid: int) -> None:
    """A worker's loop: run each (function, task) that comes through ``conn`` and send back
    (True, result) or (False, the exception); end when the sweep process closes its end."""
    _die_with_parent(parent_pid)
    while True:
        try:
            fn, task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = (True, fn(task))
        except BaseException as exc:  # the sweep process raises it
            reply = (False, exc)
        try:
            conn.send(reply)
        except (TypeError, AttributeError, pickle.PicklingError):  # an exception that does not pickle
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


class Workers:
    """``--jobs N``: up to N worker processes, spawned (once) when first given two or more
    tasks, and kept for the whole sweep: the points, then the figures. One task, or ``N = 1``,
    runs in this process. Each worker has its own pipe, so a worker that dies (the kernel's
    out-of-memory killer, a signal) is seen at once: the map raises :class:`WorkerLost`
    (Python's pool would wait forever for the task that died with it). The workers end with
    :meth:`close`, with the sweep process, and whenever a map is interrupted or fails (before
    its caller removes what they were writing into)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._workers: list = []  # (process, connection)

    def _start(self, count: int) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        while len(self._workers) < count:
            ours, theirs = ctx.Pipe()
            process = ctx.Process(target=_serve, args=(theirs, os.getpid()), daemon=True)
            process.start()
            theirs.close()
            self._workers.append((process, ours))

    def _results(self, fn: Callable, tasks: list, doing: str) -> Iterator[tuple[int, Any]]:
        """(index, ``fn(task)``) of every task, in the order they finish."""
        from multiprocessing.connection import wait

        self._start(min(self.jobs, len(tasks)))
        todo = list(enumerate(tasks))[::-1]
        running: dict = {}  # connection -> (task index, process)
        for process, conn in self._workers:
            if todo:
                index, task = todo.pop()
                self._send(conn, process, (fn, task), doing)
                running[conn] = (index, process)
        while running:
            by_sentinel = {process.sentinel: (conn, process) for conn, (_, process) in running.items()}
            ready = wait([*running, *by_sentinel])
            for conn in [r for r in ready if r in running]:
                index, process = running.pop(conn)
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):  # the worker's end closed: it has gone
                    raise self._lost(process, doing) from None
                if not ok:
                    raise value
                yield index, value
                if todo:
                    index, task = todo.pop()
                    self._send(conn, process, (fn, task), doing)
                    running[conn] = (index, process)
            for sentinel in [r for r in ready if r in by_sentinel]:
                conn, process = by_sentinel[sentinel]
                if conn in running and not conn.poll():  # ended with its task unanswered
                    raise self._lost(process, doing)

    def _send(self, conn, process, message: tuple, doing: str) -> None:
        try:
            conn.send(message)
        except OSError:  # a broken pipe: the worker has gone
            raise self._lost(process, doing) from None

    @staticmethod
    def _lost(process, doing: str) -> WorkerLost:
        interrupt.check()  # a stop asked for ends the workers too: that is the stop, not a loss
        process.join(timeout=1.0)
        return WorkerLost(f"a worker process ended while {doing} (exit code {process.exitcode}: killed by the "
                          "system, perhaps for lack of memory); the points finished so far are kept: run the "
                          "same command again to resume, with fewer --jobs if memory is short")

    def imap_unordered(self, fn: Callable, tasks: list, doing: str = "solving points") -> Iterator:
        """``fn`` of every task, in the order they finish."""
        if self.jobs < 2 or len(tasks) < 2:
            yield from map(fn, tasks)
            return
        try:
            for _, value in self._results(fn, tasks, doing):
                yield value
        except BaseException:
            self.close()
            raise

    def map(self, fn: Callable, tasks: Iterable, doing: str = "drawing the figures") -> list:
        """``fn`` of every task, in order."""
        tasks = list(tasks)
        if self.jobs < 2 or len(tasks) < 2:
            return list(map(fn, tasks))
        out: list = [None] * len(tasks)
        try:
            for index, value in self._results(fn, tasks, doing):
                out[index] = value
        except BaseException:
            self.close()
            raise
        return out

    def close(self) -> None:
        """Stop the workers (a task still running is killed) and wait for them to end."""
        for process, conn in self._workers:
            conn.close()
            if process.is_alive():
                process.kill()
        for process, _ in self._workers:
            process.join()
        self._workers = []


# --- MPI: points dealt out by rank 0 --------------------------------------------------------

#: message tags of the dealer (on a duplicate of COMM_WORLD: no clash with any other message)
_ASK, _GIVE = 11, 12
#: seconds between looks for a message (a dealer that blocks in MPI would spin a core)
_POLL_S = 0.005


def _solve_shared(comm, todo: list[Point], outdir: Path, bar: Progress) -> None:
    """Under ``mpiexec -n N``: rank 0 hands the next point to whichever rank asks (dynamic: a
    rank that finishes early takes more points). Rank 0 answers from a thread and solves points
    itself in between (MPI_THREAD_MULTIPLE; where MPI cannot do threads, rank 0 only deals).
    Each point is solved serially (MPI.COMM_SELF), so the results do not depend on which rank
    solved it. Ends with a barrier on ``comm``. Ranks wait by polling every few milliseconds: a
    blocking MPI wait would spin a core that another rank is solving on."""
    from .._backend import MPI

    deal = comm.Dup()
    try:
        if deal.rank == 0:
            _deal(deal, todo, outdir, bar, threaded=MPI.Query_thread() >= MPI.THREAD_MULTIPLE)
        else:
            _take_dealt(deal, todo, outdir)
    finally:
        deal.Free()
    _idle_barrier(comm)


def _idle_barrier(comm) -> None:
    """A barrier that waits without keeping a core busy (MPICH's blocking waits poll at full
    speed, taking a core from the ranks still working)."""
    request = comm.Ibarrier()
    while not request.Test():
        time.sleep(_POLL_S)


def _deal(comm, todo: list[Point], outdir: Path, bar: Progress, threaded: bool) -> None:
    from .._backend import MPI

    lock = threading.Lock()
    state = {"next": 0}
    stop = threading.Event()
    failure: list[BaseException] = []

    def take() -> int | None:
        with lock:
            i = state["next"]
            if i >= len(todo):
                return None
            state["next"] = i + 1
            return i

    def serve() -> None:
        asking, status = comm.size - 1, MPI.Status()
        try:
            while asking and not stop.is_set():
                if not comm.Iprobe(source=MPI.ANY_SOURCE, tag=_ASK, status=status):
                    time.sleep(_POLL_S)
                    continue
                source = status.Get_source()
                finished = comm.recv(source=source, tag=_ASK)
                if finished is not None:
                    bar.update(*finished)
                i = take()
                comm.send(i, dest=source, tag=_GIVE)
                if i is None:
                    asking -= 1
        except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
            failure.append(exc)

    if not threaded:
        serve()
    else:
        dealer = threading.Thread(target=serve, name="swellfem-sweep-dealer", daemon=True)
        dealer.start()
        try:
            while (i := take()) is not None:
                p = todo[i]
                bar.update(p.key, {**solve_point(p.data, str(outdir / "points" / p.key)), "rank": 0})
        except BaseException:
            stop.set()
            raise
        finally:
            dealer.join()
    if failure:
        raise failure[0]


def _take_dealt(comm, todo: list[Point], outdir: Path) -> None:
    finished = None
    while True:
        comm.send(finished, dest=0, tag=_ASK)
        while not comm.Iprobe(source=0, tag=_GIVE):
            time.sleep(_POLL_S)
        i = comm.recv(source=0, tag=_GIVE)
        if i is None:
            return
        p = todo[i]
        finished = (p.key, {**solve_point(p.data, str(outdir / "points" / p.key)), "rank": comm.rank})


# --- shards and their merge -----------------------------------------------------------------

SHARD_RECORDS = "shards"


def _write_shard_record(outdir: Path, shard: tuple[int, int], mine: list[Point]) -> dict:
    """``shards/K-of-N.json``: which points shard K of N holds and how they ended; returns its
    counts (an invalid point counts as failed, as in a whole run)."""
    ok = [p for p in mine if p.case is not None and (outdir / "points" / p.key / "summary.json").exists()]
    counts = {"points": len(mine), "ok": len(ok), "failed": len(mine) - len(ok)}
    (outdir / SHARD_RECORDS).mkdir(exist_ok=True)
    _atomic_json(outdir / SHARD_RECORDS / f"{shard[0]}-of-{shard[1]}.json",
                 {"shard": shard[0], "of": shard[1], **counts, "keys": list(dict.fromkeys(p.key for p in mine)),
                  "finished_unix_s": time.time()})
    return counts


def _shard_counts(directories: list[Path]) -> set[int]:
    """The shard counts N that the shard records in ``directories`` name."""
    found = set()
    for d in directories:
        for f in (d / SHARD_RECORDS).glob("*-of-*.json"):
            try:
                found.add(int(f.stem.rpartition("-of-")[2]))
            except ValueError:
                pass
    return found


def _result_of(key: str, directories: list[Path]) -> Path | None:
    """The point directory that holds the result of ``key``: the first with a ``summary.json``,
    else the first with an ``error.json`` (a failed point); None where there is neither."""
    for name in ("summary.json", "error.json"):
        for d in directories:
            if (d / "points" / key / name).is_file():
                return d / "points" / key
    return None


def merge_sweep(path: Path, outdir: Path, shard_dirs: list[Path], overrides: list[str] | None = None,
                log=print, overwrite: bool = False, loaded: tuple | None = None) -> dict:
    """Collect the points of sweep shards into ``outdir`` and write ``results.csv``, ``plots/``
    (and ``design.md``) as a whole run of the sweep does: the same table, byte for byte.

    ``shard_dirs`` are the shards' output directories (``outdir`` itself may be one, or hold
    them all). Each must be a result of this same sweep (file and ``--set``); every valid point
    must have a result (``summary.json``, or ``error.json`` for a point that failed) in one of
    them. Otherwise :class:`OutputError` (one line) before anything is written. Point
    directories are hard-linked where possible, else copied, each all or nothing."""
    spec, points, columns = loaded if loaded is not None else load_sweep(path, overrides)
    outdir = Path(outdir)
    identity = sweep_identity(points, columns)
    sources: list[Path] = []
    for d in map(Path, shard_dirs):
        if not d.is_dir():
            raise OutputError(f"shard directory {d}: does not exist or is not a directory")
        marker = read_marker(d)
        if marker is None or marker.get("kind") != "sweep":
            raise OutputError(f"shard directory {d}: is not a sweep result (no swellfem sweep marker)")
        if marker.get("identity") != identity:
            raise OutputError(f"shard directory {d}: holds another sweep's points (another sweep file or other "
                              f"--set values than {path}{' with ' + ' '.join(overrides) if overrides else ''})")
        if d.resolve() != outdir.resolve() and d.resolve() not in [s.resolve() for s in sources]:
            sources.append(d)
    state = check_output_dir(outdir, "sweep", overwrite, identity)
    searched = ([outdir] if state == "resume" else []) + sources
    valid = [p for p in points if p.case is not None]
    found = {p.key: _result_of(p.key, searched) for p in valid}
    missing = [p for p in valid if found[p.key] is None]
    if missing:
        first = missing[0]
        values = ", ".join(f"{_name_unit(c)[0]} = {first.values[c[0]]}" for c in columns)
        counts = _shard_counts(searched)
        which = ""
        if len(counts) == 1:
            n = counts.pop()
            shards = shard_of(points, n)
            which = (f" of shard {shards[first.key]}/{n}; shards without results: "
                     + ", ".join(f"{k}/{n}" for k in sorted({shards[p.key] for p in missing})))
        raise OutputError(f"{len(missing)} of {len(valid)} points have no result in "
                          f"{' or '.join(str(d) for d in searched) or 'no directory'}: e.g. point {first.index} "
                          f"({values}){which}; run (or finish) those shards first (nothing was written)")
    if state == "replace":
        shutil.rmtree(outdir)
    if state != "resume":
        _create_sweep_dir(outdir, identity, overwrite)
    (outdir / "points").mkdir(exist_ok=True)
    _atomic_json(outdir / "sweep.json", _sweep_record(path, spec, points, overrides))
    copied = 0
    for key, src in found.items():
        dst = outdir / "points" / key
        if src.resolve() == dst.resolve() or (src.name == key and _same_result(src, dst)):
            continue
        interrupt.check()
        with atomic_directory(dst) as tmp:
            shutil.copytree(src, tmp, dirs_exist_ok=True, copy_function=_link_or_copy)
        copied += 1
    counts = write_results(spec, points, columns, outdir)
    log(f"{spec.name}: {copied} points from {len(sources)} shard director{'y' if len(sources) == 1 else 'ies'}, "
        f"{len(found) - copied} already in {outdir}; {counts['ok']} points done, {counts['failed']} failed; "
        f"wrote {outdir}/results.csv")
    return counts


def _same_result(src: Path, dst: Path) -> bool:
    """``dst`` already holds the result that ``src`` holds (the same summary or error bytes)."""
    for name in ("summary.json", "error.json"):
        a, b = src / name, dst / name
        if a.is_file():
            return b.is_file() and a.read_bytes() == b.read_bytes()
    return False


def _link_or_copy(src: str, dst: str) -> str:
    """A hard link (results are never changed in place: a point is replaced as a whole), or a
    copy across file systems."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file all or nothing: a temporary file beside it, moved into place (a failed
    write leaves the earlier file and no temporary). The temporary's name carries the host and
    process, so writers on several machines sharing the directory never mix."""
    tmp = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _atomic_json(path: Path, data: dict) -> None:
    """:func:`~swellfem.results.files.write_json`, all or nothing (see :func:`atomic_write_text`)."""
    tmp = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.tmp")
    try:
        write_json(tmp, data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def collect_rows(points: list[Point], columns: list[tuple], outdir: Path) -> tuple[list[str], list[dict]]:
    """One row per point and stage (a failed point: one row with its error)."""
    rows, metric_cols = [], []
    for p in points:
        head = {"point": p.key}
        for key, name, unit in columns:
            from .sweep import column_value

            head[name] = column_value(p.values[key], unit)
        d = outdir / "points" / p.key
        if p.error is not None:
            rows.append({**head, "status": "failed", "error": p.error})
            continue
        if (d / "summary.json").exists():
            summary = json.loads((d / "summary.json").read_text())
            for st in summary["stages"]:
                flat = flatten_stage(st)
                for c in flat:
                    if c not in metric_cols:
                        metric_cols.append(c)
                rows.append({**head, "status": "ok", "error": "", **flat})
        elif (d / "error.json").exists():
            rows.append({**head, "status": "failed", "error": json.loads((d / "error.json").read_text())["error"]})
        else:
            rows.append({**head, "status": "not run", "error": ""})
    cols = ["point", *[name for _, name, _ in columns], "status", "error", *metric_cols]
    return cols, rows


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_results(spec: SweepSpec, points: list[Point], columns: list[tuple], outdir: Path,
                  map_: Callable[[Callable, Iterable], Iterable] = map) -> dict:
    """Write ``results.csv``, ``plots/`` and, for a design map, ``design.md`` (each atomically);
    ``map_`` draws the figures (a worker pool's ``map``: side by side). Returns counts of points."""
    cols, rows = collect_rows(points, columns, outdir)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_fmt(r.get(c)) for c in cols])
    atomic_write_text(outdir / "results.csv", buf.getvalue())
    from ..view.figures import sweep_figures

    metrics, plot_rows, safe = _write_design(spec, columns, rows, outdir)
    with atomic_directory(outdir / "plots") as tmp:
        sweep_figures(spec.name, metrics, columns, plot_rows, tmp, stage=spec.shown_stage, safe=safe, map_=map_)
    ok = sum(1 for p in points if p.error is None and (outdir / "points" / p.key / "summary.json").exists())
    return {"points": len(points), "ok": ok, "failed": len(points) - ok}


def _write_design(spec: SweepSpec, columns: list[tuple], rows: list[dict],
                  outdir: Path) -> tuple[list[str], list[dict], dict[str, bool] | None]:
    """For a design map: write ``design.md`` (atomically) and return what its plots show (the
    largest failure ratio, the failure metrics, then the plot metrics), the rows with
    :data:`~swellfem.view.figures.DESIGN_METRIC`, and which points are safe. Without
    ``[design]``: remove a ``design.md`` an earlier definition left and return the plain plots."""
    from ..view.figures import DESIGN_METRIC, default_sweep_metrics

    if spec.design is None:
        (outdir / "design.md").unlink(missing_ok=True)
        return list(spec.plot_metrics), rows, None
    verdicts = assess_designs(rows, columns, spec.design.failure_metrics)
    atomic_write_text(outdir / "design.md", design_markdown(spec, columns, verdicts))
    metrics = [DESIGN_METRIC, *spec.design.failure_metrics, *(spec.plot_metrics or default_sweep_metrics(rows))]
    return (list(dict.fromkeys(metrics)), with_failure_ratio(rows, spec.design.failure_metrics),
            {v.point: v.safe for v in verdicts})


# --- shell design maps ---------------------------------------------------------------------


def _ratio(row: dict, metric: str) -> float | None:
    """A failure ratio of a row (dimensionless), None where it has no (finite) value."""
    from ..view.figures import metric_value

    return metric_value(row, metric)


@dataclass(frozen=True)
class DesignVerdict:
    """One design (point) of a design map: its parameter values and the largest value of each
    failure metric over its stages, with the SOC of that stage."""

    point: str
    values: dict[str, Any]  # parameter column -> value (in the column's unit)
    status: str  # "ok", "failed" or "not run" (of the point)
    error: str = ""
    worst: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (ratio, SOC); absent: no value

    @property
    def verdict(self) -> str:
        """The verdict: "safe" (no failure metric reaches 1 at any stage), "fails", the point's
        status ("failed", "not run"), or "no data" (no failure metric has a value)."""
        if self.status != "ok":
            return self.status
        if not self.worst:
            return "no data"
        return "fails" if any(ratio >= 1 for ratio, _ in self.worst.values()) else "safe"

    @property
    def safe(self) -> bool:
        return self.verdict == "safe"

    @property
    def governing(self) -> str | None:
        """The failure metric with the largest ratio (the layer closest to failing)."""
        return max(self.worst, key=lambda m: self.worst[m][0]) if self.worst else None


def _worst_of(rows: list[dict], metric: str) -> tuple[float, float] | None:
    """(largest ratio, SOC of its stage) over the stage rows of one point; None without a value."""
    found = [(r, _ratio(r, metric)) for r in rows]
    found = [(value, float(r["soc"])) for r, value in found if value is not None]
    return max(found, key=lambda vs: vs[0]) if found else None


def assess_designs(rows: list[dict], columns: list[tuple], failure_metrics: list[str]) -> list[DesignVerdict]:
    """One verdict per point of the results rows (one row per point and stage, as
    :func:`collect_rows` makes them), in sweep order. A point fails where any failure metric is
    >= 1 at any stage; a metric without a value for a point does not count."""
    by_point: dict[str, list[dict]] = {}
    for r in rows:
        by_point.setdefault(r["point"], []).append(r)
    verdicts = []
    for key, rs in by_point.items():
        ok = [r for r in rs if r.get("status") == "ok"]
        worst = {m: w for m in failure_metrics if (w := _worst_of(ok, m)) is not None}
        verdicts.append(DesignVerdict(point=key, values={name: rs[0][name] for _, name, _ in columns},
                                      status="ok" if ok else rs[0].get("status", "not run"),
                                      error=str(rs[0].get("error") or ""), worst=worst))
    return verdicts


def with_failure_ratio(rows: list[dict], failure_metrics: list[str]) -> list[dict]:
    """Copies of the rows with :data:`swellfem.view.figures.DESIGN_METRIC` (a plot column): the
    largest failure ratio of each stage row (None where no failure metric has a value)."""
    from ..view.figures import DESIGN_METRIC

    out = []
    for r in rows:
        values = [v for m in failure_metrics if (v := _ratio(r, m)) is not None]
        out.append({**r, DESIGN_METRIC: max(values) if values else None} if r.get("status") == "ok" else dict(r))
    return out


def _name_unit(column: tuple) -> tuple[str, str | None]:
    """(parameter name without its unit, unit) of a parameter column (key, name, unit)."""
    _, name, unit = column
    suffix = f" [{unit}]"
    return (name[: -len(suffix)] if unit and name.endswith(suffix) else name), unit


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _swept(values: list[Any]) -> list[Any]:
    """The distinct values, sorted where all are numbers (else in sweep order)."""
    distinct = list(dict.fromkeys(values))
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in distinct)
    return sorted(distinct) if numeric else distinct


def describe_values(column: tuple, swept: list[Any], subset: list[Any]) -> str:
    """A subset of the swept values of a parameter in words: ``i-NMC thickness >= 15 nm``,
    ``<= 10 nm``, ``2–5 nm``, ``= 5, 20 nm`` or ``any i-NMC thickness swept (5–25 nm)``."""
    name, unit = _name_unit(column)
    swept = _swept(swept)
    idx = sorted(swept.index(v) for v in dict.fromkeys(subset))
    tail = f" {unit}" if unit else ""
    lo, hi = _num(swept[idx[0]]), _num(swept[idx[-1]])
    ordered = all(isinstance(v, (int, float)) for v in swept)
    if len(idx) == len(swept) and len(swept) > 1:
        return f"any {name} swept ({lo}–{hi}{tail})" if ordered else f"any {name} swept"
    if len(idx) == 1 or not ordered or idx != list(range(idx[0], idx[-1] + 1)):
        return f"{name} = {', '.join(_num(swept[i]) for i in idx)}{tail}"
    if idx[-1] == len(swept) - 1:
        return f"{name} >= {lo}{tail}"
    if idx[0] == 0:
        return f"{name} <= {hi}{tail}"
    return f"{name} {lo}–{hi}{tail}"


def safe_region_sentence(verdicts: list[DesignVerdict], columns: list[tuple]) -> str:
    """The safe region in one sentence: per value of the other parameters, the values of the
    first parameter at which no layer fails (values with the same safe range merged; with
    three or more parameters, one clause per combination of the third and further), or that
    no design in the swept range is safe."""
    if not any(v.safe for v in verdicts):
        judged = any(v.verdict == "fails" for v in verdicts)
        why = "in every design with a result some layer is predicted to fail" if judged else \
            "no design has a result to judge"
        return f"No safe design in the swept range: {why}."
    if len(columns) <= 2:
        return f"No layer fails for {_safe_clauses(verdicts, columns)} (within the swept values)."
    outer: dict[tuple, list[DesignVerdict]] = {}
    for v in verdicts:
        outer.setdefault(tuple(v.values[c[1]] for c in columns[2:]), []).append(v)
    where = {key: ", ".join(_value_text(c, x) for c, x in zip(columns[2:], key)) for key in outer}
    safe = [f"at {where[k]} for {_safe_clauses(vs, columns[:2])}" for k, vs in outer.items() if any(v.safe for v in vs)]
    none = [where[k] for k, vs in outer.items() if not any(v.safe for v in vs)]
    return (f"Within the swept values, no layer fails {'; '.join(safe)}"
            + (f"; no design is safe at {' or '.join(none)}" if none else "") + ".")


def _safe_clauses(verdicts: list[DesignVerdict], columns: list[tuple]) -> str:
    """``i-NMC thickness >= 15 nm with o-rGO thickness 2–5 nm; ...`` for one or two parameters
    (see :func:`safe_region_sentence`)."""
    first, other = columns[0], columns[1:]
    groups: dict[tuple, list[DesignVerdict]] = {}
    for v in verdicts:
        groups.setdefault(tuple(v.values[c[1]] for c in other), []).append(v)
    merged: dict[str, list[tuple]] = {}
    for key, vs in groups.items():
        safe = [v.values[first[1]] for v in vs if v.safe]
        if safe:
            merged.setdefault(describe_values(first, [v.values[first[1]] for v in vs], safe), []).append(key)
    if not other:
        return "; ".join(merged)
    swept = [k[0] for k in groups]
    return "; ".join(f"{text} with {describe_values(other[0], swept, [k[0] for k in keys])}"
                     for text, keys in merged.items())


def _value_text(column: tuple, value: Any) -> str:
    """``o-rGO porosity = 0.3`` or ``o-rGO thickness = 5 nm``."""
    name, unit = _name_unit(column)
    return f"{name} = {_num(value)}" + (f" {unit}" if unit else "")


def _cell(text: str) -> str:
    """Text for a markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _ratio_text(ratio: float) -> str:
    """A ratio with 3 significant digits, more where rounding would carry it across 1."""
    for digits in (3, 4, 5, 6):
        text = f"{ratio:.{digits}g}"
        if (float(text) >= 1) == (ratio >= 1):
            return text
    return repr(ratio)


def _ratio_cell(worst: tuple[float, float] | None) -> str:
    if worst is None:
        return "–"
    ratio, soc = worst
    value = _ratio_text(ratio)
    return f"{'**' + value + '**' if ratio >= 1 else value} (SOC {soc_text(soc)})"


_VERDICT_TEXT = {"safe": "yes", "fails": "no", "failed": "failed", "not run": "not run", "no data": "no data"}


def design_table(columns: list[tuple], design: Design, verdicts: list[DesignVerdict]) -> list[str]:
    """Markdown table lines: one row per design with its parameters, the largest value of each
    failure metric (with the SOC of its stage), safe yes/no and the governing metric."""
    head = [c[1] for c in columns] + [f"{design.label(m)}: max (SOC)" for m in design.failure_metrics]
    head += ["safe", "governs"]
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    for v in verdicts:
        cells = [_num(v.values[c[1]]) for c in columns]
        cells += [_ratio_cell(v.worst.get(m)) if v.status == "ok" else "–" for m in design.failure_metrics]
        cells += [_VERDICT_TEXT[v.verdict], design.label(v.governing) if v.governing else "–"]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def design_markdown(spec: SweepSpec, columns: list[tuple], verdicts: list[DesignVerdict]) -> str:
    """``design.md`` of a design map: the sweep, its parameters, the failure metrics, the
    count of safe designs, the safe region in one sentence and the table of all designs."""
    design = spec.design
    counts = {k: sum(1 for v in verdicts if v.verdict == k) for k in _VERDICT_TEXT}
    params = [f"- {c[1]}: {', '.join(_num(x) for x in _swept([v.values[c[1]] for v in verdicts]))}" for c in columns]
    metrics = [f"- `{m}`" + (f" ({design.labels[m]})" if m in design.labels else "") for m in design.failure_metrics]
    other = ", ".join(f"{n} {k}" for k, n in counts.items() if n and k not in ("safe", "fails"))
    lines = [f"# Design map: {spec.name}", ""]
    lines += [spec.description, ""] if spec.description else []
    lines += ["Parameters (swept values):", *params, "",
              "Failure metrics (a design is predicted to fail where any of them is >= 1 at any stage; "
              "a metric without a value does not count):", *metrics, "",
              f"**{counts['safe']} of {len(verdicts)} designs are safe** (no layer fails)"
              + (f"; not counted as safe: {other}" if other else "") + ".", "",
              safe_region_sentence(verdicts, columns), "",
              *design_table(columns, design, verdicts)]
    failed = [v for v in verdicts if v.status == "failed"]
    if failed:
        lines += ["", "Failed points:", *[f"- {', '.join(_value_text(c, v.values[c[1]]) for c in columns)}: "
                                         f"{_cell(v.error)}" for v in failed]]
    return "\n".join(lines) + "\n"
