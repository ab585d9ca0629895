"""Output directories that never destroy a user's data, and JSON files.

A command writes into a hidden temporary directory beside OUTDIR and moves it into place only
when everything is written, so a failed or interrupted run leaves no partial OUTDIR. Every
directory swellfem writes carries a marker file (:data:`MARKER`) that says which command wrote
it. Before any work, :func:`check_output_dir` refuses an OUTDIR that is a file, the current
directory (or above it), or a non-empty directory that swellfem did not write; a result of the
same command is replaced only with ``overwrite``. The move into place is an atomic exchange
(Linux ``renameat2(RENAME_EXCHANGE)``) under a lock on the parent directory: a kill at any
moment leaves either the earlier or the new result in OUTDIR, and the next run removes what a
killed run left behind (or puts an earlier result back where it was taken away).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .. import interrupt

#: The file that marks a directory as written by swellfem (and by which command).
MARKER = ".swellfem-output.json"


class OutputError(ValueError):
    """An output directory swellfem may not write; ``str(err)`` is one line naming it."""


def read_marker(directory: Path) -> dict | None:
    """The marker of a swellfem output directory, or None if there is none (or it is broken)."""
    try:
        data = json.loads((Path(directory) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("kind"), str) else None


def write_marker(directory: Path, kind: str, identity: str | None = None) -> None:
    from .. import __version__

    write_json(Path(directory) / MARKER,
               {"written_by": "swellfem", "kind": kind, "identity": identity, "swellfem_version": __version__,
                "created_unix_s": time.time()})


def check_output_dir(outdir: Path, kind: str, overwrite: bool = False, identity: str | None = None) -> str:
    """Whether ``outdir`` may receive a ``kind`` result; raises :class:`OutputError` if not.

    Returns ``"new"`` (absent or empty), ``"resume"`` (a sweep directory of the same
    ``identity``) or ``"replace"`` (an earlier result of the same kind, with ``overwrite``).
    """
    outdir = Path(outdir)
    shown = str(outdir)
    if outdir.is_symlink() and not outdir.exists():
        raise OutputError(f"output directory {shown}: is a broken symbolic link; choose another -o")
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"output directory {shown}: is a file, not a directory; choose another -o (nothing was changed)")
    resolved = outdir.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise OutputError(f"output directory {shown}: is the current directory or one above it; choose a new folder")
    if not outdir.exists() or not any(outdir.iterdir()):
        return "new"
    marker = read_marker(outdir)
    if marker is None:
        raise OutputError(
            f"output directory {shown}: exists and holds files swellfem did not write; choose another -o "
            "(nothing was changed)"
        )
    if kind == "sweep" and marker["kind"] == "sweep" and identity is not None and marker.get("identity") == identity:
        return "resume"
    if marker["kind"] != kind:
        raise OutputError(
            f"output directory {shown}: holds a '{marker['kind']}' result, not a '{kind}' result; choose another -o "
            "(--overwrite replaces only a result of the same command)"
        )
    if not overwrite:
        what = "another sweep's result" if kind == "sweep" else f"an earlier '{kind}' result"
        raise OutputError(f"output directory {shown}: holds {what}; pass --overwrite to replace it, or choose another -o")
    return "replace"


def check_output_dir_on(comm, outdir: Path, kind: str, overwrite: bool = False, identity: str | None = None) -> str:
    """:func:`check_output_dir` on rank 0 of ``comm`` (None: this process), its answer or its
    :class:`OutputError` shared with every rank."""
    state, error = None, None
    if comm is None or comm.rank == 0:
        try:
            state = check_output_dir(outdir, kind, overwrite, identity)
        except OutputError as exc:
            error = exc
    if comm is not None:
        state, error = comm.bcast((state, error), root=0)
    if error is not None:
        raise error
    return state


# --- the atomic move into place ---------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs. A zombie (killed, not yet reaped: common where the
    container's init does not reap orphans) has ended and counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):  # ended meanwhile, or no procfs (not Linux): kill's answer stands
        return not Path("/proc/self/stat").exists()
    return state not in ("Z", "X")


def _pid_of(name: str, prefix: str) -> int | None:
    try:
        return int(name[len(prefix):].split("-", 1)[0])
    except ValueError:
        return None


def clean_stale_temporaries(outdir: Path) -> None:
    """Remove what killed runs of ``outdir`` left beside it: their temporaries, and an earlier
    result set aside for the swap (put back if OUTDIR is missing). Call under :func:`_locked`."""
    parent = outdir.parent
    if not parent.is_dir():
        return
    tmp_prefix, old_prefix = f".{outdir.name}.tmp-", f".{outdir.name}.old-"
    for p in parent.iterdir():
        for prefix in (tmp_prefix, old_prefix):
            if not p.name.startswith(prefix):
                continue
            pid = _pid_of(p.name, prefix)
            if pid is None or _pid_alive(pid):
                continue
            if prefix == old_prefix and not outdir.exists():
                os.replace(p, outdir)  # the swap was cut between its two renames: undo it
            else:
                shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` itself (no lock file is left behind)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_into_place(tmp: Path, outdir: Path) -> None:
    os.chmod(tmp, 0o755)
    if not outdir.exists():
        try:
            os.rename(tmp, outdir)
            return
        except OSError as exc:  # appeared meanwhile
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    if _exchange(tmp, outdir):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the earlier result
        return
    old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
    os.replace(outdir, old)
    os.replace(tmp, outdir)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(outdir: Path, comm=None, kind: str | None = None, overwrite: bool = False,
                     identity: str | None = None) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``outdir`` when the block succeeds.

    With ``kind``, the rules of :func:`check_output_dir` are checked before the block runs (an
    OUTDIR that may not be written fails before any work) and again at the swap (another run
    may have written it meanwhile), and the result is marked as that command's. On any exception (KeyboardInterrupt included) the temporary is removed
    and ``outdir``, if it existed, is left as it was. Under MPI, rank 0 does the file work.
    """
    outdir = Path(outdir).absolute()
    rank = comm.rank if comm is not None else 0
    if kind is not None:
        check_output_dir_on(comm, outdir, kind, overwrite, identity)
    tmp = None
    if rank == 0:
        outdir.parent.mkdir(parents=True, exist_ok=True)
        with _locked(outdir.parent):
            clean_stale_temporaries(outdir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-{os.getpid()}-", dir=outdir.parent))
    if comm is not None:
        tmp = comm.bcast(tmp, root=0)
    ok = False
    error = None
    try:
        yield tmp
        ok = True
    finally:
        if comm is not None:
            ok = comm.allreduce(ok, op=_mpi_land())
        if rank == 0:
            try:
                if ok:
                    interrupt.check()  # a stop asked for while the block ran: keep the earlier result
                    if kind is not None:
                        write_marker(tmp, kind, identity)
                    with _locked(outdir.parent):
                        if kind is not None:
                            check_output_dir(outdir, kind, overwrite, identity)
                        _swap_into_place(tmp, outdir)
            except OutputError as exc:
                error = exc
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        if comm is not None:
            error = comm.bcast(error, root=0)
            comm.barrier()
    if error is not None:
        raise error


def _mpi_land():
    from mpi4py import MPI

    return MPI.LAND


def _clean(obj):
    """JSON-safe: non-finite floats become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(_clean(data), indent=2) + "\n", encoding="utf-8")
