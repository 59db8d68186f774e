// Colour encodings: categories (track, artist, album, genre) or continuous values (a tag's
// activation, time within the track) become one integer per point, an index into a palette.
// The palette's last entry is the grey of points that a highlight leaves out.

export const CATEGORY_COLORS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22',
];
export const OTHER_COLOR = '#8a8f98';
export const GREY = '#3a3f47';
export const LINE_COLOR = '#c8d0da';
const STEPS = 256;

// Viridis, sampled at 9 stops and interpolated.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function rgbToHex([r, g, b]) {
  return `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

export const GRADIENT = Array.from({ length: STEPS }, (_, i) => {
  const t = (i / (STEPS - 1)) * (VIRIDIS.length - 1);
  const k = Math.min(Math.floor(t), VIRIDIS.length - 2);
  const a = hexToRgb(VIRIDIS[k]);
  const b = hexToRgb(VIRIDIS[k + 1]);
  return rgbToHex(a.map((v, j) => v + (b[j] - v) * (t - k)));
});

export const COLOR_MODES = [
  ['track', 'track'], ['artist', 'artist'], ['album', 'album'], ['genre', 'genre'],
  ['tag', "a tag's activation"], ['time', 'time within the track'],
];

// Categories of a track column, most tracks first (ties by name: the same colours in every mode
// and in both plots); the 19 largest get colours, the rest "other".
function categorical(values) {
  const counts = new Map();
  for (let t = 0; t < values.length; t++) counts.set(values[t], (counts.get(values[t]) || 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  const named = ranked.slice(0, CATEGORY_COLORS.length);
  const index = new Map(named.map(([value], i) => [value, i]));
  const other = ranked.length > named.length ? named.length : -1;
  const trackCode = new Uint16Array(values.length);
  for (let t = 0; t < values.length; t++) trackCode[t] = index.has(values[t]) ? index.get(values[t]) : other;
  const palette = named.map((_, i) => CATEGORY_COLORS[i]);
  const legend = named.map(([value, count], i) => ({ color: CATEGORY_COLORS[i], label: value || '(unknown)', count }));
  if (other >= 0) {
    palette.push(OTHER_COLOR);
    const rest = ranked.slice(named.length);
    legend.push({ color: OTHER_COLOR, label: rest.length === 1 ? '1 other' : `${rest.length} others`, count: rest.reduce((sum, [, c]) => sum + c, 0) });
  }
  return { trackCode, palette, legend };
}

// -> { z: Uint16Array per point, palette: [...colours, GREY], legend: {kind, items|gradient}, trackColor(t) }
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
    if (kind === 'track') {
      const count = tracks.track_id.length;
      trackCode = new Uint16Array(count);
      for (let t = 0; t < count; t++) trackCode[t] = t % CATEGORY_COLORS.length;
      palette = [...CATEGORY_COLORS.slice(0, Math.min(count, CATEGORY_COLORS.length))];
      legend = {
        kind: 'categories',
        title: count > CATEGORY_COLORS.length ? `track (${count} tracks; colours repeat)` : 'track',
        items: tracks.title.slice(0, CATEGORY_COLORS.length).map((title, t) => ({ color: CATEGORY_COLORS[t], label: title || String(tracks.track_id[t]) })),
      };
    } else {
      const coded = categorical(tracks[kind]);
      trackCode = coded.trackCode;
      palette = coded.palette;
      legend = { kind: 'categories', title: kind, items: coded.legend };
    }
    for (let i = 0; i < n; i++) z[i] = trackCode[data.track[i]];
  }
  if (palette.length === 0) palette = [CATEGORY_COLORS[0]];
  const grey = palette.length;
  palette.push(GREY);
  // The colour of a track's line or circle: its category, or a neutral one for continuous values.
  const trackColor = (t) => (trackCode ? palette[trackCode[t]] : LINE_COLOR);
  return { z, palette, grey, legend, trackColor };
}

// What a highlight keeps lives in highlight.js (re-exported for the modules that read it here).
export { HIGHLIGHTS, highlightMask } from './highlight.js';
