// Talking to the server: JSON helpers and the binary points layout (see /api/openapi.json).
// Everything the explorer reads goes through a data source (serverSource below): today the
// tagscape server; a static export or a notebook widget (issue 18) can stand in for it by
// answering the same two calls.

import { decodePoints } from './points.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.kind = body?.error || 'Error';
  }
}

async function failure(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = { message: `${response.status} ${response.statusText}` };
  }
  return new ApiError(response.status, body);
}

// A data source that answers instead of the server (a static export, a notebook widget), once
// main.js installs it: the modules that still ask getJSON('/api/...') and the player's audio
// (audioFor) are then answered by it, unchanged.
let installed = null;
export function installSource(source) {
  installed = source?.resolve ? source : null;
}

export async function getJSON(url, options = {}) {
  if (installed && url.startsWith('/api/')) return installed.resolve(url, options);
  const response = await fetch(url, options);
  if (!response.ok) throw await failure(response);
  return response.json();
}

export { Points, decodePoints } from './points.js';

// Where the player finds a track's audio: {url, seek}, or null where there is none (a static
// export without audio, or a segment beyond its excerpt). The server cuts a segment's clip
// itself (seek false); a file of the whole track or of its first seconds is seeked into (seek true).
export function audioFor(trackId, start, end) {
  if (installed) return installed.audioFor(trackId, start, end);
  return { url: end === null ? `/api/audio/${trackId}` : `/api/audio/${trackId}?start=${start.toFixed(3)}&end=${end.toFixed(3)}`, seek: false };
}

// A query string of parameters whose values are text or, for a repeated parameter (several
// artists, genres, tags), arrays of text: {genre: ['rock', 'jazz']} -> genre=rock&genre=jazz.
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, String(one));
  }
  return search.toString();
}

// The data source of the tagscape server at `base` (its origin: '').
//   json(endpoint, params, {signal}) -> the JSON answer of GET /api/<endpoint>?<params>
//     (endpoint: 'models', 'facets', 'tag', 'ground-truth', 'correlations', 'correlations/matrix', ...)
//   points(params, {signal}) -> Points (GET /api/points)
// Errors: ApiError with the server's message and status; AbortError when the signal aborts.
export function serverSource(base = '') {
  return {
    kind: 'server',
    async json(endpoint, params = {}, { signal } = {}) {
      const search = query(params);
      return getJSON(`${base}/api/${endpoint}${search ? `?${search}` : ''}`, { signal });
    },
    async points(params, { signal } = {}) {
      const response = await fetch(`${base}/api/points?${query(params)}`, { signal });
      if (!response.ok) throw await failure(response);
      return decodePoints(await response.arrayBuffer());
    },
  };
}
