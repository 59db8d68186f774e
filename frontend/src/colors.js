// Colour encodings: categories (track, artist, album, genre) or continuous values (a tag's
// activation, time within the track) become one integer per point, an index into a palette.
// The palette's last entry is the grey of points that a highlight leaves out.

import { primaryGenres } from './tracktags.js';

export const OTHER_COLOR = '#8a8f98';
export const GREY = '#3a3f47';
export const LINE_COLOR = '#c8d0da';
export const BACKGROUND = '#10151b'; // the map's (plot.js)
const HOVER = '#ffffff'; // regl-scatterplot's hovered and selected points (plot.js)
const ACTIVE = '#ffe14d';
const STEPS = 256;
// Distinct colours generated at most; more categories than this share colours (said in the legend).
export const MAX_CATEGORY_COLORS = 256;

export function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rgbToHex([r, g, b]) {
  return `#${[r, g, b].map((v) => Math.round(Math.max(0, Math.min(255, v))).toString(16).padStart(2, '0')).join('')}`;
}

// -- OKLab (Ottosson 2020): a perceptual space where Euclidean distance tracks how different two
// colours look, and L how light one is. sRGB [0, 255] <-> [L, a, b].

const toLinear = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const toGamma = (c) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);

export function rgbToOklab([r8, g8, b8]) {
  const [r, g, b] = [r8, g8, b8].map((v) => toLinear(v / 255));
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s];
}

// -> [r, g, b] in [0, 255], clipped to the sRGB gamut.
export function oklabToRgb([L, A, B]) {
  const l = (L + 0.3963377774 * A + 0.2158037573 * B) ** 3;
  const m = (L - 0.1055613458 * A - 0.0638541728 * B) ** 3;
  const s = (L - 0.0894841775 * A - 1.291485548 * B) ** 3;
  const linear = [4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s];
  return linear.map((c) => Math.round(255 * toGamma(Math.max(0, Math.min(1, c)))));
}

export function oklabDistance(p, q) {
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

// Category colours must read on the dark map: light enough (OKLab L) and not grey (chroma),
// since grey is the colour of "not highlighted" and "other".
export const CATEGORY_LIGHTNESS = [0.62, 0.93];
const MIN_CHROMA = 0.06;

// The categorical palette, glasbey-style: candidates on a 16-level sRGB grid that read on the
// dark background; each next colour is the candidate farthest (OKLab) from all chosen so far and
// from the background, hover and selection colours. Greedy, so the first k of the sequence are
// the palette of k categories: the sequence is extended only as far as a palette needs (each
// colour costs one pass over about 4,000 candidates; all 256 took about 137 ms).
let greedy = null;

function startSequence() {
  const levels = Array.from({ length: 16 }, (_, i) => i * 17);
  const candidates = [];
  for (const r of levels) {
    for (const g of levels) {
      for (const b of levels) {
        const lab = rgbToOklab([r, g, b]);
        if (lab[0] >= CATEGORY_LIGHTNESS[0] && lab[0] <= CATEGORY_LIGHTNESS[1] && Math.hypot(lab[1], lab[2]) >= MIN_CHROMA) candidates.push({ rgb: [r, g, b], lab });
      }
    }
  }
  const state = { candidates, nearest: new Float64Array(candidates.length).fill(Infinity), colours: [] };
  for (const reserved of [BACKGROUND, GREY, OTHER_COLOR, HOVER, ACTIVE]) keepAway(state, rgbToOklab(hexToRgb(reserved)));
  return state;
}

function keepAway({ candidates, nearest }, lab) {
  for (let c = 0; c < candidates.length; c++) nearest[c] = Math.min(nearest[c], oklabDistance(candidates[c].lab, lab));
}

function categorySequence(n) {
  greedy ||= startSequence();
  const { candidates, nearest, colours } = greedy;
  while (colours.length < Math.min(n, candidates.length)) {
    let best = 0;
    for (let c = 1; c < candidates.length; c++) if (nearest[c] > nearest[best]) best = c;
    colours.push(rgbToHex(candidates[best].rgb));
    keepAway(greedy, candidates[best].lab);
    nearest[best] = -1;
  }
  return colours;
}

// n distinct colours (n <= MAX_CATEGORY_COLORS; more categories reuse them in turn).
export function categoryPalette(n) {
  const k = Math.max(1, Math.min(n, MAX_CATEGORY_COLORS));
  return categorySequence(k).slice(0, k);
}

// The gradient of continuous values: viridis' hues (9 stops), with its lightness moved into
// [0.45, 0.95] (OKLab L) so that its dark purple end still stands out from the dark map, and
// lightness still rises with the value (read as more).
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];
export const GRADIENT_LIGHTNESS = [0.45, 0.95];

function liftedStops() {
  const labs = VIRIDIS.map((hex) => rgbToOklab(hexToRgb(hex)));
  const [l0, l1] = [labs[0][0], labs[labs.length - 1][0]];
  const [g0, g1] = GRADIENT_LIGHTNESS;
  return labs.map(([L, A, B]) => [g0 + ((L - l0) / (l1 - l0)) * (g1 - g0), A, B]);
}

// 256 colours interpolated in OKLab between stops given in OKLab.
function interpolate(stops) {
  return Array.from({ length: STEPS }, (_, i) => {
    const t = (i / (STEPS - 1)) * (stops.length - 1);
    const k = Math.min(Math.floor(t), stops.length - 2);
    return rgbToHex(oklabToRgb(stops[k].map((v, j) => v + (stops[k + 1][j] - v) * (t - k))));
  });
}

// Points on the dark map: the lifted gradient.
export const GRADIENT = interpolate(liftedStops());
// Heatmaps (a track's taggram, tag histograms): viridis as it is, its dark end meaning "quiet"
// against cells that are all lit.
export const VIRIDIS_GRADIENT = interpolate(VIRIDIS.map((hex) => rgbToOklab(hexToRgb(hex))));

export const COLOR_MODES = [
  ['track', 'track'], ['artist', 'artist'], ['album', 'album'], ['genre', 'genre'],
  ['tag', "a tag's activation"], ['time', 'time within the track'],
  // asked of the server about the map (mapcolors.js; the explorer's colours hook draws them)
  ['cluster', 'cluster'], ['trust', 'neighbourhood preservation'],
];

// Categories of a track column, most tracks first (ties by name: the same colours in every mode
// and in both plots, whatever the model). Each gets a colour of a palette sized to their number
// (past MAX_CATEGORY_COLORS, colours are reused in turn; the legend says so).
// values: [n_tracks] -> { trackCode: Uint16Array[n_tracks], palette, items: [{color, label, count}] }
export function categorical(values) {
  const counts = new Map();
  for (let t = 0; t < values.length; t++) counts.set(values[t], (counts.get(values[t]) || 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  const palette = categoryPalette(ranked.length);
  const index = new Map(ranked.map(([value], i) => [value, i % palette.length]));
  const trackCode = new Uint16Array(values.length);
  for (let t = 0; t < values.length; t++) trackCode[t] = index.get(values[t]);
  const items = ranked.map(([value, count], i) => ({ color: palette[i % palette.length], label: value || '(unknown)', count }));
  return { trackCode, palette: [...palette], items };
}

// One colour per track, in track order; count: its segments.
function perTrack(tracks) {
  const count = tracks.track_id.length;
  const palette = categoryPalette(count);
  const trackCode = new Uint16Array(count);
  for (let t = 0; t < count; t++) trackCode[t] = t % palette.length;
  const items = Array.from({ length: count }, (_, t) => ({ color: palette[trackCode[t]], label: tracks.title[t] || String(tracks.track_id[t]), count: tracks.n_segments[t] }));
  return { trackCode, palette: [...palette], items };
}

function categoryTitle(kind, n) {
  const unit = kind === 'track' ? 'segments' : 'tracks';
  const repeat = n > MAX_CATEGORY_COLORS ? `; colours repeat after ${MAX_CATEGORY_COLORS}` : '';
  return { title: `${kind} (${n.toLocaleString()}${repeat})`, unit };
}

// -> { z: Uint16Array per point, palette: [...colours, GREY], grey: its index,
//      legend: {kind: 'gradient', title, low, high} | {kind: 'categories', title, unit, items}, trackColor(t) }
export function encodeColors(data, state) {
  const n = data.x.length;
  const tracks = data.meta.tracks;
  const z = new Uint16Array(n);
  let palette;
  let legend;
  let trackCode = null;
  const kind = state.color;
  if (kind === 'tag' || kind === 'time') {
    palette = [...GRADIENT];
    if (kind === 'tag' && data.value) {
      for (let i = 0; i < n; i++) z[i] = Math.max(0, Math.min(STEPS - 1, Math.round(data.value[i] * (STEPS - 1))));
      legend = { kind: 'gradient', title: `${data.meta.value.tag} (activation)`, low: '0', high: '1' };
    } else if (kind === 'time') {
      const isAverage = data.meta.mode === 'averages';
      for (let i = 0; i < n; i++) {
        const total = tracks.n_segments[data.track[i]];
        z[i] = isAverage || total < 2 ? 0 : Math.round((data.segment[i] / (total - 1)) * (STEPS - 1));
      }
      legend = { kind: 'gradient', title: 'time within the track', low: 'start', high: 'end' };
    } else {
      legend = { kind: 'gradient', title: 'choose a tag to colour by', low: '0', high: '1' };
    }
  } else {
    // a genre string may hold several genres: each track takes its most shared one (tracktags.js)
    const coded = kind === 'track' ? perTrack(tracks) : categorical(kind === 'genre' ? primaryGenres(tracks.genre) : tracks[kind]);
    trackCode = coded.trackCode;
    palette = coded.palette;
    legend = { kind: 'categories', ...categoryTitle(kind, coded.items.length), items: coded.items };
    for (let i = 0; i < n; i++) z[i] = trackCode[data.track[i]];
  }
  const grey = palette.length;
  palette.push(GREY);
  // The colour of a track's line or circle: its category, or a neutral one for continuous values.
  const trackColor = (t) => (trackCode ? palette[trackCode[t]] : LINE_COLOR);
  return { z, palette, grey, legend, trackColor };
}

// What a highlight keeps lives in highlight.js (re-exported for the modules that read it here).
export { HIGHLIGHTS, highlightMask } from './highlight.js';
