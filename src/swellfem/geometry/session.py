"""A quiet gmsh session that gives the process's signal handlers back."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def gmsh_session() -> Iterator[None]:
    """Initialise gmsh (quiet) for the block, and give back the process's signal handlers
    afterwards: gmsh resets SIGTERM/SIGINT (which would skip swellfem's clean-up on Ctrl-C) and SIGPIPE
    (which would end a run whose stdout was closed)."""
    import gmsh

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)}
    initialized_here = not gmsh.isInitialized()
    if initialized_here:
        gmsh.initialize(interruptible=False)
    _restore(saved)
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        yield
    finally:
        if initialized_here:
            gmsh.finalize()
        _restore(saved)


def _restore(handlers: dict) -> None:
    for sig, handler in handlers.items():
        if handler is not None:
            signal.signal(sig, handler)
