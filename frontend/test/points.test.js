// The one decoder of the points payload, and what a Points answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Points, decodePoints } from '../src/points.js';
import { encodePayload, makePoints } from './fixtures.js';

test('decodes the arrays and header of the documented layout', () => {
  const points = makePoints({ segments: [2, 3] });
  assert.ok(points instanceof Points);
  assert.equal(points.length, 5);
  assert.deepEqual(Array.from(points.track), [0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(points.segment), [0, 1, 0, 1, 2]);
  assert.deepEqual(Array.from(points.x), [0, 1, 2, 3, 4]);
  assert.equal(points.meta.model, 'm');
  assert.equal(points.spread, null);
  assert.equal(points.value, null);
});

test('a track\'s points, ids and time spans', () => {
  const points = makePoints({ segments: [2, 3], segmentSeconds: 0.96 });
  assert.deepEqual(Array.from(points.trackStart), [0, 2, 5]);
  assert.equal(points.trackIdOf(3), 101);
  assert.equal(points.indexOf(101, 2), 4);
  assert.equal(points.indexOf(101, 3), -1); // past the track's end
  assert.equal(points.indexOf(101, -1), -1);
  assert.equal(points.indexOf(999, 0), -1);
  const info = points.info(4);
  assert.equal(info.trackId, 101);
  assert.equal(info.segment, 2);
  // 2 x 0.96 in float64 either way: the same expression as points.js, so equal
  assert.equal(info.start, 2 * 0.96);
  assert.equal(info.end, 3 * 0.96);
});

test('averages: one point per track, no segment', () => {
  const points = makePoints({ segments: [2, 3, 1], averages: true });
  assert.equal(points.length, 3);
  assert.ok(points.averages);
  assert.deepEqual(Array.from(points.spread), [0.5, 1.5, 2.5]);
  assert.equal(points.indexOf(102, 0), 2);
  assert.equal(points.segmentOf(1), null);
  assert.deepEqual([points.info(1).segment, points.info(1).end], [null, null]);
});

test('what is not points says so', () => {
  const meta = { mode: 'segments', segment_seconds: 3, tracks: { track_id: [], title: [], n_segments: [] } };
  const arrays = { x: new Float32Array(0), y: new Float32Array(0), track: new Uint32Array(0), segment: new Uint32Array(0) };
  assert.equal(decodePoints(encodePayload(meta, arrays)).length, 0);
  assert.throws(() => decodePoints(encodePayload(meta, arrays, { magic: 'HTML' })), /something other than points/);
  assert.throws(() => decodePoints(encodePayload(meta, arrays, { version: 1 })), /version 1 .*reload/);
  assert.throws(() => decodePoints(new ArrayBuffer(3)), /something other than points/);
});
