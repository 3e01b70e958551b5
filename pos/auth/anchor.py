"""The audit log's anchor: its newest entry, kept outside the database.

The hash chain shows an entry changed or removed in the middle, but a log whose newest
entries were cut off (or that was emptied) is a shorter chain that verifies by itself.
The anchor is a small file beside the key file holding the number and hash of the newest
entry this till saw committed, with a MAC made with the audit key (so it cannot be
edited to match a cut log without the key file). ``pos audit verify`` checks that the
log still holds that entry with that hash: entries missing after it are reported.

It is written after a transaction that appended to the log has committed: at once for
an entry written by itself (a login, a command), and for entries written inside a larger
transaction (a sale and its ``sale_completed`` entry) when the caller says the
transaction is over (:meth:`pos.db.auth_repositories.AuditRepository.anchor_now`) or at
the next entry, whichever comes first. Scanning appends nothing, so the anchor costs no
fsync while items are scanned; a sale's completion costs one small write and fsync,
after its commit. Entries committed in the window before the anchor is written (a crash
between a commit and its anchor) are not yet protected by it; the anchor is never ahead
of the database, so it never reports a loss that did not happen.

The write is atomic (a temporary file, fsync, rename, fsync of the folder), mode 0600,
and the anchor only moves forward: an older head never replaces a newer one. Several
tills on one machine (PostgreSQL) share the file; each keeps it at the newest entry it
committed, and any entry the anchor names must still be in the log.

A missing anchor (a new install, a copied database, a till that never wrote one) is
reported, not an error: there is then nothing to compare the log's end with.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path


class AnchorError(Exception):
    """The anchor file exists but cannot be trusted (damaged, or its MAC is wrong)."""


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    hash: str


def anchor_file_for(key_file: Path) -> Path:
    """Beside the key file: ``<key file>.anchor``."""
    return key_file.with_name(key_file.name + ".anchor")


def _mac(key: bytes, seq: int, digest: str) -> str:
    body = f"pos-audit-anchor\x1f{seq}\x1f{digest}"
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def read_anchor(path: Path, key: bytes) -> Anchor | None:
    """The anchor, or None if there is no file.

    Raises:
        AnchorError: the file is damaged or was not written with this audit key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorError(f"the audit anchor {path} cannot be read ({exc})") from exc
    try:
        data = json.loads(text)
        seq, digest, mac = int(data["seq"]), str(data["hash"]), str(data["mac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorError(f"the audit anchor {path} is damaged") from exc
    if not hmac.compare_digest(mac, _mac(key, seq, digest)):
        raise AnchorError(
            f"the audit anchor {path} was not written with this key file's audit key "
            "(edited by hand, or left from an earlier key file)"
        )
    return Anchor(seq, digest)


def write_anchor(path: Path, key: bytes, seq: int, digest: str) -> bool:
    """Move the anchor forward to entry ``seq``; False if it already names a newer entry
    (or the same one). Atomic, fsync'd, mode 0600.

    Raises:
        OSError: the file could not be written (the caller logs it: the entry is
            committed whatever happens here).
    """
    try:
        current = read_anchor(path, key)
    except AnchorError:
        current = None  # replaced by a good one
    if current is not None and current.seq >= seq:
        return False
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"seq": seq, "hash": digest, "mac": _mac(key, seq, digest)}, out)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename itself made durable
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return True
