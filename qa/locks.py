"""Advisory file locks (`flock`) that order the processes sharing an index folder.

Writers hold an exclusive lock on one file for the whole build, so two builds
never interleave. Readers hold a shared lock on another while they load, and a
writer removes an old generation only when it can take that lock exclusively,
so no reader ever has a file removed under it. A lock dies with its process:
nothing to clean after a crash.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path, *, wait: bool = True, on_wait: Callable[[], None] | None = None) -> Iterator[bool]:
    """Hold an exclusive lock on `path` (created if needed). When another process
    holds it: with `wait`, call `on_wait` and block until it is free; without,
    yield False. OSError when the lock file cannot be created."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def shared(path: Path) -> Iterator[None]:
    """Hold a shared lock on `path` while reading. A folder nobody can write to
    has no writer to fear, so a lock file that cannot be opened is no lock."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            yield
            return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
