// A track's own tags beside the model's, genre strings split, and the highlights that read them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterValues, highlightMask } from '../src/highlight.js';
import { matchingKeys, ownTags, primaryGenres, splitGenres, tagKey } from '../src/tracktags.js';
import { makePoints } from './fixtures.js';

test('a genre string splits at , ; / and | into genres, each once in any case', () => {
  assert.deepEqual(splitGenres('Rock, pop/ROCK;  hip  hop |jazz'), ['Rock', 'pop', 'hip hop', 'jazz']);
  assert.deepEqual(splitGenres(null), []);
  assert.deepEqual(splitGenres('Drum & Bass'), ['Drum & Bass']);
});

test('tags are the same whatever their case, spaces, hyphens or punctuation', () => {
  assert.equal(tagKey('Hip-Hop'), tagKey('hip hop'));
  assert.equal(tagKey('HIPHOP'), tagKey('hiphop'));
  assert.notEqual(tagKey('female vocal'), tagKey('female vocals'));
  assert.equal(tagKey('Électro'), tagKey('électro'));
});

test("a track's own tags: genres split, descriptive kinds only, one per tag across kinds", () => {
  const track = { genre: 'Rock; Folk', tags: { genre: ['Rock; Folk'], style: ['rock', 'metal'], mood: ['happy'], licence: ['MIT'], comment: ['x'] } };
  assert.deepEqual(ownTags(track), [
    { kind: 'genre', value: 'Rock' }, { kind: 'genre', value: 'Folk' }, { kind: 'style', value: 'metal' }, { kind: 'mood', value: 'happy' },
  ]);
  assert.deepEqual(ownTags({ genre: null, tags: {} }), []);
  const own = ownTags({ tags: { 'mood/theme': ['Hip-Hop'], instrument: ['guitar'] } });
  assert.deepEqual([...matchingKeys(['hip hop', 'piano', 'Guitar'], own)].sort(), ['guitar', 'hiphop']);
});

test('each track takes the genre that most tracks share for its colour', () => {
  // rock and pop tie (3 tracks each): the first listed; 'rock' is spelled so by two tracks, 'Rock' by one
  assert.deepEqual(primaryGenres(['rock, pop', 'Rock', 'pop', 'rock', 'jazz/pop', '', null]), ['rock', 'rock', 'pop', 'rock', 'pop', '', '']);
});

test('filter values: "a | b" is either, blanks dropped', () => {
  assert.deepEqual(filterValues(' clara wendt |  | Bo '), ['clara wendt', 'Bo']);
  assert.deepEqual(filterValues(''), []);
});

test('highlights by genre, title and artist read several values in any case', () => {
  const data = makePoints({ segments: [2, 1, 3, 1], ids: [3, 4, 5, 6] }); // genres: jazz, rock, rock, jazz
  const tracksOf = (mask) => [...new Set(Array.from(data.track).filter((_, i) => mask[i]).map((t) => data.meta.tracks.track_id[t]))];
  assert.deepEqual(tracksOf(highlightMask(data, { hl: 'genre', hlv: 'JAZZ' })), [3, 6]);
  assert.deepEqual(tracksOf(highlightMask(data, { hl: 'genre', hlv: 'jazz/rock' })), [3, 4, 5, 6]);
  assert.deepEqual(tracksOf(highlightMask(data, { hl: 'title', hlv: 'TITLE 4 | itle 6' })), [4, 6]);
  assert.deepEqual(tracksOf(highlightMask(data, { hl: 'artist', hlv: 'Artist 1' })), [3, 5]);
  assert.equal(highlightMask(data, { hl: 'own', hlv: 'mood:happy' }), null); // not known yet: nothing greyed
  assert.equal(highlightMask(data, { hl: 'title', hlv: '' }), null);
});
