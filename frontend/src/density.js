// A density layer for large maps (issue 16): a kernel density estimate of the points on a grid
// (d3-contour's contourDensity: points binned, then a Gaussian-like blur), drawn as nested contour
// lines with a faint fill, so that where the points crowd reads even when a million of them
// overplot each other. Computed once per map, in the normalised [-1, 1] square, and drawn through
// the camera at every pan and zoom.

import { contourDensity } from 'd3-contour';

export const DENSITY_AUTO_ABOVE = 100_000; // points: 'auto' draws the density above this
export const DENSITY_CHOICES = [['auto', `auto (above ${DENSITY_AUTO_ABOVE.toLocaleString('en')} points)`], ['on', 'on'], ['off', 'off']];
const GRID = 512; // the [-1, 1] square as GRID x GRID virtual pixels
const MAX_POINTS = 200_000; // a density of more points is estimated on an even sample of them
// Contour levels as shares of the highest density: the outer ones say where anything is.
export const LEVELS = [0.03, 0.08, 0.16, 0.28, 0.42, 0.6, 0.8];

export function densityWanted(setting, n) {
  if (setting === 'on') return n > 0;
  if (setting === 'off') return false;
  return n > DENSITY_AUTO_ABOVE;
}

// At most m of n indices, one drawn at random (seeded) from each of m equal strata: as even as a
// stride, without a stride's aliasing with a period in the points' order.
export function stratifiedSample(n, m) {
  if (n <= m) return Uint32Array.from({ length: n }, (_, i) => i);
  const step = n / m;
  const out = new Uint32Array(m);
  let seed = 12345;
  for (let k = 0; k < m; k++) {
    seed = (seed * 16807) % 2147483647;
    out[k] = Math.min(n - 1, Math.floor((k + seed / 2147483647) * step));
  }
  return out;
}

// nx, ny: the points' normalised coordinates (Float32Array, [-1, 1]).
// -> [{level (share of the maximum), rings: [Float32Array [x0, y0, x1, y1, ...] normalised]}],
// the lowest level first. bandwidth: in virtual pixels of the GRID (512 across the square).
export function densityContours(nx, ny, { bandwidth = 10, levels = LEVELS, maxPoints = MAX_POINTS } = {}) {
  const n = nx.length;
  if (!n) return [];
  const sample = stratifiedSample(n, maxPoints);
  const half = GRID / 2;
  const estimate = contourDensity()
    .x((i) => (nx[i] + 1) * half)
    .y((i) => (ny[i] + 1) * half)
    .size([GRID, GRID])
    .cellSize(2)
    .bandwidth(bandwidth)
    .contours(sample);
  const max = estimate.max;
  if (!(max > 0)) return [];
  return levels.map((level) => {
    const geometry = estimate(level * max);
    const rings = [];
    for (const polygon of geometry.coordinates) {
      for (const ring of polygon) {
        const flat = new Float32Array(ring.length * 2);
        ring.forEach(([x, y], k) => {
          flat[2 * k] = x / half - 1;
          flat[2 * k + 1] = y / half - 1;
        });
        rings.push(flat);
      }
    }
    return { level, rings };
  });
}

// Draw the contours on a map's overlay through its camera (plot.xScale, plot.yScale).
export function drawDensity(ctx, plot, contours) {
  ctx.save();
  for (const { level, rings } of contours) {
    const path = new Path2D();
    for (const ring of rings) {
      for (let k = 0; k < ring.length; k += 2) {
        const x = plot.xScale(ring[k]);
        const y = plot.yScale(ring[k + 1]);
        if (k === 0) path.moveTo(x, y);
        else path.lineTo(x, y);
      }
      path.closePath();
    }
    ctx.fillStyle = 'rgba(120, 190, 255, 0.05)';
    ctx.fill(path, 'evenodd');
    ctx.strokeStyle = `rgba(170, 215, 255, ${0.25 + 0.6 * level})`;
    ctx.lineWidth = 1;
    ctx.stroke(path);
  }
  ctx.restore();
}

// The density of each map's points, kept per points (a WeakMap: gone with them).
export class DensityLayer {
  constructor() {
    this.cache = new WeakMap();
  }

  draw(ctx, plot, setting) {
    const { data } = plot;
    plot.densityLevels = 0;
    if (!data || !densityWanted(setting, data.x.length) || !plot.nx) return;
    let contours = this.cache.get(data);
    if (!contours || contours.nx !== plot.nx) {
      contours = { nx: plot.nx, levels: densityContours(plot.nx, plot.ny) };
      this.cache.set(data, contours);
    }
    drawDensity(ctx, plot, contours.levels);
    plot.densityLevels = contours.levels.filter((c) => c.rings.length).length;
  }
}
