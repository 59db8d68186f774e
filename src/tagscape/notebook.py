"""``tagscape.widget()``: a map of a collection inside a Jupyter notebook (anywidget).

(This module is not called ``widget``: importing it would replace the function ``tagscape.widget``.)

The widget shows one map (model, layer, projection, mode) of a static export of the collection
(:func:`tagscape.export_site.export_site`, made into a temporary folder unless one is given),
plays each point's segment on hover, and hands a lasso selection back to Python as
:attr:`MapWidget.selection`.

Its front end (``frontend/src/widget.js``, built into ``web/static/dist/widget.js``) reads the
export's files through the widget's own channel to the kernel: it sends ``{"type": "file", "id",
"path"}`` and :meth:`MapWidget.answer` replies with the file's bytes as a binary buffer. Unlike a
local web server, that channel reaches the browser wherever the notebook runs (a remote hub,
VS Code, a container), and the export's folder never needs to be served.

Needs the ``widget`` extra: ``pip install 'tagscape[widget]'``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tagscape.errors import UsageError

#: The built front end of the widget (``make frontend``; its own folder, which the explorer's build
#: does not empty).
BUNDLE = Path(__file__).parent / "web" / "static" / "widget" / "widget.js"
#: The largest file the widget sends in one message (an Opus file of a whole long track is larger:
#: export clips for a notebook).
MAX_FILE_BYTES = 64 << 20

try:
    import anywidget
    import traitlets
except ImportError:  # the widget extra is not installed: widget() says what to install
    anywidget = traitlets = None


def _site_file(site: Path, path: object) -> Path | None:
    """The file of the export that ``path`` names, or None for anything outside it or absent."""
    if not isinstance(path, str) or not path or len(path) > 300 or "\\" in path or path.startswith("/"):
        return None
    target = (site / path).resolve()
    if site not in target.parents or not target.is_file():
        return None
    return target


if anywidget is not None:

    class MapWidget(anywidget.AnyWidget):
        """One map of a static export, with hover-to-sound and a lasso selection.

        Attributes
        ----------
        view : dict
            ``{"model", "layer", "projection", "mode"}``; setting it redraws the map.
        selection : list of dict
            The points last selected with the lasso (shift+drag) or box: ``{"track_id": int,
            "segment": int | None}`` (``None`` for a track average), in the map's order.
        status : str
            What the map last did (``"N points"`` or ``"error: ..."``).
        """

        @property
        def _esm(self) -> str:
            # Read when a widget is made (anywidget would read a path when the class is defined:
            # an import error where the front end is not built).
            return BUNDLE.read_text(encoding="utf-8")

        view = traitlets.Dict().tag(sync=True)
        selection = traitlets.List().tag(sync=True)
        status = traitlets.Unicode("").tag(sync=True)
        height = traitlets.Int(520).tag(sync=True)

        def __init__(self, site: str | os.PathLike, **kwargs):
            super().__init__(**kwargs)
            self.site = Path(site).resolve()
            self.on_msg(self._on_message)

        @property
        def track_ids(self) -> list[int]:
            """The distinct tracks of :attr:`selection`, in order."""
            return list(dict.fromkeys(point["track_id"] for point in self.selection))

        def answer(self, content: dict) -> tuple[dict, list[bytes]]:
            """The reply to a front end's message: ``({"type": "file", "id", "status"}, [bytes])``
            for a file of the export (status 404, no buffer, for anything else)."""
            reply = {"type": "file", "id": content.get("id"), "status": 404}
            target = _site_file(self.site, content.get("path"))
            if target is None or target.stat().st_size > MAX_FILE_BYTES:
                return reply, []
            return {**reply, "status": 200}, [target.read_bytes()]

        def _on_message(self, widget, content, buffers):
            if isinstance(content, dict) and content.get("type") == "file":
                reply, data = self.answer(content)
                self.send(reply, data)
else:  # pragma: no cover - exercised only without the extra
    MapWidget = None


def widget(collection_or_path, *, model: str = "musicnn-mtt", layer: str = "taggrams", projection: str = "pca", mode: str = "segments",
           site: str | os.PathLike | None = None, tracks: int | None = None, audio: str = "clips", bitrate: int = 48, height: int = 520):
    """A notebook widget showing one map of a collection, hover-to-sound and a readable selection.

    Parameters
    ----------
    collection_or_path : Collection or path
        An opened collection (its folder is used) or a collection's folder.
    model, layer, projection, mode : str
        The map shown first (``mode``: ``segments``, ``trajectories`` or ``averages``); change
        it later with ``w.view = {...}``.
    site : path, optional
        A folder exported before (``tagscape export-site``) to show instead of exporting now.
    tracks, audio, bitrate
        Passed to :func:`tagscape.export_site.export_site` when exporting (only this model,
        layer and projection, into a temporary folder kept for the session).

    Returns
    -------
    MapWidget
        Display it (last expression of a cell); ``w.selection`` holds the lasso's points.
    """
    if MapWidget is None:
        raise UsageError("the notebook widget needs anywidget: pip install 'tagscape[widget]'")
    if not BUNDLE.is_file():
        raise UsageError("the widget's JavaScript is not built: run make frontend (npm ci && npm run build in frontend/)")
    if mode not in ("segments", "trajectories", "averages"):
        raise UsageError(f"mode is segments, trajectories or averages, not {mode!r}")
    if site is None:
        from tagscape.export_site import export_site

        folder = getattr(collection_or_path, "data_dir", None) or collection_or_path
        site = Path(tempfile.mkdtemp(prefix="tagscape-widget-")) / "site"
        export_site(collection_dir=folder, out=site, models=[model], layers=(layer,), projections=(projection,), tracks=tracks,
                    audio=audio, bitrate=bitrate)
    return MapWidget(site, view={"model": model, "layer": layer, "projection": projection, "mode": mode}, height=height)
