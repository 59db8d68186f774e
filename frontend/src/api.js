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

export async function getJSON(url, options = {}) {
  const response = await fetch(url, options);
  if (!response.ok) throw await failure(response);
  return response.json();
}

export { Points, decodePoints } from './points.js';

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
