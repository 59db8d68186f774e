"""Fitted reducers on disk, signed so that a data folder from someone else cannot run code.

t-SNE and UMAP maps keep their fitted reducer (to place tracks added later) as a pickle, and
unpickling runs whatever the file says. Each file therefore starts with an HMAC-SHA256 of the
pickle under a key that only this user can read (``$XDG_CONFIG_HOME/tagscape/maps.key``, made
on first use with mode 0600). A reducer whose signature does not check out (written by another
user, edited, or from before signing) is never unpickled: the map is refitted instead, or the
caller is told how to refit it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
from pathlib import Path

from tagscape.errors import UntrustedFileError
from tagscape import files

MAGIC = b"TSRD1\n"
KEY_BYTES = 32


def key_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(config) / "tagscape" / "maps.key"


def _key(*, create: bool) -> bytes | None:
    path = key_path()
    try:
        key = path.read_bytes()
        if len(key) == KEY_BYTES:
            return key
    except OSError:
        pass
    if not create:
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(key)
    return key


def dump(obj, path: Path) -> None:
    """Pickle ``obj`` to ``path`` (atomically), signed with this user's key."""
    try:
        key = _key(create=True)
    except FileExistsError:  # another process made it just now
        key = _key(create=False)
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = files.temp_path(path)
    tmp.write_bytes(MAGIC + hmac.new(key, data, hashlib.sha256).digest() + data)
    os.replace(tmp, path)


def load(path: Path):
    """The object in ``path`` if this user's key signed it; otherwise :class:`UntrustedFileError`."""
    blob = path.read_bytes()
    key = _key(create=False)
    header, mac, data = blob[: len(MAGIC)], blob[len(MAGIC) : len(MAGIC) + 32], blob[len(MAGIC) + 32 :]
    if header != MAGIC or key is None or not hmac.compare_digest(mac, hmac.new(key, data, hashlib.sha256).digest()):
        raise UntrustedFileError(
            f"{path.name} was not written by this user's tagscape (no valid signature from {key_path()}), so it is not read: "
            "it could run code. Refit the map with: tagscape project --refit"
        )
    return pickle.loads(data)
