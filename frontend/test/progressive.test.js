// Progressive loading: which maps get a first frame, and how big.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PREVIEW_POINTS, PROGRESSIVE_ABOVE, expectedPoints, previewSize } from '../src/progressive.js';

test('auto: a sample of the largest size above the threshold only; always: a twentieth; never: none', () => {
  assert.equal(previewSize('auto', PROGRESSIVE_ABOVE), 0);
  assert.equal(previewSize('auto', 4_500_000), PREVIEW_POINTS);
  assert.equal(previewSize('on', 600), 30);
  assert.equal(previewSize('on', 50), 10);
  assert.equal(previewSize('on', 1e8), PREVIEW_POINTS);
  assert.equal(previewSize('off', 4_500_000), 0);
  assert.equal(previewSize('auto', 0), 0);
});

test('the expected size: the last map of the same model and kind, else a guess from the tracks', () => {
  const last = { model: 'musicnn-mtt', mode: 'segments', n_points: 1234, n_tracks: 10, tracks_selected: 10 };
  assert.equal(expectedPoints({ model: 'musicnn-mtt', projection: 'tsne' }, last, 55_525), 1234);
  assert.equal(expectedPoints({ model: 'vgg-msd' }, last, 55_525), 55_525 * 60, 'another model: guessed');
  assert.equal(expectedPoints({ model: 'musicnn-mtt', mode: 'averages' }, last, 55_525), 55_525, 'one point a track');
  assert.equal(expectedPoints({ model: 'musicnn-mtt', limit: '100' }, null, 55_525), 6000);
  assert.equal(expectedPoints({ model: 'musicnn-mtt' }, { ...last, tracks_selected: 20 }, 30), 1800, 'some tracks had no results: guessed');
});
