// The density layer: contours of a planted map enclose its dense places and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DENSITY_AUTO_ABOVE, LEVELS, densityContours, densityWanted, stratifiedSample } from '../src/density.js';

// Two tight blobs, at (-0.5, -0.5) (three quarters of the points) and (0.5, 0.4), seeded.
function planted(n = 4000) {
  let seed = 3;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const normal = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const nx = new Float32Array(n);
  const ny = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [cx, cy] = i % 4 === 3 ? [0.5, 0.4] : [-0.5, -0.5];
    nx[i] = cx + 0.05 * normal();
    ny[i] = cy + 0.05 * normal();
  }
  return { nx, ny };
}

const centre = (ring) => {
  let x = 0;
  let y = 0;
  for (let k = 0; k < ring.length; k += 2) {
    x += ring[k];
    y += ring[k + 1];
  }
  return [x / (ring.length / 2), y / (ring.length / 2)];
};

test('each level has its rings; the outer levels ring both blobs, the top level only the denser', () => {
  const { nx, ny } = planted();
  const levels = densityContours(nx, ny);
  assert.deepEqual(levels.map((l) => l.level), LEVELS);
  const outer = levels[1].rings.map(centre);
  assert.equal(outer.length, 2, 'one ring around each blob');
  for (const [x, y] of [[-0.5, -0.5], [0.5, 0.4]]) assert.ok(outer.some(([cx, cy]) => Math.hypot(cx - x, cy - y) < 0.05), `a ring around (${x}, ${y})`);
  const top = levels.at(-1).rings.map(centre);
  assert.ok(top.length >= 1 && top.every(([cx, cy]) => Math.hypot(cx + 0.5, cy + 0.5) < 0.05), 'the top level is at the denser blob');
  // every vertex stays in the normalised square (with the blur's margin)
  for (const { rings } of levels) for (const ring of rings) for (const v of ring) assert.ok(v > -1.5 && v < 1.5);
});

test('a large map is estimated on an even sample; no points, no contours; auto above the threshold', () => {
  const { nx, ny } = planted(40_000);
  const full = densityContours(nx, ny);
  const sampled = densityContours(nx, ny, { maxPoints: 10_000 });
  assert.equal(sampled[1].rings.length, full[1].rings.length); // a period in the order (every 4th point: the other blob) does not fool it
  const sample = stratifiedSample(40_000, 10_000);
  assert.equal(sample.length, 10_000);
  assert.ok(sample.every((v, k) => v >= k * 4 && v < (k + 1) * 4), 'one per stratum');
  assert.deepEqual(Array.from(stratifiedSample(3, 10)), [0, 1, 2]);
  assert.deepEqual(densityContours(new Float32Array(0), new Float32Array(0)), []);
  assert.equal(densityWanted('auto', DENSITY_AUTO_ABOVE), false);
  assert.equal(densityWanted('auto', DENSITY_AUTO_ABOVE + 1), true);
  assert.equal(densityWanted('on', 5), true);
  assert.equal(densityWanted('on', 0), false);
  assert.equal(densityWanted('off', 1e7), false);
});
