// The whole view state, and its round trip through the URL's query string.
// Every key here is a URL parameter; values are strings or numbers; '' means "not set".

export const DEFAULTS = Object.freeze({
  // plot 1
  model: '', layer: 'taggrams', proj: 'pca', x: '0', y: '1', view: '',
  // plot 2 (compare)
  compare: 0, model2: '', layer2: 'taggrams', proj2: 'pca', x2: '0', y2: '1', view2: '',
  // which tracks
  limit: '', sample: 'first', seed: 0, artist: '', album: '', genre: '', tag: '', dmin: '', dmax: '', q: '',
  // how they are drawn and heard
  mode: 'segments', listen: 'hover', color: 'track', ctag: '', hl: '', hlv: '', logx: 0, logy: 0,
  // tag analysis (analysis.js): the open pane, its track, tag, K, model and correlation method
  pane: '', ptrack: '', ptag: '', pk: '20', pmodel: '', pmethod: 'pearson',
});

const NUMBERS = new Set(['compare', 'seed', 'logx', 'logy']);
export const PLOT_KEYS = ['model', 'layer', 'proj', 'x', 'y', 'view'];

export function plotKey(key, index) {
  return index === 0 ? key : `${key}2`;
}

export function plotSpec(state, index) {
  const spec = {};
  for (const key of PLOT_KEYS) spec[key] = state[plotKey(key, index)];
  return spec;
}

export function fromURL(search = window.location.search) {
  const params = new URLSearchParams(search);
  const state = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    if (!params.has(key)) continue;
    const raw = params.get(key);
    state[key] = NUMBERS.has(key) ? Number(raw) || 0 : raw;
  }
  return state;
}

export function toQuery(state) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    if (!(key in DEFAULTS)) continue;
    if (String(value) === String(DEFAULTS[key]) && key !== 'model') continue;
    if (!state.compare && key.endsWith('2') && key !== 'compare') continue;
    params.set(key, String(value));
  }
  return params.toString();
}

export function writeURL(state) {
  const query = toQuery(state);
  const url = `${window.location.pathname}${query ? `?${query}` : ''}`;
  if (url !== `${window.location.pathname}${window.location.search}`) window.history.replaceState(null, '', url);
}

// The API parameters of the track selection (shared by both plots, so they show the same tracks).
export function selectionParams(state) {
  const out = {};
  if (state.limit !== '' && Number(state.limit) > 0) out.limit = String(Math.floor(Number(state.limit)));
  if (state.sample !== 'first') out.sample = state.sample;
  if (state.seed) out.seed = String(state.seed);
  for (const key of ['artist', 'album', 'genre', 'tag', 'q']) if (state[key]) out[key] = state[key];
  if (state.dmin !== '') out.min_duration = String(state.dmin);
  if (state.dmax !== '') out.max_duration = String(state.dmax);
  return out;
}
