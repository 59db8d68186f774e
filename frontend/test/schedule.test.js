// Continuous audition's timing arithmetic and orders (schedule.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FADE, alongMap, clipFade, envelope, gaps, inTimeOrder, nextStart, soundingAt, startTime, toFetch } from '../src/schedule.js';

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('clips follow each other overlapping by the fade, the short ones by half their length', () => {
  close(nextStart(10, 2.992), 10 + 2.992 - FADE);
  close(nextStart(0, 0.96, 0.015), 0.945);
  close(nextStart(5, 0.01, 0.015), 5.005); // shorter than two fades: overlap half of it
  assert.equal(clipFade(0, 0.015), 0);
});

test('a chain of clips has a gap of minus the fade between each pair, whatever their lengths', () => {
  const durations = [2.992, 2.992, 0.96, 1.5, 2.992];
  const entries = [];
  let when = 0.2;
  for (const duration of durations) {
    entries.push({ when, duration, scheduledAt: when - 1 });
    when = nextStart(when, duration);
  }
  for (const gap of gaps(entries)) close(gap, -FADE);
});

test('a clip scheduled too late starts late, and the gap says how late', () => {
  const entries = [{ when: 1, duration: 2, scheduledAt: 0.5 }, { when: 2.985, duration: 2, scheduledAt: 3.1 }];
  close(gaps(entries)[0], 0.1);
  assert.equal(startTime(2.985, 3.1, 0.12), 3.1 + 0.12);
  assert.equal(startTime(4, 3.1), 4);
  assert.equal(startTime(3.102, 3.1), 3.1 + 0.12); // within the margin: as good as past
});

test('the gain rises over the fade, holds, and falls to zero at the clip end', () => {
  assert.deepEqual(envelope(2, 3, 0.01), [[2, 0], [2.01, 1], [4.99, 1], [5, 0]]);
  const tiny = envelope(0, 0.02, 0.015);
  close(tiny[1][0], 0.01);
  close(tiny[2][0], 0.01);
  assert.deepEqual(envelope(1, 1, 0), [[1, 1], [2, 1]]);
});

test('the sounding clip is the later one during a crossfade, none before or after', () => {
  const entries = [{ when: 0, duration: 1 }, { when: 0.99, duration: 1 }, { when: 1.98, duration: 1 }];
  assert.equal(soundingAt(entries, -0.1), -1);
  assert.equal(soundingAt(entries, 0.5), 0);
  assert.equal(soundingAt(entries, 0.995), 1);
  assert.equal(soundingAt(entries, 2.5), 2);
  assert.equal(soundingAt(entries, 2.98), -1);
});

test('prefetch asks for the next clips not yet asked for, never past the end', () => {
  assert.deepEqual(toFetch(0, 10, new Set(), 4), [0, 1, 2, 3]);
  assert.deepEqual(toFetch(2, 10, new Set([0, 1, 2, 3]), 4), [4, 5]);
  assert.deepEqual(toFetch(8, 10, new Set([8]), 4), [9]);
  assert.deepEqual(toFetch(10, 10, new Set(), 4), []);
});

test('along the map: from the leftmost point, each time to the nearest one left', () => {
  // a line of points given out of order, and a detour
  const x = [5, 0, 3, 1, 2, 4];
  const y = [0, 0, 0, 0, 0, 0];
  assert.deepEqual(alongMap(x, y), [1, 3, 4, 2, 5, 0]);
  assert.deepEqual(alongMap([], []), []);
  const order = alongMap([0, 10, 1, 11], [0, 0, 1, 1]);
  assert.deepEqual(order, [0, 2, 1, 3]);
  assert.equal(new Set(alongMap(Array.from({ length: 50 }, (_, i) => Math.sin(i)), Array.from({ length: 50 }, (_, i) => Math.cos(3 * i)))).size, 50);
});

test('in time order: track by track as they first appear, segments in order', () => {
  const items = [{ track: 7, segment: 3 }, { track: 2, segment: 1 }, { track: 7, segment: 0 }, { track: 2, segment: 0 }, { track: 9, segment: 2 }];
  assert.deepEqual(inTimeOrder(items), [2, 0, 3, 1, 4]);
});
