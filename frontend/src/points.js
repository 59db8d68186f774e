// The points of one map, as every module reads them: decoded once from the binary payload of
// GET /api/points (decodePoints), never by hand. The layout is written down in
// src/tagscape/web/points.py; this is its one reader in the explorer.

const DTYPES = { float32: Float32Array, uint32: Uint32Array, uint16: Uint16Array, uint8: Uint8Array, int32: Int32Array };
const MAGIC = 'TSPT';
export const LAYOUT_VERSION = 2;

// A map's points: n of them, track after track, each track's segments in time order.
//   x, y: Float32Array[n] (the map's coordinates); track: Uint32Array[n] (index into tracks);
//   segment: Uint32Array[n] (index within its track; 0 for averages);
//   spread: Float32Array[n] | null (averages: RMS distance of the track's segments to their mean);
//   value: Float32Array[n] | null (a tag's activation); rank: Uint8Array[n] | null (a tag's rank);
//   tracks: columns of the tracks (track_id, title, artist, album, genre, duration, n_segments);
//   meta: the whole JSON header (model, layer, projection, mode, axis_labels, ...).
export class Points {
  constructor(meta, arrays) {
    this.meta = meta;
    this.tracks = meta.tracks;
    this.x = arrays.x;
    this.y = arrays.y;
    this.track = arrays.track;
    this.segment = arrays.segment;
    this.spread = arrays.spread ?? null;
    this.value = arrays.value ?? null;
    this.rank = arrays.rank ?? null;
    this.averages = meta.mode === 'averages';
    this.segmentSeconds = meta.segment_seconds;
    const count = this.tracks.track_id.length;
    this.trackIndex = new Map(this.tracks.track_id.map((id, t) => [id, t]));
    // trackStart[t]..trackStart[t + 1] - 1: the points of track t
    this.trackStart = new Uint32Array(count + 1);
    for (let t = 0; t < count; t++) this.trackStart[t + 1] = this.trackStart[t] + (this.averages ? 1 : this.tracks.n_segments[t]);
  }

  get length() {
    return this.x.length;
  }

  trackIdOf(i) {
    return this.tracks.track_id[this.track[i]];
  }

  // The segment of point i within its track, or null for a track average.
  segmentOf(i) {
    return this.averages ? null : this.segment[i];
  }

  // What point i is: its track's metadata, segment and time span in seconds (end null: the whole track).
  info(i) {
    const t = this.track[i];
    const out = { trackId: this.tracks.track_id[t], title: this.tracks.title[t], artist: this.tracks.artist[t], album: this.tracks.album[t] };
    if (this.averages) return { ...out, segment: null, start: 0, end: null };
    const segment = this.segment[i];
    return { ...out, segment, start: segment * this.segmentSeconds, end: (segment + 1) * this.segmentSeconds };
  }

  // The point of a track's segment (for averages: of the track), or -1.
  indexOf(trackId, segment) {
    const t = this.trackIndex.get(trackId);
    if (t === undefined) return -1;
    if (this.averages) return t;
    if (!(segment >= 0) || segment >= this.tracks.n_segments[t]) return -1;
    return this.trackStart[t] + segment;
  }
}

// The binary payload (an ArrayBuffer) -> Points. 16-byte header, JSON header, then 4-byte-aligned
// little-endian arrays. Throws an Error that says what is wrong with a payload it cannot read.
export function decodePoints(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 16) throw new Error('the server sent something other than points');
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== MAGIC) throw new Error('the server sent something other than points');
  const version = view.getUint32(4, true);
  if (version !== LAYOUT_VERSION) throw new Error(`unknown points layout version ${version} (this page reads ${LAYOUT_VERSION}): reload the page`);
  const headerLength = view.getUint32(12, true);
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 16, headerLength)));
  const arrays = {};
  for (const { name, dtype, offset, count } of meta.arrays) {
    const Type = DTYPES[dtype];
    if (!Type) throw new Error(`unknown dtype ${dtype}`);
    arrays[name] = new Type(buffer, offset, count); // little-endian hosts only (all browsers we support)
  }
  return new Points(meta, arrays);
}
