"""The operator's uploaded files under DATA_DIR/uploads: one folder per upload, written durably,
and folders no live document comes from removed on the next write (after a grace period, so an
upload still being indexed is never touched)."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from assistant.durable import write_durably

GRACE_SECONDS = 3600.0  # far beyond the longest upload (extraction limit + embedding)


class UploadFolder:
    def __init__(self, root: Path):
        self.root = root

    def save(self, name: str, data: bytes) -> Path:
        """Write ``data`` as ``name`` in a new folder of its own; the file is on disk when this returns."""
        folder = self.root / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
        path = folder / name
        write_durably(path, data)
        return path

    def prune(self, live_sources: Iterable[str], grace: float = GRACE_SECONDS, keep: Iterable[Path] = ()) -> list[Path]:
        """Remove upload folders that hold no live document's source and are older than ``grace``
        seconds; returns the folders removed."""
        if not self.root.is_dir():
            return []
        live = {Path(source).resolve().parent for source in live_sources}
        live.update(Path(path).resolve().parent for path in keep)
        cutoff = time.time() - grace
        removed = []
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.resolve() not in live and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        return removed
