// Talking to the server: JSON helpers and the binary points layout (see /api/openapi.json).

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.kind = body?.error || 'Error';
  }
}

async function failure(response) {
  let body = null;
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

const DTYPES = { float32: Float32Array, uint32: Uint32Array, uint16: Uint16Array, uint8: Uint8Array, int32: Int32Array };
const MAGIC = 'TSPT';

// Decode the binary layout: 16-byte header, JSON header, then 4-byte-aligned little-endian arrays.
export function decodePoints(buffer) {
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== MAGIC) throw new Error('the server sent something other than points');
  const version = view.getUint32(4, true);
  if (version !== 2) throw new Error(`unknown points layout version ${version} (this page reads 2): reload the page`);
  const headerLength = view.getUint32(12, true);
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 16, headerLength)));
  const arrays = {};
  for (const { name, dtype, offset, count } of meta.arrays) {
    const Type = DTYPES[dtype];
    if (!Type) throw new Error(`unknown dtype ${dtype}`);
    arrays[name] = new Type(buffer, offset, count); // little-endian hosts only (all browsers we support)
  }
  return { meta, ...arrays };
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

export async function fetchPoints(params, { signal } = {}) {
  const response = await fetch(`/api/points?${query(params)}`, { signal });
  if (!response.ok) throw await failure(response);
  return decodePoints(await response.arrayBuffer());
}
