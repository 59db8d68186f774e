// The colour modes that come from asking the server about the map rather than from the points
// themselves: clusters (GET /api/clusters) and neighbourhood preservation (GET /api/preservation).
// Same shape as encodeColors (colors.js): { z, palette, grey, legend, trackColor }. Pure.

import { GRADIENT, GREY, LINE_COLOR, categoryPalette } from './colors.js';

export const NOISE = '#5b616b'; // points HDBSCAN left out of every cluster
const STEPS = GRADIENT.length;

// averages: point i is track i, and a track's circle takes its point's colour.
function finish(z, palette, legend, averages) {
  const grey = palette.length;
  palette.push(GREY);
  return { z, palette, grey, legend, trackColor: averages ? (t) => palette[z[t]] ?? LINE_COLOR : () => LINE_COLOR };
}

// n points coloured by their cluster. answer: the body of /api/clusters for these very points
// (labels[i]: point i's cluster id, -1 noise), or null while it is on its way; error: what went
// wrong asking for it. Clusters keep the colour of their rank by size (the biggest first).
export function encodeClusters(n, answer, error = '', { averages = false } = {}) {
  const z = new Uint16Array(n);
  if (!answer || answer.labels.length !== n) {
    const title = error ? `clusters: ${error}` : 'clusters: computing…';
    return finish(z.fill(0), [NOISE], { kind: 'categories', title, unit: 'points', items: [] }, averages);
  }
  const clusters = [...answer.clusters].sort((a, b) => b.size - a.size || a.id - b.id);
  const palette = categoryPalette(clusters.length);
  const code = new Map(clusters.map((c, k) => [c.id, k % palette.length]));
  const noise = palette.length;
  const colours = [...palette, NOISE];
  for (let i = 0; i < n; i++) {
    const c = code.get(answer.labels[i]);
    z[i] = c === undefined ? noise : c;
  }
  const items = clusters.map((c, k) => ({ color: palette[k % palette.length], label: c.name || `cluster ${c.id}`, count: c.size }));
  if (answer.noise) items.push({ color: NOISE, label: 'noise (no cluster)', count: answer.noise });
  const space = answer.settings?.space === 'layer' ? 'layer' : 'map';
  const by = answer.named_by ? `named by ${answer.named_by}` : 'named by genre / artist';
  return finish(z, colours, { kind: 'categories', title: `${clusters.length} clusters (${space} space, ${by})`, unit: 'points', items }, averages);
}

// n points coloured by their neighbourhood preservation in [0, 1] (answer.preservation[i]).
export function encodePreservation(n, answer, error = '', { averages = false } = {}) {
  const z = new Uint16Array(n);
  const palette = [...GRADIENT];
  if (!answer || answer.preservation.length !== n) {
    return finish(z, palette, { kind: 'gradient', title: error ? `preservation: ${error}` : 'neighbourhood preservation: computing…', low: '0', high: '1' }, averages);
  }
  const values = answer.preservation;
  for (let i = 0; i < n; i++) z[i] = Math.max(0, Math.min(STEPS - 1, Math.round((values[i] || 0) * (STEPS - 1))));
  const mean = answer.mean === null || answer.mean === undefined ? '' : `, mean ${answer.mean.toFixed(2)}`;
  return finish(z, palette, { kind: 'gradient', title: `${answer.k}-NN kept from the layer${mean}`, low: 'none kept', high: 'all kept' }, averages);
}
