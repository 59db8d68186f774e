"""One exception family for tagscape.

Every error a user can cause is a :class:`TagscapeError`. Each subclass carries the HTTP
status the web edge answers with and the exit code the CLI ends with, so the edges need a
single handler each and never show a traceback for a user's mistake.
"""

from __future__ import annotations


class TagscapeError(Exception):
    """Base class: a problem the user can understand and act on."""

    http_status = 500
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message}


class UsageError(TagscapeError):
    """A bad argument or parameter value."""

    http_status = 400
    exit_code = 2


class NotFoundError(TagscapeError):
    """Something named by the user does not exist (a folder, a track, a model)."""

    http_status = 404
    exit_code = 2


class AudioError(TagscapeError):
    """An audio file that cannot be read or decoded. The message names the file."""

    http_status = 422
    exit_code = 1

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class WeightsMissingError(TagscapeError):
    """A model's weights are not installed; the message says how to get them."""

    http_status = 409
    exit_code = 2


class CacheError(TagscapeError):
    """A cache folder tagscape must write to (converted graphs) is not writable."""

    http_status = 500
    exit_code = 1


class CheckpointError(TagscapeError):
    """A checkpoint file that is not in the expected format or lacks a variable."""

    http_status = 500
    exit_code = 2


class CollectionError(TagscapeError):
    """A collection that is missing, empty or never indexed."""

    http_status = 404
    exit_code = 2


class DeviceError(TagscapeError):
    """A device (``--device cuda``) that cannot be used; the message says what to install or check."""

    http_status = 503
    exit_code = 2


class ReadOnlyError(TagscapeError):
    """Something that would have to be written, asked of a collection opened read-only."""

    http_status = 409
    exit_code = 2


class ClusterError(TagscapeError):
    """A Dask scheduler that cannot be reached or that went away during a run."""

    http_status = 503
    exit_code = 1


class MapNotReadyError(TagscapeError):
    """A whole-collection map that only the command line computes (a request's work is bounded)."""

    http_status = 409
    exit_code = 2


class BusyError(TagscapeError):
    """Every slot for on-demand maps stayed busy for too long; asking again later works."""

    http_status = 503
    exit_code = 1


class UntrustedFileError(TagscapeError):
    """A file that would run code when read (a pickled reducer) and that this user did not write."""

    http_status = 409
    exit_code = 2


class DownloadError(TagscapeError):
    """Music that cannot be fetched here: no apt, no network, a package apt does not offer, or a
    download whose size or SHA-256 differs from what apt reports. The message says which."""

    http_status = 503
    exit_code = 1
