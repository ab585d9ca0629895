"""A stop asked for by SIGINT or SIGTERM, remembered until the work reaches a checkpoint.

The command line turns both signals into KeyboardInterrupt at once; a KeyboardInterrupt raised
inside an import lock or a finaliser is swallowed by Python, so long-running steps also call
:func:`check` at safe points (between stages, before a result is moved into place).
"""

_requested = False


def request() -> None:
    """Remember that a stop was asked for."""
    global _requested
    _requested = True


def check() -> None:
    """Raise KeyboardInterrupt if a stop was asked for."""
    if _requested:
        raise KeyboardInterrupt
