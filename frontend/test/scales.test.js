// Axes: data values to the renderer's [-1, 1], ticks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Axis, formatTick, niceTicks } from '../src/scales.js';

const near = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('values fill [-1, 1] less a 5 % margin, and map back', () => {
  const values = Float32Array.from([2, 5, 11]);
  const axis = new Axis(values);
  const n = axis.normalise(values);
  // float32 output: 1e-6 relative
  near(n[0], -1 + 2 * (0.05 / 1.1), 1e-6, 'min');
  near(n[2], 1 - 2 * (0.05 / 1.1), 1e-6, 'max');
  near(axis.toData(n[1]), 5, 1e-5, 'round trip');
  near(axis.toNorm(11), n[2], 1e-6, 'toNorm');
});

test('with a spread (track averages) every circle is inside [-1, 1]', () => {
  const values = Float32Array.from([0, 1, 10]);
  const spread = Float32Array.from([4, 0.1, 3]);
  const axis = new Axis(values, { spread });
  values.forEach((v, i) => {
    assert.ok(axis.toNorm(v - spread[i]) >= -1 && axis.toNorm(v + spread[i]) <= 1, `circle ${i}`);
  });
  // and the extreme circles touch the margin: -4 and 13 are the ends
  near(axis.toNorm(-4), -1 + 0.1 / 1.1, 1e-9, 'low end');
  near(axis.toNorm(13), 1 - 0.1 / 1.1, 1e-9, 'high end');
});

test('log axes: log10 for positive values, symmetric log otherwise; a spread reaching 0 is left out', () => {
  assert.equal(new Axis([1, 10, 100], { log: true }).log, 'log');
  assert.equal(new Axis([-1, 10], { log: true }).log, 'symlog');
  const axis = new Axis(Float32Array.from([1, 100]), { log: true, spread: Float32Array.from([5, 1]) });
  assert.ok(Number.isFinite(axis.lo) && Number.isFinite(axis.hi));
  assert.ok(axis.toNorm(101) <= 1);
});

test('one value, or none, still gives a usable axis', () => {
  for (const values of [[3], []]) {
    const axis = new Axis(Float32Array.from(values));
    assert.ok(axis.hi > axis.lo);
  }
});

test('nice ticks: steps of 1, 2 or 5 times a power of ten, inside the range', () => {
  for (const [a, b] of [[0, 1], [-3.3, 17.2], [0.001, 0.0042], [100, 100000]]) {
    const ticks = niceTicks(a, b, 6);
    assert.ok(ticks.length >= 2 && ticks.length <= 13, `${a}..${b}: ${ticks}`);
    const step = ticks[1] - ticks[0];
    const mantissa = step / 10 ** Math.floor(Math.log10(step));
    assert.ok([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6), `${step}`);
    for (const t of ticks) assert.ok(t >= a - 1e-9 && t <= b + step * 1e-9);
  }
  assert.deepEqual(niceTicks(1, 1, 5), []);
  assert.equal(formatTick(0), '0');
  assert.equal(formatTick(0.12345), '0.123');
  assert.equal(formatTick(123456), '1e+5');
});
