"""Debian packages without installing them: what apt offers, a checked download, an unpacked copy.

Everything goes through the ordinary tools of a Debian or Ubuntu system, run as any user:
``apt-cache show`` says a package's version, size and SHA-256; ``apt-get download`` fetches the
``.deb`` into a folder (no root, nothing installed); ``dpkg-deb -x`` unpacks it. A package that
apt already holds in its own archive cache (``/var/cache/apt/archives``) is copied from there
instead of being downloaded again. Every ``.deb`` is checked against apt's size and SHA-256 before
it is used, also when it comes from a cache.

Layout of the cache folder::

    debs/NAME_VERSION_ARCH.deb      the packages, checked
    packages/NAME_VERSION/          their files (dpkg-deb -x), complete once .complete exists
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tagscape import files
from tagscape.errors import DownloadError

#: The tools this module runs; all three come with every Debian and Ubuntu system.
TOOLS = ("apt-get", "apt-cache", "dpkg-deb")
#: apt's own cache of downloaded packages (``Dir::Cache::archives``), read if present.
APT_ARCHIVES = Path("/var/cache/apt/archives")
#: Seconds a download may take (the largest package of the demo is 210 MB).
DOWNLOAD_TIMEOUT = 1800
#: Seconds ``apt-cache`` may take.
QUERY_TIMEOUT = 60
_COMPLETE = ".complete"


@dataclass(frozen=True)
class PackageInfo:
    """One version of a binary package, as apt describes it."""

    name: str
    version: str
    architecture: str
    size: int  # bytes of the .deb
    sha256: str
    filename: str  # path in the archive, e.g. pool/main/w/wesnoth-1.16/wesnoth-1.16-music_1.16.9-1_all.deb
    homepage: str | None = None

    @property
    def deb_name(self) -> str:
        """The file name apt gives the .deb (an epoch's ':' written as '%3a')."""
        return f"{self.name}_{self.version.replace(':', '%3a')}_{self.architecture}.deb"

    @property
    def key(self) -> str:
        """``NAME_VERSION`` with the epoch's ':' as '%3a': a folder name."""
        return f"{self.name}_{self.version.replace(':', '%3a')}"


def apt_missing() -> str | None:
    """Why packages cannot be fetched here (a tool is missing), or None when they can."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"no {', '.join(missing)} on this machine (not a Debian or Ubuntu system)"
    return None


def _run(args: list[str], *, cwd: Path | None = None, timeout: float = QUERY_TIMEOUT) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C"}
    try:
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError:
        raise DownloadError(f"{args[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise DownloadError(f"{' '.join(args[:3])} took more than {timeout:.0f} s (no network?)") from None


def _last_line(text: str) -> str:
    """apt's last error line, without its ``E:`` and the URL it failed to fetch."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("W:")]
    if not lines:
        return "no message"
    return re.sub(r"^(E:\s*)?(Failed to fetch \S+\s+)?", "", lines[-1]) or lines[-1]


def parse_stanzas(text: str) -> list[dict[str, str]]:
    """The paragraphs of ``apt-cache show`` (RFC 822 style) as dicts; continuation lines joined."""
    stanzas, current, last = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current, last = {}, None
        elif line[0] in " \t" and last:
            current[last] += "\n" + line.strip()
        elif ":" in line:
            last, _, value = line.partition(":")
            current[last] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


def candidate_versions(names: list[str]) -> dict[str, str]:
    """The version ``apt-get download NAME`` would fetch, per package apt offers (``apt-cache policy``)."""
    result = _run(["apt-cache", "policy", *names])
    versions = {}
    for match in re.finditer(r"^(\S+):\n(?:[ \t].*\n)*?\s*Candidate:\s*(\S+)", result.stdout, re.MULTILINE):
        if match.group(2) != "(none)":
            versions[match.group(1)] = match.group(2)
    return versions


def package_infos(names: list[str]) -> dict[str, PackageInfo | str]:
    """What apt says about each package's candidate version, or why it cannot be had (one query for all).

    Returns
    -------
    dict
        name -> :class:`PackageInfo`, or a one-line reason (apt offers no such package: not in
        this distribution, or its package lists are missing: ``apt-get update``).
    """
    versions = candidate_versions(names)
    out: dict[str, PackageInfo | str] = {name: f"apt offers no package {name} (not in this distribution, or run apt-get update)"
                                         for name in names if name not in versions}
    if versions:
        result = _run(["apt-cache", "show", *(f"{name}={version}" for name, version in versions.items())])
        for stanza in parse_stanzas(result.stdout):
            name, version = stanza.get("Package"), stanza.get("Version")
            if name in versions and versions[name] == version and stanza.get("SHA256") and stanza.get("Size") and name not in out:
                out[name] = PackageInfo(name=name, version=version, architecture=stanza.get("Architecture", "all"), size=int(stanza["Size"]),
                                        sha256=stanza["SHA256"].lower(), filename=stanza.get("Filename", ""), homepage=stanza.get("Homepage"))
        for name, version in versions.items():
            out.setdefault(name, f"apt describes {name} {version} without a size and SHA-256")
    return out


def package_info(name: str) -> PackageInfo:
    """What apt says about a package's candidate version.

    Raises
    ------
    DownloadError
        apt offers no such package (or does not describe it fully).
    """
    info = package_infos([name])[name]
    if isinstance(info, str):
        raise DownloadError(info)
    return info


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _matches(path: Path, info: PackageInfo) -> bool:
    try:
        return path.stat().st_size == info.size and sha256_of(path) == info.sha256
    except OSError:
        return False


def fetch(info: PackageInfo, cache_dir: Path, *, apt_archives: Path | None = APT_ARCHIVES) -> Path:
    """The package's ``.deb`` in ``cache_dir/debs``, checked against apt's size and SHA-256.

    Taken from the cache when it is there and intact, else from apt's own archive cache, else
    downloaded with ``apt-get download``. One download per package at a time across processes.

    Raises
    ------
    DownloadError
        apt-get failed (no network, no such version) or the file is not what apt described.
    """
    target = cache_dir / "debs" / info.deb_name
    target.parent.mkdir(parents=True, exist_ok=True)
    with files.exclusive(cache_dir / "locks" / f"{info.key}.lock"):
        if target.is_file() and _matches(target, info):
            return target
        target.unlink(missing_ok=True)
        archived = apt_archives / info.deb_name if apt_archives is not None else None
        if archived is not None and archived.is_file() and _matches(archived, info):
            tmp = files.temp_path(target)
            shutil.copyfile(archived, tmp)
            os.replace(tmp, target)
            return target
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as folder:
            # One retry (apt's default is three, with growing pauses): without a network, say so soon.
            result = _run(["apt-get", "download", "-q", "-o", "Acquire::Retries=1", f"{info.name}={info.version}"], cwd=Path(folder),
                          timeout=DOWNLOAD_TIMEOUT)
            got = sorted(Path(folder).glob("*.deb"))
            if result.returncode != 0 or len(got) != 1:
                raise DownloadError(f"apt-get download {info.name} failed: {_last_line(result.stderr or result.stdout)}")
            size = got[0].stat().st_size
            if size != info.size:
                raise DownloadError(f"{info.name} {info.version}: downloaded {size} bytes, apt says {info.size}")
            digest = sha256_of(got[0])
            if digest != info.sha256:
                raise DownloadError(f"{info.name} {info.version}: SHA-256 {digest} differs from apt's {info.sha256}")
            os.replace(got[0], target)
    return target


def unpack(deb: Path, info: PackageInfo, cache_dir: Path) -> Path:
    """The package's files (``dpkg-deb -x``) in ``cache_dir/packages/NAME_VERSION/``, unpacked once."""
    dest = cache_dir / "packages" / info.key
    if (dest / _COMPLETE).is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with files.exclusive(cache_dir / "locks" / f"{info.key}.lock"):
        if (dest / _COMPLETE).is_file():
            return dest
        shutil.rmtree(dest, ignore_errors=True)  # a half-unpacked folder of a killed run
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{info.key}-") as folder:
            tmp = Path(folder) / "tree"
            result = _run(["dpkg-deb", "-x", str(deb), str(tmp)], timeout=DOWNLOAD_TIMEOUT)
            if result.returncode != 0:
                raise DownloadError(f"dpkg-deb cannot unpack {deb.name}: {_last_line(result.stderr)}")
            (tmp / _COMPLETE).write_text(f"{info.name} {info.version} sha256 {info.sha256}\n")
            os.replace(tmp, dest)
    return dest


def obtain(info: PackageInfo, cache_dir: Path, *, apt_archives: Path | None = APT_ARCHIVES) -> Path:
    """Fetch and check a package (see :func:`fetch`), then unpack it (see :func:`unpack`): its folder."""
    return unpack(fetch(info, cache_dir, apt_archives=apt_archives), info, cache_dir)


def cached_info(deb: Path) -> PackageInfo:
    """A :class:`PackageInfo` read from a ``.deb`` file itself (``dpkg-deb -f``) and its own checksum.

    For a package apt does not describe, such as one built locally: nothing vouches for it but
    the file, so only what it claims about itself is known.
    """
    result = _run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Architecture", "Homepage"])
    if result.returncode != 0:
        raise DownloadError(f"{deb}: not a Debian package ({_last_line(result.stderr)})")
    fields = {stanza_key: value for stanza in parse_stanzas(result.stdout) for stanza_key, value in stanza.items()}
    return PackageInfo(name=fields["Package"], version=fields["Version"], architecture=fields.get("Architecture", "all"),
                       size=deb.stat().st_size, sha256=sha256_of(deb), filename=deb.name, homepage=fields.get("Homepage"))
