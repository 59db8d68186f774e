// Tag-expression axes: sent only for the original projection of a layer with tag names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expressionParams } from '../src/expression.js';

const taggrams = { name: 'taggrams', labels: ['rock', 'pop'] };

test('expressions go to the server as x_expr / y_expr, trimmed, for the original projection of taggrams only', () => {
  const state = { proj: 'original', xexpr: ' rock - pop ', yexpr: '', proj2: 'pca', xexpr2: 'rock', yexpr2: 'pop' };
  assert.deepEqual(expressionParams(state, 0, taggrams), { x_expr: 'rock - pop' });
  assert.deepEqual(expressionParams(state, 1, taggrams), {}, 'PCA takes none');
  assert.deepEqual(expressionParams(state, 0, { name: 'embeddings', labels: null }), {}, 'no tag names, no expressions');
  assert.deepEqual(expressionParams({ ...state, proj2: 'original' }, 1, taggrams), { x_expr: 'rock', y_expr: 'pop' });
});
