// A placed file (POST /api/place) and the maps it lies on, pure (no DOM): which map of the answer
// belongs to which map on screen, and what to tell the user when an upload fails.

// The `maps` entry of POST /api/place for a map on screen: its model, layer, projection and axes
// (the server's own spelling, as /api/points takes them); `ids` for an on-demand map of a subset
// (the map of just those tracks, as on screen).
export function mapSpec(spec, meta = null) {
  const out = { model: spec.model, layer: spec.layer, projection: spec.proj, x: String(spec.x), y: String(spec.y) };
  if (meta?.source === 'on-demand' && meta.tracks?.track_id) out.ids = Array.from(meta.tracks.track_id);
  return out;
}

// Whether an answer's map (or a sent spec) is the map `spec` (as mapSpec gives it).
export function sameMap(a, b) {
  if (!a || !b || a.model !== b.model || a.layer !== b.layer || a.projection !== b.projection) return false;
  // t-SNE and UMAP have no axes to choose; the others are the same map only on the same axes.
  if (a.projection === 'tsne' || a.projection === 'umap') return sameIds(a.ids, b.ids);
  return String(a.x) === String(b.x) && String(a.y) === String(b.y) && sameIds(a.ids, b.ids);
}

function sameIds(a, b) {
  if (!a && !b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}

// For each map on screen (specs), the index of its map in a placement's sent specs, or -1.
export function matchMaps(sent, shown) {
  return shown.map((spec) => sent.findIndex((s) => sameMap(s, spec)));
}

const MB = 1024 * 1024;

export function formatBytes(n) {
  if (n >= MB) return `${(n / MB).toFixed(n >= 10 * MB ? 0 : 1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} kB`;
  return `${n} bytes`;
}

// What to say before sending a file, or '' when it may be sent: nothing to send, or a file
// larger than the server takes (maxBytes; null: unknown, the server will say).
export function checkFile(file, maxBytes = null) {
  const name = displayName(file.name);
  if (!file.size) return `${name} is empty: choose an audio file.`;
  if (maxBytes && file.size > maxBytes) return `${name} is too large (${formatBytes(file.size)}): the server takes files up to ${formatBytes(maxBytes)}.`;
  return '';
}

// A file's name as messages show it: no control characters, at most 120 characters.
export function displayName(name) {
  // eslint-disable-next-line no-control-regex
  const clean = String(name || '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean.length > 120 ? `${clean.slice(0, 117)}…` : clean || 'the file';
}

// What to say when an upload failed: status (0: no answer) and the server's JSON message (which
// names the file itself, when there is one).
export function uploadMessage(status, serverMessage, name, size) {
  const file = displayName(name);
  if (status === 0) return `The upload of ${file} (${formatBytes(size)}) broke off: the server closed the connection (a file larger than it takes, or the server stopped).`;
  const lead = { 413: 'Too large to place', 422: 'Cannot place this file', 409: 'This server is read-only', 503: 'The server is busy placing other files; try again in a moment' }[status];
  if (serverMessage) return `${lead || `Cannot place ${file} (HTTP ${status})`}: ${serverMessage}`;
  if (status === 413) return `${file} is too large (${formatBytes(size)}) for this server.`;
  if (status === 422) return `${file} cannot be placed: it is not audio that the server can read.`;
  return `${lead || `Cannot place ${file} (HTTP ${status})`}.`;
}
