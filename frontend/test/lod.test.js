// Semantic zoom: which opened segment a pointer position hovers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nearestDot } from '../src/lod.js';

const hits = { x: [10, 20, 20.5, 100], y: [10, 20, 20, 100], segment: [7, 8, 9, 3], n: 4 };

test('the nearest drawn dot within the radius, by its segment index; none farther away', () => {
  assert.equal(nearestDot(hits, 10, 11), 7);
  assert.equal(nearestDot(hits, 20.4, 20), 9); // the closer of two dots side by side
  assert.equal(nearestDot(hits, 19.9, 20), 8);
  assert.equal(nearestDot(hits, 104, 100), 3); // 4 px away: within the default 6
  assert.equal(nearestDot(hits, 107, 100), -1); // 7 px away
  assert.equal(nearestDot(hits, 50, 50), -1);
  assert.equal(nearestDot({ x: [], y: [], segment: [], n: 0 }, 0, 0), -1);
  assert.equal(nearestDot(hits, 103, 100, 2), -1); // a smaller radius
});
