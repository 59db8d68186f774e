// Points for the unit tests, built through the binary layout the server sends (its contract is
// written in src/tagscape/web/points.py), so that the tests go through the one decoder.
import { decodePoints } from '../src/points.js';

// Encode a payload by the documented layout: 16-byte header (magic, version, n, header length),
// the JSON header padded to 4 bytes, then the arrays at 4-byte aligned offsets.
export function encodePayload(meta, arrays, { version = 2, magic = 'TSPT' } = {}) {
  const n = arrays.x.length;
  const descriptors = [];
  let headerText = '';
  // the offsets depend on the header's length, which depends on the offsets: settle it in two passes
  for (let pass = 0; pass < 3; pass++) {
    const header = JSON.stringify({ ...meta, arrays: descriptors.length ? descriptors : [] });
    const headerLength = Math.ceil(new TextEncoder().encode(header).length / 4) * 4 + 64;
    descriptors.length = 0;
    let offset = 16 + headerLength;
    for (const [name, typed] of Object.entries(arrays)) {
      const dtype = { Float32Array: 'float32', Uint32Array: 'uint32', Uint8Array: 'uint8' }[typed.constructor.name];
      descriptors.push({ name, dtype, offset, count: typed.length });
      offset += Math.ceil(typed.byteLength / 4) * 4;
    }
    headerText = JSON.stringify({ ...meta, arrays: descriptors });
    if (new TextEncoder().encode(headerText).length <= headerLength) {
      headerText = headerText.padEnd(headerLength, ' ');
      break;
    }
  }
  const headerBytes = new TextEncoder().encode(headerText);
  const last = descriptors[descriptors.length - 1];
  const total = last.offset + Math.ceil(arrays[last.name].byteLength / 4) * 4;
  const buffer = new ArrayBuffer(total);
  const view = new DataView(buffer);
  [...magic].forEach((c, k) => view.setUint8(k, c.charCodeAt(0)));
  view.setUint32(4, version, true);
  view.setUint32(8, n, true);
  view.setUint32(12, headerBytes.length, true);
  new Uint8Array(buffer, 16, headerBytes.length).set(headerBytes);
  for (const d of descriptors) new Uint8Array(buffer, d.offset, arrays[d.name].byteLength).set(new Uint8Array(arrays[d.name].buffer));
  return buffer;
}

// Points of tracks with the given numbers of segments (ids 100, 101, ...), x = point index,
// y = its segment; averages: one point per track with a spread.
export function makePoints({ segments, averages = false, segmentSeconds = 3, ids = null }) {
  const trackIds = ids || segments.map((_, t) => 100 + t);
  const tracks = { track_id: trackIds, title: trackIds.map((id) => `title ${id}`), artist: trackIds.map((id) => `artist ${id % 2}`),
    album: trackIds.map(() => 'album'), genre: trackIds.map((id) => (id % 3 ? 'rock' : 'jazz')), duration: segments.map((s) => s * segmentSeconds), n_segments: segments };
  const track = [];
  const segment = [];
  segments.forEach((count, t) => {
    for (let s = 0; s < (averages ? 1 : count); s++) {
      track.push(t);
      segment.push(s);
    }
  });
  const n = track.length;
  const arrays = { x: Float32Array.from(track, (_, i) => i), y: Float32Array.from(segment), track: Uint32Array.from(track), segment: Uint32Array.from(segment) };
  if (averages) arrays.spread = Float32Array.from(track, (t) => 0.5 + t);
  const meta = { model: 'm', layer: 'taggrams', projection: 'pca', mode: averages ? 'averages' : 'segments', segment_seconds: segmentSeconds,
    axis_labels: ['PC 1', 'PC 2'], tracks, n_points: n };
  return decodePoints(encodePayload(meta, arrays));
}
