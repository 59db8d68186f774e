// Continuous audition's arithmetic, pure (no Web Audio, no DOM), so that node --test checks it:
// when each clip starts on the audio clock, its gain ramps, the gaps as heard, which clip sounds
// at a time, which clips to fetch next, and the orders a selection can be heard in.

export const FADE = 0.015; // seconds: consecutive clips overlap by this much, one fading out as the next fades in
export const LEAD = 0.12; // seconds between scheduling a first clip and its start (never a start in the past)

// The start (audio clock, seconds) of the clip after one that starts at `start` and lasts
// `duration`: the two overlap by `fade` (less for a clip shorter than two fades).
export function nextStart(start, duration, fade = FADE) {
  return start + duration - clipFade(duration, fade);
}

// The fade of a clip: `fade`, or half the clip when it is shorter than two fades.
export function clipFade(duration, fade = FADE) {
  return Math.max(0, Math.min(fade, duration / 2));
}

// The gain ramps of a clip starting at `start`: [[time, gain], ...], to be applied with
// setValueAtTime / linearRampToValueAtTime. Up from 0 over the fade, down to 0 over the last one.
export function envelope(start, duration, fade = FADE) {
  const f = clipFade(duration, fade);
  if (f === 0) return [[start, 1], [start + duration, 1]];
  return [[start, 0], [start + f, 1], [start + duration - f, 1], [start + duration, 0]];
}

// Where to start a clip planned for `planned` when the clock reads `now`: as planned, or, when
// that moment is (nearly) past (its audio came too late), `lead` seconds from now: a gap, said.
export function startTime(planned, now, lead = LEAD, margin = 0.005) {
  return planned >= now + margin ? planned : now + lead;
}

// The gaps between consecutive clips as heard, from what was scheduled: entries
// {when, duration, scheduledAt} (scheduledAt: the clock when source.start(when) was called; a clip
// asked to start in the past starts at once). gap[i] is between clip i and clip i + 1, in seconds;
// negative: they overlap (the crossfade).
export function gaps(entries) {
  const out = [];
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1];
    const b = entries[i];
    const aStart = Math.max(a.when, a.scheduledAt);
    const bStart = Math.max(b.when, b.scheduledAt);
    out.push(bStart - (aStart + a.duration));
  }
  return out;
}

// The index of the entry ({when, duration}, in start order) sounding at `time`, or -1. During a
// crossfade, the later clip.
export function soundingAt(entries, time) {
  for (let i = entries.length - 1; i >= 0; i--) {
    const { when, duration } = entries[i];
    if (time >= when && time < when + duration) return i;
  }
  return -1;
}

// The clips to fetch now: those from `position` on, `ahead` of them, not yet asked for.
export function toFetch(position, count, asked, ahead) {
  const out = [];
  for (let i = Math.max(0, position); i < Math.min(count, position + ahead); i++) if (!asked.has(i)) out.push(i);
  return out;
}

// An order "along the map" of points (x[i], y[i]): start at the leftmost point, then always on to
// the nearest point not yet heard (a greedy tour; O(n^2), for the few hundred segments an
// audition holds). Returns indices.
export function alongMap(x, y) {
  const n = x.length;
  if (!n) return [];
  const left = new Array(n).fill(true);
  let current = 0;
  for (let i = 1; i < n; i++) if (x[i] < x[current] || (x[i] === x[current] && y[i] < y[current])) current = i;
  const order = [current];
  left[current] = false;
  for (let k = 1; k < n; k++) {
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < n; i++) {
      if (!left[i]) continue;
      const d = (x[i] - x[current]) ** 2 + (y[i] - y[current]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    order.push(best);
    left[best] = false;
    current = best;
  }
  return order;
}

// An order "in time" of segments {track, segment}: track by track in the order the tracks first
// appear, each track's segments in time order. Returns indices.
export function inTimeOrder(items) {
  const firstSeen = new Map();
  items.forEach((item, i) => {
    if (!firstSeen.has(item.track)) firstSeen.set(item.track, i);
  });
  return items.map((_, i) => i).sort((a, b) => firstSeen.get(items[a].track) - firstSeen.get(items[b].track) || items[a].segment - items[b].segment);
}
