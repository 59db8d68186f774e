// Linking two maps over the same tracks: a point of one is the segment of the other that covers
// the same time (models may cut tracks into segments of different lengths). Pure functions of
// two Points (points.js).

// The other map's point for a hovered point i of `from` (its segment covering the middle of
// this one; for averages, the track's), or -1.
export function linkedIndex(from, i, to) {
  if (!from || !to || !(i >= 0 && i < from.length)) return -1;
  const trackId = from.trackIdOf(i);
  if (to.averages || from.averages) return to.indexOf(trackId, 0);
  const middle = (from.segment[i] + 0.5) * from.segmentSeconds;
  return to.indexOf(trackId, Math.floor(middle / to.segmentSeconds));
}

// Every point of `to` that overlaps a selected point of `from` in time, ascending.
export function linkedSelection(from, points, to) {
  if (!from || !to) return [];
  const out = new Set();
  const a = from.segmentSeconds;
  const b = to.segmentSeconds;
  const { tracks, trackIndex, trackStart } = to;
  for (const i of points) {
    const t = trackIndex.get(from.trackIdOf(i));
    if (t === undefined) continue;
    if (to.averages) {
      out.add(t);
    } else if (from.averages) {
      for (let s = 0; s < tracks.n_segments[t]; s++) out.add(trackStart[t] + s);
    } else {
      // 1e-6 of a segment: 3 s / 0.96 s boundaries that meet exactly are not counted twice
      const start = from.segment[i] * a;
      const first = Math.floor(start / b + 1e-6);
      const last = Math.ceil((start + a) / b - 1e-6) - 1;
      for (let s = first; s <= last && s < tracks.n_segments[t]; s++) out.add(trackStart[t] + s);
    }
  }
  return [...out].sort((x, y) => x - y);
}
