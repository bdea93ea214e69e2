"""Writes that survive a crash: fsync of files and directories before an atomic rename is trusted.

Bottom layer: standard library only."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file's content, or a directory's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under ``root`` (deepest first), then ``root`` itself."""
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in files:
            fsync_path(Path(folder) / name)
        for name in dirs:
            fsync_path(Path(folder) / name)
    fsync_path(root)


def write_durably(path: Path, data: bytes) -> None:
    """Write ``path`` and fsync it and its directory."""
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    fsync_path(path.parent)
