"""tagscape: see and hear what music auto-tagging models have learned.

Python API::

    import tagscape
    result = tagscape.analyze("song.mp3")                 # one file, all four models
    collection = tagscape.open_collection("~/Music")     # an indexed collection
    layer = collection.layer("musicnn-msd", "taggrams")  # all segments, with offsets per track
"""

__version__ = "0.2.0"


def analyze(path, models=None, *, threads=None):
    """Taggrams and embeddings of one audio file (see :func:`tagscape.pipeline.analyze`)."""
    from tagscape.pipeline import analyze as _analyze

    return _analyze(path, models, threads=threads)


def open_collection(path="."):
    """Open an indexed collection (see :func:`tagscape.collection.open_collection`)."""
    from tagscape.collection import open_collection as _open

    return _open(path)


__all__ = ["analyze", "open_collection", "__version__"]
