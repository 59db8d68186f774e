// The names of a static export's answers (pure: unit-tested in frontend/test/staticnames.test.js
// against the same vectors as src/tagscape/export_site.py, frontend/test/static-keys.json), and
// how a stored answer becomes the one a request asked for.

// RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes (upper case),
// as Python's urllib.parse.quote(safe='-_.~') writes it.
function encode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// The one spelling of a question: path, then its parameters sorted by name then value (a list
// value is a repeated parameter), without those the export ignores (`ignored`: {path: [names]}).
//   canonicalURL('/api/tag', {tag: 'hip hop', model: 'm'}) -> '/api/tag?model=m&tag=hip%20hop'
export function canonicalURL(path, params = {}, ignored = {}) {
  const skip = new Set(ignored[path] || []);
  const pairs = [];
  for (const [name, value] of Object.entries(params)) {
    if (skip.has(name) || value === null || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) pairs.push([encode(String(name)), encode(String(one))]);
  }
  // Sorted by code unit, as Python sorts the (all-ASCII) encoded strings.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.length ? `${path}?${pairs.map(([n, v]) => `${n}=${v}`).join('&')}` : path;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

// FNV-1a 64 of the UTF-8 bytes of text, 16 hex digits. Not cryptographic: a file name (and
// crypto.subtle is missing on plain-http hosts, which are not secure contexts).
export function fnv1a64(text) {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK;
  return h.toString(16).padStart(16, '0');
}

// Where the export keeps an answer, relative to its folder.
export function answerFile(path, params = {}, ignored = {}) {
  const key = fnv1a64(canonicalURL(path, params, ignored));
  const binary = path === '/api/points' || path.startsWith('/export/');
  return `data/${key.slice(0, 2)}/${key}.${binary ? 'bin' : 'json'}`;
}

// '/api/x?a=1&a=2&b=' -> {path: '/api/x', params: {a: ['1', '2'], b: ''}}
export function splitURL(url) {
  const [path, search = ''] = url.split('?', 2);
  const params = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (name in params) params[name] = [].concat(params[name], value);
    else params[name] = value;
  }
  return { path, params };
}

// The similar panel's answer for its k and exclusions, from the stored list (SIMILAR_K neighbours,
// other tracks only, any artist). -> the answer, or null when it asks what was not stored.
export function similarAnswer(stored, params) {
  const k = Math.max(1, Math.floor(Number(params.k) || 10));
  if (params.exclude_track === '0' && params.level !== 'track') return null;
  let results = stored.results;
  if (params.exclude_artist === '1') {
    const artist = stored.query.artist;
    results = results.filter((r) => !artist || r.artist !== artist);
  }
  results = results.slice(0, k).map((r, i) => ({ ...r, rank: i + 1 }));
  return { ...stored, k, excluded: { ...stored.excluded, artist: params.exclude_artist === '1' }, results };
}

