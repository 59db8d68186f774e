"""tagscape: see and hear what music auto-tagging models have learned.

Python API::

    import tagscape
    result = tagscape.analyze("song.mp3")                 # one file, all four models
    collection = tagscape.open_collection("~/Music")     # an indexed collection
    layer = collection.layer("musicnn-msd", "taggrams")  # all segments, with offsets per track
    w = tagscape.widget(collection, model="musicnn-mtt")  # in Jupyter: a map to hover; w.selection
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


def widget(collection_or_path, **options):
    """A notebook widget of one map, hover-to-sound and ``.selection`` (see :func:`tagscape.notebook.widget`)."""
    from tagscape.notebook import widget as _widget

    return _widget(collection_or_path, **options)


__all__ = ["analyze", "open_collection", "widget", "__version__"]
