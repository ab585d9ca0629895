"""Writing results: an all-or-nothing output directory and JSON files.

A run writes into a hidden temporary directory beside OUTDIR and renames it into place
only when everything is written, so a failed or interrupted run leaves no partial OUTDIR
and an earlier result stays intact until the new one is complete.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temporaries(outdir: Path) -> None:
    """Remove temporaries of earlier runs of ``outdir`` that were killed (e.g. by SIGKILL)."""
    parent = outdir.parent
    if not parent.is_dir():
        return
    for p in parent.glob(f".{outdir.name}.tmp-*"):
        try:
            pid = int(p.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if not _pid_alive(pid):
            shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def atomic_directory(outdir: Path, comm=None) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``outdir`` when the block succeeds.

    On any exception (KeyboardInterrupt included) the temporary is removed and ``outdir``,
    if it existed, is left as it was. Under MPI, rank 0 does the file-system work.
    """
    outdir = Path(outdir).absolute()
    rank = comm.rank if comm is not None else 0
    tmp = None
    if rank == 0:
        outdir.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temporaries(outdir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-{os.getpid()}-", dir=outdir.parent))
    if comm is not None:
        tmp = comm.bcast(tmp, root=0)
    ok = False
    try:
        yield tmp
        ok = True
    finally:
        if comm is not None:
            ok = comm.allreduce(ok, op=_mpi_land())
        if rank == 0:
            if ok:
                _swap_into_place(tmp, outdir)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        if comm is not None:
            comm.barrier()


def _mpi_land():
    from mpi4py import MPI

    return MPI.LAND


def _swap_into_place(tmp: Path, outdir: Path) -> None:
    os.chmod(tmp, 0o755)
    if outdir.exists():
        old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
        os.replace(outdir, old)
        os.replace(tmp, outdir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, outdir)


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
