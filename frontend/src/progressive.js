// Progressive loading (issue 16): a large map first shows a representative sample of its points
// (GET /api/points?preview=N, asked beside the whole map) while the whole map is on its way, drawn
// on the map's overlay with the whole map's axes; the whole map replaces it when it is drawn.

import { BACKGROUND, encodeColors, hexToRgb } from './colors.js';
import { Axis } from './scales.js';

export const PREVIEW_POINTS = 50_000;
// How long after the first frame was asked for a whole map that is already here may wait for it:
// decoding and drawing millions of points keeps the page busy for seconds, and a first frame
// that comes a moment after a cached whole map would otherwise be drawn only after it.
export const PREVIEW_WAIT_MS = 2000;
export const PROGRESSIVE_ABOVE = 200_000; // points expected: 'auto' shows a first frame above this
const SEGMENTS_PER_TRACK = 60; // a guess before any map is known: 3-minute tracks of 3-s segments
export const PREVIEW_CHOICES = [['auto', `auto (above ${PROGRESSIVE_ABOVE.toLocaleString('en')} points)`], ['on', 'always'], ['off', 'never']];

// How many points the first frame of a map expected to hold `expected` points should have (0: none).
export function previewSize(setting, expected) {
  if (setting === 'off' || !(expected > 0)) return 0;
  if (setting === 'on') return Math.max(10, Math.min(PREVIEW_POINTS, Math.round(expected / 20)));
  return expected > PROGRESSIVE_ABOVE ? PREVIEW_POINTS : 0;
}

// The points a map of `params` is expected to hold: the plot's last map's, if it was of the same
// kind (points per track do not change with the projection), else a guess from the track count.
export function expectedPoints(params, previous, tracks) {
  const averages = params.mode === 'averages';
  if (previous && previous.model === params.model && (previous.mode === 'averages') === averages && previous.n_points > 0
      && previous.tracks_selected === previous.n_tracks) {
    return previous.n_points;
  }
  const limit = Number(params.limit) > 0 ? Math.min(Number(params.limit), tracks) : tracks;
  return averages ? limit : limit * SEGMENTS_PER_TRACK;
}

// A CSS colour '#rrggbb' as one pixel of an ImageData seen as Uint32 (little-endian: ABGR).
function pixel(color) {
  const [r, g, b] = hexToRgb(color);
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

// Draw a first frame on a plot's overlay, the camera at the whole map (as when a map's points are
// first drawn): axes from the header's bounds, each point a small square in its colour. Drawn as
// one ImageData, not a canvas call per point: 50,000 calls kept a software-rendered page busy
// while the whole map arrived. -> how many points were drawn.
export function drawPreview(ctx, points, state, width) {
  const { bounds } = points.meta;
  const W = ctx.canvas.width;
  const H = ctx.canvas.height;
  const image = ctx.createImageData(W, H);
  const pixels = new Uint32Array(image.data.buffer);
  pixels.fill(pixel(BACKGROUND));
  if (!bounds || !W || !H) {
    ctx.putImageData(image, 0, 0);
    return 0;
  }
  const ax = new Axis(Float32Array.from(bounds.x));
  const ay = new Axis(Float32Array.from(bounds.y));
  let colors;
  try {
    colors = encodeColors(points, state);
  } catch {
    colors = null; // a colour mode the preview cannot know (clusters, preservation): one colour
  }
  const palette = colors ? colors.palette.map(pixel) : [];
  const single = pixel('#9fb3c8');
  const n = points.x.length;
  const scale = W / Math.max(1, width);
  const size = Math.max(1, Math.round((n > 20_000 ? 1.5 : 3) * scale)); // device pixels
  for (let i = 0; i < n; i++) {
    const x0 = Math.round(((ax.toNorm(points.x[i]) + 1) / 2) * W - size / 2);
    const y0 = Math.round(((1 - ay.toNorm(points.y[i])) / 2) * H - size / 2);
    if (!(x0 > -size && y0 > -size && x0 < W && y0 < H)) continue; // off the map (or NaN)
    const value = colors ? palette[colors.z[i]] : single;
    for (let y = Math.max(0, y0); y < Math.min(H, y0 + size); y++) {
      pixels.fill(value, y * W + Math.max(0, x0), y * W + Math.min(W, x0 + size));
    }
  }
  ctx.putImageData(image, 0, 0);
  return n;
}

export class Progressive {
  // source: the data source; client: the page's id; tracks: the collection's track count.
  constructor({ source, client, tracks }) {
    this.source = source;
    this.client = client;
    this.tracks = tracks;
  }

  // The whole map of `params` is being asked for on `plot`: ask for its first frame too, if it is
  // expected to be large. -> {end(), ready()}: end() when the whole map is drawn (or failed);
  // await ready() before drawing a whole map that came first: it resolves once the first frame
  // is drawn, has failed, or PREVIEW_WAIT_MS after it was asked for. A first frame that comes
  // while the whole map is decoded and drawn still shows; once the whole map is drawn, its
  // frame and its line go.
  begin(plot, params, state, { signal } = {}) {
    let ended = false;
    let asked = null;
    let settle = () => {};
    const settled = new Promise((resolve) => {
      settle = resolve;
    });
    const ready = () => {
      if (!asked) return Promise.resolve();
      const left = PREVIEW_WAIT_MS - (performance.now() - asked.asked);
      return left > 0 ? Promise.race([settled, new Promise((resolve) => setTimeout(resolve, left))]) : Promise.resolve();
    };
    const end = () => {
      if (ended) return;
      ended = true;
      if (asked && asked.drawn !== null && plot.preview === asked) {
        if (plot.message.classList.contains('preview')) plot.showDataMessage();
        plot.scheduleOverlay();
      }
    };
    const n = previewSize(state.preview, expectedPoints(params, plot.data?.meta, this.tracks));
    if (!n || this.source.kind !== 'server') return { end, ready };
    plot.preview = { n, asked: performance.now(), drawn: null, points: 0 };
    asked = plot.preview;
    this.source.points({ ...params, preview: n, client: `${this.client}-${plot.index}-preview` }, { signal }).then((points) => {
      if (ended || plot.preview !== asked || !points.meta.preview) return;
      const dpr = window.devicePixelRatio || 1;
      const { width, height } = plot;
      plot.overlay.width = Math.round(width * dpr);
      plot.overlay.height = Math.round(height * dpr);
      const ctx = plot.overlay.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      asked.points = drawPreview(ctx, points, state, width);
      asked.drawn = performance.now();
      asked.of = points.meta.preview.of;
      asked.server = points.meta.server_seconds;
      plot.showMessage(`A first look: ${asked.points.toLocaleString()} of ${asked.of.toLocaleString()} points. Loading the rest…`, 'loading');
      plot.message.classList.add('preview');
    }).catch(() => {}).finally(settle); // no first frame: the whole map still comes
    return { end, ready };
  }
}
