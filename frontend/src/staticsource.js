// The data source of a static export (tagscape export-site, src/tagscape/export_site.py): the
// same calls as api.js's serverSource, answered from files. Every answer the server would give
// was stored under data/<hh>/<hash>.json|bin, <hash> the FNV-1a 64 of the question's canonical
// URL (staticnames.js canonicalURL, the same function as export_site.canonical_url; both are tested
// against frontend/test/static-keys.json). What was not exported is a 404 that says so.

import './staticsource.css';
import { ApiError } from './api.js';
import { el, plural } from './dom.js';
import { Points, decodePoints } from './points.js';
import { answerFile, canonicalURL, similarAnswer, splitURL } from './staticnames.js';

// The parameters of a track selection (state.js selectionParams): a static page has one selection,
// the exported one; filters would need the server.
const SELECTION = ['limit', 'sample', 'seed', 'artist', 'album', 'genre', 'tag', 'q', 'min_duration', 'max_duration'];

function missing(what) {
  return new ApiError(404, { error: 'NotExported', message: `${what} is not part of this static export: a tagscape server over the collection shows it (tagscape serve).` });
}

// The data source of the export at `base` (a URL ending in '/', relative to the page: './').
// fetchFile(path, {signal}) -> a Response of a file of the export, by its path in the folder
// (default: fetched from base; the notebook widget asks the kernel). Reads data/manifest.json first. Besides json() and points() (see serverSource), it offers
//   resolve(url, {signal}): the JSON of an /api/... URL (api.js getJSON sends its URLs here);
//   audioFor(trackId, start, end): {url, seek} of the track's exported audio, or null.
export async function staticSource(base = './', { fetchFile = (path, options) => fetch(`${base}${path}`, options) } = {}) {
  const response = await fetchFile('data/manifest.json');
  if (!response.ok) throw new Error(`this static export has no data/manifest.json (${response.status})`);
  const manifest = await response.json();
  const ignored = manifest.ignored_params || {};

  async function file(path, params, { signal } = {}, what = path) {
    const answer = await fetchFile(answerFile(path, params, ignored), { signal });
    if (answer.status === 404) throw missing(what);
    if (!answer.ok) throw new ApiError(answer.status, { message: `${answer.status} ${answer.statusText}` });
    return answer;
  }

  function checkSelection(params) {
    const asked = SELECTION.filter((name) => name in params && String(params[name]) !== String(manifest.selection[name] ?? ''));
    if (asked.length) throw missing(`A selection of tracks (${asked.join(', ')})`);
    return { ...params, ...manifest.selection };
  }

  async function json(endpoint, asked = {}, options = {}) {
    const path = `/api/${endpoint}`;
    let params = asked;
    if (path === '/api/similar') {
      const body = similarAnswer(await (await file(path, params, options, 'This similarity search')).json(), params);
      if (!body) throw missing('Similar segments of the same track');
      return body;
    }
    if (path === '/api/points' || path === '/api/correlations') params = checkSelection(params);
    return (await file(path, params, options, `The answer to ${canonicalURL(path, params, ignored)}`)).json();
  }

  async function points(params, options = {}) {
    const { value, rank, ...rest } = checkSelection(params);
    const base_ = decodePoints(await (await file('/api/points', rest, options, `The ${params.projection} map of ${params.model} ${params.layer} on axes ${params.x}, ${params.y}`)).arrayBuffer());
    if (value === undefined && rank === undefined) return base_;
    // A tag's activations and ranks were stored once per model and mode, in the maps' point order.
    const key = { model: params.model, mode: params.mode || 'segments' };
    const arrays = { x: base_.x, y: base_.y, track: base_.track, segment: base_.segment, spread: base_.spread };
    const meta = { ...base_.meta };
    if (value !== undefined) {
      arrays.value = new Float32Array(await (await file('/export/value', { ...key, tag: value }, options, `Colour by the tag ${value}`)).arrayBuffer());
      meta.value = { tag: value, model: params.model };
    }
    if (rank !== undefined) {
      arrays.rank = new Uint8Array(await (await file('/export/rank', { ...key, tag: rank }, options, `Highlight by the tag ${rank}`)).arrayBuffer());
      meta.rank = { tag: rank, model: params.model };
    }
    return new Points(meta, arrays);
  }

  return {
    kind: 'static',
    manifest,
    json,
    points,
    resolve(url, options) {
      const { path, params } = splitURL(url);
      return json(path.replace(/^\/api\//, ''), params, options);
    },
    audioFor(trackId, start, end) {
      const span = manifest.audio.tracks[String(trackId)];
      if (!span) return null;
      const [from, to] = span;
      if (start < from || (end ?? start) > to + 0.05) return null;
      return { url: `${base}audio/${encodeURIComponent(String(trackId))}.opus`, seek: true };
    },
  };
}

// What the page says once, above the controls: what this is, and what needs a server.
export function staticNote(manifest) {
  return el('p', { class: 'static-note', id: 'static-note' },
    `A static export of ${plural(manifest.tracks, 'track')} (tagscape ${manifest.tagscape}, ${manifest.made}). `
    + 'Filtering tracks, other maps and axes, and placing your own files need a tagscape server over the collection (tagscape serve).');
}
