// The whole view state, and its round trip through the URL's query string.
// Every key here is a URL parameter; values are strings or numbers; '' means "not set".

import { COLOR_MODES } from './colors.js';
import { HIGHLIGHTS, filterValues } from './highlight.js';

export const DEFAULTS = Object.freeze({
  // plot 1
  model: '', layer: 'taggrams', proj: 'pca', x: '0', y: '1', view: '', xexpr: '', yexpr: '',
  // plot 2 (compare)
  compare: 0, model2: '', layer2: 'taggrams', proj2: 'pca', x2: '0', y2: '1', view2: '', xexpr2: '', yexpr2: '',
  // which tracks
  limit: '', sample: 'first', seed: 0, artist: '', album: '', genre: '', tag: '', dmin: '', dmax: '', q: '',
  // how they are drawn and heard
  mode: 'segments', listen: 'hover', color: 'track', ctag: '', hl: '', hlv: '', logx: 0, logy: 0,
  // tag analysis (analysis.js): the open pane, its track, tag, K, model and correlation method
  pane: '', ptrack: '', ptag: '', pk: '20', pmodel: '', pmethod: 'pearson',
  // structure (issue 16): clusters ('' off, or the space they are found in), trust rings on hover
  clusters: '', rings: 0, density: 'auto', preview: 'auto',
});

const NUMBERS = new Set(['compare', 'seed', 'logx', 'logy', 'rings']);
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

// Filters that take several values, separated by | in a filter box and the page's address
// ("rock | jazz": either); the API takes them as a repeated parameter (query() in api.js).
export const MULTI_FILTERS = ['artist', 'album', 'genre', 'tag'];

// The API parameters of the track selection (shared by both plots, so they show the same tracks).
export function selectionParams(state) {
  const out = {};
  if (state.limit !== '' && Number(state.limit) > 0) out.limit = String(Math.floor(Number(state.limit)));
  if (state.sample !== 'first') out.sample = state.sample;
  if (state.seed) out.seed = String(state.seed);
  for (const key of MULTI_FILTERS) {
    const values = filterValues(state[key]);
    if (values.length) out[key] = values.length === 1 ? values[0] : values;
  }
  if (state.q) out.q = state.q;
  if (state.dmin !== '') out.min_duration = String(state.dmin);
  if (state.dmax !== '') out.max_duration = String(state.dmax);
  return out;
}

// The choices a URL may name for each enumerated key; anything else falls back (checkState).
const CHOICES = {
  mode: ['segments', 'trajectories', 'averages'],
  listen: ['hover', 'click', 'off'],
  sample: ['first', 'random'],
  color: COLOR_MODES.map(([value]) => value),
  hl: HIGHLIGHTS.map(([value]) => value),
  pmethod: ['pearson', 'spearman'],
  clusters: ['', 'map', 'layer'],
  density: ['auto', 'on', 'off'],
  preview: ['auto', 'on', 'off'],
};
const NAMES = { color: 'colour', hl: 'highlight', proj: 'projection', proj2: 'projection', model2: 'model', layer2: 'layer', pmethod: 'correlation' };

// A state read from a URL, with every value this collection does not know replaced by its
// default (models and layers by the catalog's), and a short notice for each:
// -> { state, notices: [text] }. An unknown value would otherwise break the map
// (encodeColors of colour 'qq' reads a column that does not exist).
export function checkState(state, catalog, defaultModel) {
  const out = { ...state };
  const notices = [];
  const fall = (key, value, said = value) => {
    notices.push(`Unknown ${NAMES[key] || key} '${out[key]}' in the address: showing ${said === '' ? 'none' : said}.`);
    out[key] = value;
  };
  for (const [key, values] of Object.entries(CHOICES)) {
    if (!values.includes(String(out[key]))) {
      const fallback = DEFAULTS[key];
      fall(key, fallback, key === 'color' ? 'track colours' : fallback);
      if (key === 'hl') out.hlv = '';
    }
  }
  const models = catalog.models.filter((m) => m.extracted);
  const projections = catalog.projections.map((p) => p.id);
  for (const index of [0, 1]) {
    const [modelKey, layerKey, projKey] = ['model', 'layer', 'proj'].map((key) => plotKey(key, index));
    if (out[modelKey] !== '' && !models.some((m) => m.model_id === out[modelKey])) {
      fall(modelKey, index === 0 ? defaultModel : '', index === 0 ? defaultModel : 'another model');
    }
    const model = models.find((m) => m.model_id === (out[modelKey] || defaultModel));
    if (model && !model.layers.some((l) => l.name === out[layerKey])) {
      const layer = model.layers.find((l) => l.name === DEFAULTS[layerKey]) || model.layers[0];
      if (layer) fall(layerKey, layer.name);
    }
    if (!projections.includes(out[projKey])) fall(projKey, DEFAULTS[projKey]);
  }
  return { state: out, notices };
}

// An axis title the way the server words it (projections/maps.py), for a map without points
// (the server then only echoes the axes it was asked for: "0", "1"). k: 0 for x, 1 for y.
export function axisTitle(proj, value, k, labels) {
  const text = String(value);
  const number = /^\d+$/.test(text) ? Number(text) : null;
  if (proj === 'original') return number === null ? text : labels?.[number] ?? `dim ${number}`;
  if (proj === 'pca' || proj === 'std-pca') return number === null ? text : `PC ${number + 1}`;
  return `${proj === 'tsne' ? 't-SNE' : 'UMAP'} ${k + 1}`;
}
