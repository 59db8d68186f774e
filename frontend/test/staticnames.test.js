// The static export's answer names must be the exporter's (src/tagscape/export_site.py): both
// are checked against the same vectors, written by the Python side (static-keys.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { answerFile, canonicalURL, fnv1a64, similarAnswer, splitURL } from '../src/staticnames.js';

const vectors = JSON.parse(readFileSync(new URL('./static-keys.json', import.meta.url), 'utf8'));

test('FNV-1a 64 of known strings', () => {
  for (const [text, hash] of Object.entries(vectors.fnv)) assert.equal(fnv1a64(text), hash);
  assert.equal(fnv1a64('a'), 'af63dc4c8601ec8c'); // the published test vector
});

test('canonical URLs and file names equal the exporter\'s, hostile values included', () => {
  for (const c of vectors.cases) {
    assert.equal(canonicalURL(c.path, c.params, vectors.ignored_params), c.canonical, c.path);
    assert.equal(answerFile(c.path, c.params, vectors.ignored_params), c.file, c.path);
  }
});

test('parameter order does not change the name; ignored parameters are left out', () => {
  const a = canonicalURL('/api/points', { y: '1', x: '0', model: 'm', client: 'abc' }, vectors.ignored_params);
  assert.equal(a, canonicalURL('/api/points', { model: 'm', x: '0', y: '1' }, vectors.ignored_params));
  assert.equal(a, '/api/points?model=m&x=0&y=1');
});

test('a URL splits back into the parameters it was made of', () => {
  const c = vectors.cases.find((v) => Array.isArray(v.params.tag));
  const { path, params } = splitURL(c.canonical);
  assert.equal(path, c.path);
  assert.deepEqual(params.tag.slice().sort(), c.params.tag.slice().sort());
  assert.equal(canonicalURL(path, params, vectors.ignored_params), c.canonical);
});

test('similar: the stored list cut to k, other artists only on request, same-track segments refused', () => {
  const stored = { k: 10, excluded: { track: true, artist: false }, query: { track_id: 1, artist: 'A' },
    results: [{ track_id: 2, artist: 'A' }, { track_id: 3, artist: 'B' }, { track_id: 4, artist: 'C' }].map((r, i) => ({ ...r, rank: i + 1 })) };
  assert.deepEqual(similarAnswer(stored, { k: '2' }).results.map((r) => r.track_id), [2, 3]);
  const others = similarAnswer(stored, { k: '5', exclude_artist: '1' });
  assert.deepEqual(others.results.map((r) => [r.track_id, r.rank]), [[3, 1], [4, 2]]);
  assert.equal(others.excluded.artist, true);
  assert.equal(similarAnswer(stored, { k: '5', exclude_track: '0', level: 'segment' }), null);
});
