// Linking two plots over the same tracks: a point of one is the segment of the other that covers
// the same time (models may cut tracks into segments of different lengths).

function trackIdOf(plot, i) {
  return plot.data.meta.tracks.track_id[plot.data.track[i]];
}

// The other plot's point for a hovered point (its segment covering the middle of this one), or -1.
export function linkedIndex(from, i, to) {
  if (!from.data || !to.data) return -1;
  const trackId = trackIdOf(from, i);
  if (to.mode === 'averages' || from.mode === 'averages') return to.indexOf(trackId, 0);
  const middle = (from.data.segment[i] + 0.5) * from.data.meta.segment_seconds;
  return to.indexOf(trackId, Math.floor(middle / to.data.meta.segment_seconds));
}

// Every point of the other plot that overlaps a selected point in time.
export function linkedSelection(from, points, to) {
  if (!from.data || !to.data) return [];
  const out = new Set();
  const a = from.data.meta.segment_seconds;
  const b = to.data.meta.segment_seconds;
  const tracks = to.data.meta.tracks;
  for (const i of points) {
    const trackId = trackIdOf(from, i);
    const t = to.trackIndex.get(trackId);
    if (t === undefined) continue;
    if (to.mode === 'averages') {
      out.add(t);
    } else if (from.mode === 'averages') {
      for (let s = 0; s < tracks.n_segments[t]; s++) out.add(to.trackStart[t] + s);
    } else {
      const start = from.data.segment[i] * a;
      const first = Math.floor(start / b + 1e-6);
      const last = Math.ceil((start + a) / b - 1e-6) - 1;
      for (let s = first; s <= last && s < tracks.n_segments[t]; s++) out.add(to.trackStart[t] + s);
    }
  }
  return [...out].sort((x, y) => x - y);
}
