"""Offline demo collection: synthesised, encoded and tagged music for trying tagscape out."""

from tagscape.demo.synth import STYLES, DemoTrack, render_audio, render_demo_collection

__all__ = ["STYLES", "DemoTrack", "render_audio", "render_demo_collection"]
