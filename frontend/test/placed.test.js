// A placed file's maps and upload messages (placed.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFile, displayName, matchMaps, mapSpec, sameMap, uploadMessage } from '../src/placed.js';

test('the maps sent are the maps on screen, with the ids of an on-demand map only', () => {
  const spec = { model: 'musicnn-mtt', layer: 'taggrams', proj: 'pca', x: '0', y: 2, view: '' };
  assert.deepEqual(mapSpec(spec, { source: 'offline' }), { model: 'musicnn-mtt', layer: 'taggrams', projection: 'pca', x: '0', y: '2' });
  assert.deepEqual(mapSpec(spec, { source: 'on-demand', tracks: { track_id: [4, 9] } }).ids, [4, 9]);
});

test('a placed map is the one shown when model, layer, projection, axes (not for t-SNE / UMAP) and subset agree', () => {
  const a = { model: 'm', layer: 'taggrams', projection: 'pca', x: '0', y: '1' };
  assert.ok(sameMap(a, { ...a }));
  assert.ok(!sameMap(a, { ...a, y: '2' }));
  assert.ok(!sameMap(a, { ...a, layer: 'embeddings' }));
  assert.ok(!sameMap(a, { ...a, ids: [1] }));
  assert.ok(sameMap({ ...a, projection: 'tsne', x: '0' }, { ...a, projection: 'tsne', x: '3' }));
  assert.ok(!sameMap(a, null));
  assert.deepEqual(matchMaps([a, { ...a, model: 'v' }], [{ ...a, model: 'v' }, { ...a, projection: 'umap' }]), [1, -1]);
});

test('an empty file is refused before sending, a large one when the limit is known', () => {
  assert.match(checkFile({ name: 'a.mp3', size: 0 }), /empty/);
  assert.match(checkFile({ name: 'a.mp3', size: 300 * 2 ** 20 }, 100 * 2 ** 20), /too large \(300 MB\).*100 MB/);
  assert.equal(checkFile({ name: 'a.mp3', size: 10 }, null), '');
});

test('each failure says what happened, with the file name cleaned', () => {
  assert.equal(displayName('a\u0000b\n.mp3'), 'ab.mp3');
  assert.equal(displayName(''), 'the file');
  assert.equal(displayName('x'.repeat(500)).length, 118);
  assert.equal(uploadMessage(413, 'big.wav: 1024 MiB, more than the 100 MiB a placement takes.', 'big.wav', 2 ** 30),
    'Too large to place: big.wav: 1024 MiB, more than the 100 MiB a placement takes.');
  assert.match(uploadMessage(413, undefined, 'big.wav', 2 ** 30), /^big\.wav is too large \(1024 MB\) for this server/);
  assert.equal(uploadMessage(422, 'notes.txt: no audio stream.', 'notes.txt', 10), 'Cannot place this file: notes.txt: no audio stream.');
  assert.match(uploadMessage(422, '', 'notes.txt', 10), /notes\.txt cannot be placed: it is not audio/);
  assert.match(uploadMessage(409, '', 'a.mp3', 10), /read-only/);
  assert.match(uploadMessage(0, '', 'a.mp3', 10), /broke off/);
  assert.equal(uploadMessage(500, 'boom', 'a.mp3', 10), 'Cannot place a.mp3 (HTTP 500): boom');
});
