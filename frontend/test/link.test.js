// Linking two maps of the same tracks cut into segments of different lengths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkedIndex, linkedSelection } from '../src/link.js';
import { makePoints } from './fixtures.js';

// The same two tracks (30 s and 6 s) as 3 s segments and as 0.96 s segments.
const threes = makePoints({ segments: [10, 2], segmentSeconds: 3 });
const short = makePoints({ segments: [31, 6], segmentSeconds: 0.96 });
const averages = makePoints({ segments: [10, 2], averages: true });

test('a hovered segment links to the other map\'s segment that covers its middle', () => {
  for (let i = 0; i < threes.length; i++) {
    const j = linkedIndex(threes, i, short);
    assert.equal(short.trackIdOf(j), threes.trackIdOf(i));
    const middle = (threes.segment[i] + 0.5) * 3;
    assert.ok(short.segment[j] * 0.96 <= middle && middle < (short.segment[j] + 1) * 0.96, `point ${i}`);
  }
  // past the end of the other map's track: nothing
  assert.equal(linkedIndex(makePoints({ segments: [40], segmentSeconds: 3 }), 39, short), -1);
  assert.equal(linkedIndex(threes, 999, short), -1);
});

test('averages link to the track', () => {
  assert.equal(linkedIndex(threes, 11, averages), 1);
  assert.equal(linkedIndex(averages, 1, threes), threes.trackStart[1]);
});

test('a selection links to every segment that overlaps it in time, and no other', () => {
  const selected = [0, 1, 10];
  const linked = linkedSelection(threes, selected, short);
  for (let j = 0; j < short.length; j++) {
    const [a, b] = [short.segment[j] * 0.96, (short.segment[j] + 1) * 0.96];
    const overlaps = selected.some((i) => threes.trackIdOf(i) === short.trackIdOf(j) && threes.segment[i] * 3 < b - 1e-9 && a < (threes.segment[i] + 1) * 3 - 1e-9);
    assert.equal(linked.includes(j), overlaps, `segment ${j}`);
  }
  assert.deepEqual(linked, [...linked].sort((x, y) => x - y));
  assert.deepEqual(linkedSelection(averages, [1], threes), [10, 11]);
  assert.deepEqual(linkedSelection(threes, [0, 5, 10], averages), [0, 1]);
});
