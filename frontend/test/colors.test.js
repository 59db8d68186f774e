// The colours of categories and values: distinct, readable on the dark map, one per category.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BACKGROUND, CATEGORY_LIGHTNESS, GRADIENT, GRADIENT_LIGHTNESS, GREY, MAX_CATEGORY_COLORS, VIRIDIS_GRADIENT,
  categorical, categoryPalette, encodeColors, hexToRgb, oklabDistance, oklabToRgb, rgbToOklab,
} from '../src/colors.js';
import { makePoints } from './fixtures.js';

const lab = (hex) => rgbToOklab(hexToRgb(hex));

function minDistance(palette) {
  const labs = palette.map(lab);
  let min = Infinity;
  for (let i = 0; i < labs.length; i++) for (let j = 0; j < i; j++) min = Math.min(min, oklabDistance(labs[i], labs[j]));
  return min;
}

test('OKLab round trip stays within one sRGB step', () => {
  for (const rgb of [[0, 0, 0], [255, 255, 255], [16, 21, 27], [255, 0, 128], [12, 200, 90], [77, 163, 255]]) {
    const back = oklabToRgb(rgbToOklab(rgb));
    back.forEach((v, k) => assert.ok(Math.abs(v - rgb[k]) <= 1, `${rgb} -> ${back}`));
  }
  // white is L = 1, black L = 0 (the space's definition), to 1e-3 of float rounding in its matrices
  assert.ok(Math.abs(rgbToOklab([255, 255, 255])[0] - 1) < 1e-3);
  assert.ok(Math.abs(rgbToOklab([0, 0, 0])[0]) < 1e-9);
});

test('a palette has one colour per category, all different, up to the maximum', () => {
  for (const n of [1, 2, 19, 32, 100, MAX_CATEGORY_COLORS]) {
    const palette = categoryPalette(n);
    assert.equal(palette.length, n);
    assert.equal(new Set(palette).size, n);
  }
  assert.equal(categoryPalette(MAX_CATEGORY_COLORS + 50).length, MAX_CATEGORY_COLORS);
  assert.equal(categoryPalette(0).length, 1); // a map without points still has a colour to draw with
});

test('palettes are prefixes of one sequence: a category keeps its colour when more are added', () => {
  assert.deepEqual(categoryPalette(32).slice(0, 19), categoryPalette(19));
});

test('colours of up to 32 categories are far apart (the old 19 had near-duplicates)', () => {
  // 0.09 in OKLab is a clearly visible difference; the hand-picked palette this replaced had two
  // oranges 0.035 apart (#f28e2b, #ff7f0e): it would fail here.
  assert.ok(minDistance(categoryPalette(32)) >= 0.09, minDistance(categoryPalette(32)));
  assert.ok(minDistance(['#f28e2b', '#ff7f0e']) < 0.09);
  // and the spacing shrinks slowly as categories are added (greedy max-min: never increases)
  const spacing = [8, 19, 32, 64, 128, 256].map((n) => minDistance(categoryPalette(n)));
  spacing.slice(1).forEach((d, k) => assert.ok(d <= spacing[k] + 1e-12));
  assert.ok(spacing[5] > 0.03, spacing);
});

test('category colours read on the dark background and are not the grey of left-out points', () => {
  const background = lab(BACKGROUND);
  for (const hex of categoryPalette(MAX_CATEGORY_COLORS)) {
    const [L, a, b] = lab(hex);
    // the grid's colours are exact, so the bounds hold to float rounding
    assert.ok(L >= CATEGORY_LIGHTNESS[0] - 1e-9 && L <= CATEGORY_LIGHTNESS[1] + 1e-9, `${hex} L=${L}`);
    assert.ok(L - background[0] > 0.4, hex);
    assert.ok(Math.hypot(a, b) >= 0.06 - 1e-9, `${hex} is grey`);
    assert.ok(L - lab(GREY)[0] > 0.2, `${hex} is as dark as the grey of left-out points`);
  }
});

test('the gradient rises in lightness from a colour that stands out from the background', () => {
  assert.equal(GRADIENT.length, 256);
  const lightness = GRADIENT.map((hex) => lab(hex)[0]);
  // sRGB rounding moves L by < 0.01
  assert.ok(Math.abs(lightness[0] - GRADIENT_LIGHTNESS[0]) < 0.01 && Math.abs(lightness[255] - GRADIENT_LIGHTNESS[1]) < 0.01, `${lightness[0]} ${lightness[255]}`);
  lightness.slice(1).forEach((L, k) => assert.ok(L >= lightness[k] - 0.005, `step ${k}: ${lightness[k]} -> ${L}`));
  assert.ok(lightness[0] - lab(BACKGROUND)[0] > 0.25);
});

test('categorical: most tracks first, every category listed with its count', () => {
  const values = ['rock', 'jazz', 'rock', '', 'folk', 'rock', 'jazz'];
  const { trackCode, palette, items } = categorical(values);
  assert.deepEqual(items.map((i) => [i.label, i.count]), [['rock', 3], ['jazz', 2], ['(unknown)', 1], ['folk', 1]]);
  assert.equal(palette.length, 4);
  values.forEach((v, t) => assert.equal(items[trackCode[t]].label, v || '(unknown)'));
  items.forEach((item, k) => assert.equal(item.color, palette[k]));
});

test('categorical: past the palette colours repeat in turn, and every category is still listed', () => {
  const values = Array.from({ length: MAX_CATEGORY_COLORS + 10 }, (_, t) => `artist ${String(t).padStart(4, '0')}`);
  const { trackCode, items } = categorical(values);
  assert.equal(items.length, values.length);
  assert.equal(trackCode[MAX_CATEGORY_COLORS + 3], 3);
});

test('encodeColors by track: one colour per track, the grey last, legend of every track with its segments', () => {
  const points = makePoints({ segments: [3, 1, 4, 2] });
  const colors = encodeColors(points, { color: 'track' });
  assert.equal(colors.palette.length, 4 + 1);
  assert.equal(colors.palette[colors.grey], GREY);
  assert.deepEqual(Array.from(colors.z), Array.from(points.track));
  assert.deepEqual(colors.legend.items.map((i) => i.count), [3, 1, 4, 2]);
  assert.match(colors.legend.title, /^track \(4\)$/);
  assert.equal(colors.trackColor(2), colors.palette[2]);
});

test('encodeColors by time: 0 at a track\'s first segment, 255 at its last', () => {
  const points = makePoints({ segments: [3, 1, 2] });
  const z = Array.from(encodeColors(points, { color: 'time' }).z);
  assert.deepEqual(z, [0, 128, 255, 0, 0, 255]); // Math.round(0.5 * 255) = 128
});

test('heatmaps keep viridis as it is, dark end included', () => {
  assert.equal(VIRIDIS_GRADIENT.length, 256);
  // OKLab interpolation through the 9 sRGB stops lands back on them within one sRGB step
  hexToRgb(VIRIDIS_GRADIENT[0]).forEach((v, k) => assert.ok(Math.abs(v - [0x44, 0x01, 0x54][k]) <= 1));
  hexToRgb(VIRIDIS_GRADIENT[255]).forEach((v, k) => assert.ok(Math.abs(v - [0xfd, 0xe7, 0x25][k]) <= 1));
  assert.ok(lab(VIRIDIS_GRADIENT[0])[0] < lab(GRADIENT[0])[0] - 0.1);
});
