// Which points a highlight keeps: artist / album (whole name), genre (any genre of a track's
// genre string), title (contains), a track (its id), a tag of the model (the segments whose top 3
// tags hold it; needs the `rank` array of that tag), or a tag of the track's own (mood,
// instrument, ... : the ids of the tracks that carry it, asked of GET /api/tracks once).
// Text compares in any case; "a | b" keeps either.

import { getJSON, query } from './api.js';
import { splitGenres } from './tracktags.js';

export const HIGHLIGHTS = [['', 'nothing'], ['artist', 'artist'], ['album', 'album'], ['genre', 'genre'], ['title', 'title contains'],
  ['track', 'track'], ['tag', 'tag (in top 3)'], ['own', "track's own tag (mood, instrument…)"]];

// The values of a filter or highlight box: "a | b" is a or b.
export function filterValues(text) {
  return String(text || '').split('|').map((value) => value.trim()).filter(Boolean);
}

const fold = (text) => String(text || '').trim().replace(/\s+/g, ' ').toLocaleLowerCase();

// Track ids carrying an own tag, by highlight value: a Set once loaded, a Promise while loading.
const ownTagged = new Map();
const MAX_KEPT = 20;

// Whether the highlight can be drawn now: 'ready', or 'pending' while the ids of an own-tag
// highlight are on their way (main.js restyles when this changes).
export function highlightStamp(state) {
  if (state.hl !== 'own' || !state.hlv) return 'ready';
  return ownTagged.get(state.hlv) instanceof Set ? 'ready' : 'pending';
}

// Ask the server which tracks carry the own tags of the highlight; then onReady().
export function loadHighlight(state, onReady) {
  if (state.hl !== 'own' || !state.hlv || ownTagged.has(state.hlv)) return;
  const value = state.hlv;
  const loading = getJSON(`/api/tracks?${query({ tag: filterValues(value), fields: 'track_id', page_size: '100000' })}`)
    .then((body) => {
      ownTagged.set(value, new Set(body.tracks.map((t) => t.track_id)));
      if (ownTagged.size > MAX_KEPT) ownTagged.delete(ownTagged.keys().next().value);
      onReady();
    })
    .catch(() => ownTagged.delete(value));
  ownTagged.set(value, loading);
}

export function highlightMask(data, state) {
  if (!state.hl || !state.hlv) return null;
  const n = data.x.length;
  const mask = new Uint8Array(n);
  const tracks = data.meta.tracks;
  if (state.hl === 'tag') {
    if (!data.rank || data.meta.rank?.tag !== state.hlv) return null;
    for (let i = 0; i < n; i++) mask[i] = data.rank[i] < 3 ? 1 : 0;
    return mask;
  }
  const count = tracks.track_id.length;
  const keep = new Uint8Array(count);
  const wanted = filterValues(state.hlv).map(fold);
  if (state.hl === 'track') {
    const id = Number(state.hlv);
    for (let t = 0; t < count; t++) keep[t] = tracks.track_id[t] === id ? 1 : 0;
  } else if (state.hl === 'own') {
    const ids = ownTagged.get(state.hlv);
    if (!(ids instanceof Set)) return null; // not loaded yet: drawn again when it is
    for (let t = 0; t < count; t++) keep[t] = ids.has(tracks.track_id[t]) ? 1 : 0;
  } else if (state.hl === 'title') {
    for (let t = 0; t < count; t++) keep[t] = wanted.some((w) => fold(tracks.title[t]).includes(w)) ? 1 : 0;
  } else if (state.hl === 'genre') {
    const genres = new Set(wanted.flatMap((w) => splitGenres(w).map(fold)));
    for (let t = 0; t < count; t++) keep[t] = splitGenres(tracks.genre[t]).some((g) => genres.has(fold(g))) ? 1 : 0;
  } else {
    const column = tracks[state.hl];
    if (!column) return null;
    const names = new Set(wanted);
    for (let t = 0; t < count; t++) keep[t] = names.has(fold(column[t])) ? 1 : 0;
  }
  for (let i = 0; i < n; i++) mask[i] = keep[data.track[i]];
  return mask;
}
