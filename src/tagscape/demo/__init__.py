"""The demo collection: real music from Debian packages (:mod:`tagscape.demo.realmusic`), or
synthesised music (:mod:`tagscape.demo.synth`); :func:`tagscape.demo.build.prepare_demo` chooses."""

from tagscape.demo.synth import STYLES, DemoTrack, render_audio, render_demo_collection

__all__ = ["STYLES", "DemoTrack", "render_audio", "render_demo_collection"]
