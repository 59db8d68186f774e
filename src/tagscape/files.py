"""Derived files: single-flight rebuilds across threads and processes, atomic writes with names
no other writer can share, and caches bounded by size.

Arrays, maps and caches are all rebuilt from the database, by whichever thread or process of
a server (or a CLI command) needs them first. Each rebuild takes an exclusive ``flock`` on a
lock file beside its output: a second builder waits, then finds the output fresh and uses it.
``flock`` locks belong to an open file, so two threads of one process exclude each other as
two processes do. Writers write to a temporary file of their own (``mkstemp``) and publish it
with ``os.replace``; readers therefore see the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: one process at a time (threads are still excluded below)
    fcntl = None

#: Temporary files of writers that died mid-write end like this; a builder holding the lock
#: sweeps those of its output (nobody else can be writing them).
TMP_SUFFIX = ".tmp"

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold the lock named by ``lock_path`` (created if missing) against other threads and processes."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with _thread_locks_guard:
        thread_lock = _thread_locks.setdefault(str(lock_path), threading.Lock())
    with thread_lock:
        if fcntl is None:
            yield
            return
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def temp_path(target: Path) -> Path:
    """A new, empty file beside ``target`` that no other writer shares (``<name>.<random>.tmp``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    os.close(handle)
    return Path(name)


def sweep_temporaries(target: Path) -> int:
    """Remove the temporary files left by writers of ``target`` that died; call with its lock held."""
    removed = 0
    for leftover in target.parent.glob(f"{target.name}.*{TMP_SUFFIX}"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def touch(path: Path) -> None:
    """Mark a cached file as used now (the eviction below keeps recently used files)."""
    try:
        os.utime(path)
    except OSError:
        pass


def evict(folder: Path, *, max_bytes: int, pattern: str = "*") -> int:
    """Remove the least recently used files matching ``pattern`` until the rest fit in
    ``max_bytes``; returns how many were removed. Files in use elsewhere stay readable (POSIX)."""
    entries = []
    for path in folder.glob(pattern):
        if path.name.endswith(TMP_SUFFIX) or path.suffix == ".lock":
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed
