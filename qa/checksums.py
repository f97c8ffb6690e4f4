"""SHA-256 of a file, read in blocks: index checksums, letter keys, model provenance.

`VerifiedFiles` remembers the files whose checksum matched, by their size, modification
time and inode, so an index of gigabytes is not read whole at every start and every add:
a file rewritten, truncated or touched since no longer matches its stamp and is hashed again.
The same stamps spare a start reading every letter of the corpus to hash it (`sha256`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

# A file modified less than this long ago is not stamped: a write in the same tick of the
# file system's clock after the check would keep its size and modification time.
SETTLED_S = 2.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class VerifiedFiles:
    """Stamps of files under `root` whose checksums matched, kept in the file `record`."""

    def __init__(self, root: Path, record: Path):
        self.root = root
        self.record = record
        try:
            stamps = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stamps = {}
        self.stamps: dict = stamps if isinstance(stamps, dict) else {}
        self.checked: dict[str, list] = {}

    def matches(self, path: Path, digest: str) -> bool:
        """Whether `path` holds `digest`: hashed unless it is unchanged since it last matched."""
        return self.sha256(path) == digest

    def sha256(self, path: Path) -> str:
        """The SHA-256 of `path`: the stamped one when the file is unchanged since, else read."""
        stat = path.stat()
        key = path.relative_to(self.root).as_posix()
        known = self.checked.get(key) or self.stamps.get(key)
        unchanged = isinstance(known, list) and len(known) == 4 and known[:3] == [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        digest = known[3] if unchanged else file_sha256(path)
        self._stamp(key, stat, [stat.st_size, stat.st_mtime_ns, stat.st_ino, digest])
        return digest

    def carry(self, links: dict[Path, Path]) -> None:
        """Stamp each new hard link (target: source) as its source is stamped: the same inode,
        size and modification time, so the same file. Every other stamp is kept too (a later
        check drops those of files gone), so a link into a new generation is not read again."""
        self.checked = {**self.stamps, **self.checked}
        for target, source in links.items():
            stamp = self.checked.get(source.relative_to(self.root).as_posix())
            stat = target.stat()
            if isinstance(stamp, list) and len(stamp) == 4 and stamp[:3] == [stat.st_size, stat.st_mtime_ns, stat.st_ino]:
                self.checked[target.relative_to(self.root).as_posix()] = stamp

    def _stamp(self, key: str, stat: os.stat_result, stamp: list) -> None:
        if time.time() - stat.st_mtime > SETTLED_S:
            self.checked[key] = stamp

    def save(self) -> None:
        """Keep the stamps of the files checked (only those: stamps of files gone are dropped).
        An index that cannot be written is simply checked in full the next time."""
        if self.checked == self.stamps:
            return
        staging = self.record.with_name(f".{self.record.name}.{os.getpid()}")
        try:
            staging.write_text(json.dumps(self.checked), encoding="utf-8")
            os.replace(staging, self.record)
        except OSError:
            try:
                staging.unlink(missing_ok=True)
            except OSError:  # a read-only file system refuses even that
                pass
