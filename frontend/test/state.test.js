// The view state and its round trip through the URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, axisTitle, checkState, fromURL, plotSpec, toQuery } from '../src/state.js';

const catalog = {
  projections: ['original', 'pca', 'std-pca', 'tsne', 'umap'].map((id) => ({ id })),
  models: [
    { model_id: 'musicnn-mtt', extracted: true, layers: [{ name: 'taggrams' }, { name: 'embeddings' }] },
    { model_id: 'vgg-msd', extracted: true, layers: [{ name: 'taggrams' }, { name: 'embeddings' }] },
    { model_id: 'vggish-audioset', extracted: false, layers: [{ name: 'embeddings' }] },
  ],
};

test('a state survives the URL, with defaults left out', () => {
  const state = { ...DEFAULTS, model: 'vgg-msd', proj: 'tsne', color: 'genre', seed: 3, artist: 'Clara # Wendt? 100% é' };
  const query = toQuery(state);
  assert.ok(!query.includes('layer='), query); // a default
  assert.deepEqual(fromURL(`?${query}`), state);
});

test('the second map\'s keys travel only when comparing', () => {
  const state = { ...DEFAULTS, model: 'musicnn-mtt', model2: 'vgg-msd', proj2: 'tsne' };
  assert.ok(!toQuery(state).includes('proj2'));
  assert.ok(toQuery({ ...state, compare: 1 }).includes('proj2=tsne'));
  assert.deepEqual(plotSpec({ ...state, compare: 1 }, 1), { model: 'vgg-msd', layer: 'taggrams', proj: 'tsne', x: '0', y: '1', view: '' });
});

test('numbers stay numbers; nonsense becomes 0', () => {
  assert.equal(fromURL('?seed=12&compare=abc').seed, 12);
  assert.equal(fromURL('?seed=12&compare=abc').compare, 0);
});

test('unknown values fall back to defaults, each with a notice naming it', () => {
  const { state, notices } = checkState({ ...DEFAULTS, color: 'qq', mode: 'zz', model: 'nope', proj: 'bogus', hl: 'xx', hlv: 'v' }, catalog, 'musicnn-mtt');
  assert.equal(state.color, 'track');
  assert.equal(state.mode, 'segments');
  assert.equal(state.model, 'musicnn-mtt');
  assert.equal(state.proj, 'pca');
  assert.deepEqual([state.hl, state.hlv], ['', '']);
  for (const bad of ['qq', 'zz', 'nope', 'bogus', 'xx']) assert.ok(notices.some((n) => n.includes(`'${bad}'`)), bad);
});

test('a model that is not extracted and a layer it lacks fall back too', () => {
  const { state } = checkState({ ...DEFAULTS, model: 'vggish-audioset', layer: 'taggrams' }, catalog, 'musicnn-mtt');
  assert.equal(state.model, 'musicnn-mtt');
  assert.equal(checkState({ ...DEFAULTS, model: 'vgg-msd', layer: 'fc9' }, catalog, 'musicnn-mtt').state.layer, 'taggrams');
  assert.deepEqual(checkState({ ...DEFAULTS, model: 'vgg-msd' }, catalog, 'musicnn-mtt').notices, []);
});

test('axis titles of an empty map, worded as the server words them', () => {
  assert.equal(axisTitle('pca', '0', 0), 'PC 1');
  assert.equal(axisTitle('original', '2', 0, ['rock', 'pop', 'jazz']), 'jazz');
  assert.equal(axisTitle('original', 'guitar', 1, ['guitar']), 'guitar');
  assert.equal(axisTitle('tsne', '1', 1), 't-SNE 2');
  assert.equal(axisTitle('umap', '0', 0), 'UMAP 1');
});
