// Issue 16's pure parts: where cluster names go (greedy placement), the cluster and preservation
// colour modes, and the answers kept per map.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Answers } from '../src/answers.js';
import { GRADIENT, GREY } from '../src/colors.js';
import { placeLabels, spots } from '../src/labels.js';
import { NOISE, encodeClusters, encodePreservation } from '../src/mapcolors.js';

const overlap = (a, b) => a.left < b.left + b.w && b.left < a.left + a.w && a.top < b.top + b.h && b.top < a.top + a.h;

test('labels: shown ones never overlap and stay on the map, the biggest cluster wins a contested spot', () => {
  // a seeded crowd of labels on a 400 x 300 map
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const items = Array.from({ length: 120 }, (_, id) => ({ id, x: random() * 400, y: random() * 300, w: 30 + random() * 90, h: 16, priority: random() }));
  const placed = placeLabels(items, { width: 400, height: 300 });
  const shown = placed.filter((p) => p.shown);
  assert.ok(shown.length > 5 && shown.length < items.length, `${shown.length} shown`);
  for (const [k, a] of shown.entries()) {
    assert.ok(a.left >= 0 && a.top >= 0 && a.left + a.w <= 400 && a.top + a.h <= 300);
    for (const b of shown.slice(k + 1)) assert.ok(!overlap(a, b), `${a.id} over ${b.id}`);
  }
  // two names at the same anchor with room only for one: the bigger cluster's
  const two = placeLabels([{ id: 'small', x: 50, y: 10, w: 100, h: 20, priority: 1 }, { id: 'big', x: 50, y: 10, w: 100, h: 20, priority: 9 }], { width: 100, height: 20 });
  assert.deepEqual(two.map((p) => [p.id, p.shown]), [['small', false], ['big', true]]);
});

test('labels: a name sits on its anchor when it can, beside it when asked or crowded, hidden off the map', () => {
  const [alone] = placeLabels([{ id: 1, x: 200, y: 100, w: 40, h: 16, priority: 1 }], { width: 400, height: 300 });
  assert.deepEqual([alone.left, alone.top, alone.shown], [180, 92, true]);
  const [beside] = placeLabels([{ id: 1, x: 200, y: 100, w: 40, h: 16, priority: 1, beside: true }], { width: 400, height: 300 });
  assert.ok(beside.shown && beside.top + beside.h < 100, 'above its anchor');
  assert.deepEqual(spots(200, 100, 40, 16, { beside: true }).at(-1), [180, 92]);
  const crowded = placeLabels([{ id: 1, x: 200, y: 100, w: 40, h: 16, priority: 2 }, { id: 2, x: 205, y: 100, w: 40, h: 16, priority: 1 }], { width: 400, height: 300 });
  assert.ok(crowded.every((p) => p.shown) && !overlap(crowded[0], crowded[1]));
  const [edge] = placeLabels([{ id: 1, x: 395, y: 2, w: 60, h: 16, priority: 1 }], { width: 400, height: 300 });
  assert.deepEqual([edge.left, edge.top, edge.shown], [340, 0, true], 'slid inside the map');
  const off = placeLabels([{ id: 1, x: -5, y: 100, w: 40, h: 16, priority: 1 }, { id: 2, x: 10, y: 10, w: 0, h: 16, priority: 1 }], { width: 400, height: 300 });
  assert.deepEqual(off.map((p) => p.shown), [false, false]);
});

test('cluster colours: one per cluster by size, noise grey, a legend of names; nothing yet says so', () => {
  const answer = { labels: [1, 0, 0, -1, 1, 1], noise: 1, named_by: 'musicnn-mtt', settings: { space: 'layer' },
    clusters: [{ id: 0, size: 2, name: 'piano · classical' }, { id: 1, size: 3, name: 'rock' }] };
  const { z, palette, grey, legend } = encodeClusters(6, answer);
  const colour = Array.from(z, (code) => palette[code]);
  assert.equal(colour[3], NOISE);
  assert.equal(colour[0], colour[4]);
  assert.equal(colour[1], colour[2]);
  assert.notEqual(colour[0], colour[1]);
  assert.equal(palette[grey], GREY);
  assert.deepEqual(legend.items.map((item) => [item.label, item.count]), [['rock', 3], ['piano · classical', 2], ['noise (no cluster)', 1]]);
  assert.equal(legend.title, '2 clusters (layer space, named by musicnn-mtt)');
  assert.match(encodeClusters(6, null).legend.title, /computing/);
  assert.match(encodeClusters(6, null, 'too many points').legend.title, /too many points/);
  assert.match(encodeClusters(5, answer).legend.title, /computing/, 'an answer for other points is not used');
  // averages: a track's circle takes its point's cluster colour
  const circles = encodeClusters(6, answer, '', { averages: true });
  assert.equal(circles.trackColor(3), NOISE);
  assert.equal(circles.trackColor(0), colour[0]);
});

test('preservation colours: the gradient by value, 0 at the low end and 1 at the high end', () => {
  const { z, palette, legend } = encodePreservation(3, { k: 10, mean: 0.5, preservation: [0, 0.5, 1] });
  assert.deepEqual(Array.from(z), [0, 128, GRADIENT.length - 1]);
  assert.equal(palette[0], GRADIENT[0]);
  assert.match(legend.title, /10-NN kept .*mean 0\.50/);
  assert.match(encodePreservation(3, null, 'at most 500,000 points').legend.title, /500,000/);
});

test('answers: asked once per key, a key no plot wants is aborted, the busy count returns to zero', async () => {
  const asked = [];
  let busy = 0;
  let answered = 0;
  const pending = new Map();
  const answers = new Answers({
    ask: (params, { signal }) => new Promise((resolve, reject) => {
      asked.push(params.key);
      pending.set(params.key, resolve);
      signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
    }),
    onAnswer: () => (answered += 1),
    onBusy: (delta) => (busy += delta),
  });
  answers.want(0, 'a', { key: 'a' });
  answers.want(0, 'a', { key: 'a' });
  assert.deepEqual(asked, ['a']);
  assert.equal(busy, 1);
  answers.want(0, 'b', { key: 'b' }); // 'a' is no longer wanted: aborted
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(answers.get('a'), null);
  pending.get('b')({ value: 2 });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(answers.get('b').answer, { value: 2 });
  assert.equal(answers.stamp(0), 'b#ready');
  assert.equal(busy, 0);
  assert.equal(answered, 1);
  answers.drop(0);
  assert.equal(answers.stamp(0), '');
});
