"""Our own copy of every photo, named by its sha256, so evidence survives Telegram's file expiry."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredPhoto:
    path: str  # relative to the store's root
    sha256: str
    size: int


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, suffix: str = ".jpg") -> StoredPhoto:
        digest = hashlib.sha256(data).hexdigest()
        relative = Path(digest[:2]) / f"{digest}{suffix}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            os.replace(tmp, target)  # atomic: a crash never leaves half a photo under its final name
        return StoredPhoto(str(relative), digest, len(data))

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()
