// A track's own tags (its files' genre, mood, instrument ...; MTG-Jamendo's genre---,
// instrument---, mood/theme--- tags) and which of them a model's tags match. Pure functions.

// The genre rule of the server (src/tagscape/selection.py split_genres): a genre string holds
// several genres separated by , ; / or | (`rock, pop`; MTG-Jamendo's genres are joined by ', ').
// tests/web/test_filters.py runs this under Node against the Python rule.
const GENRE_SEPARATORS = /[,;/|]/;

export function splitGenres(text) {
  const out = [];
  const seen = new Set();
  for (const part of String(text || '').split(GENRE_SEPARATORS)) {
    const genre = part.trim().replace(/\s+/g, ' ');
    const key = genre.toLocaleLowerCase();
    if (genre && !seen.has(key)) {
      seen.add(key);
      out.push(genre);
    }
  }
  return out;
}

// Tag kinds that describe the music (as opposed to who made it, its licence or encoder): these
// are shown beside the model's tags. Kinds as the store keeps them (lower case).
export const DESCRIPTIVE_KINDS = ['genre', 'style', 'mood', 'mood/theme', 'theme', 'instrument', 'grouping'];

// Two tags are the same when they differ only in case, spaces, hyphens or punctuation: the
// model's `hip-hop` is Jamendo's `hiphop`, MSD's `Hip-Hop` the file's `hip hop`.
export function tagKey(text) {
  return String(text || '').toLocaleLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

// A track's descriptive tags from GET /api/tracks/<id>: [{kind, value}], genres split, in the
// order of DESCRIPTIVE_KINDS; a tag that two kinds name (genre Electronic, style electronic)
// once, under its first kind and spelling.
export function ownTags(track) {
  const tags = track?.tags || {};
  const out = [];
  const seen = new Set();
  const add = (kind, value) => {
    const key = tagKey(value);
    if (key && !seen.has(key)) {
      seen.add(key);
      out.push({ kind, value });
    }
  };
  for (const kind of DESCRIPTIVE_KINDS) {
    const values = kind === 'genre' ? [track?.genre, ...(tags.genre || [])] : tags[kind] || [];
    for (const value of values) {
      if (kind === 'genre') for (const genre of splitGenres(value)) add('genre', genre);
      else add(kind, String(value).trim());
    }
  }
  return out;
}

// The keys (tagKey) shared by a model's tags and a track's own tags: what to mark as a match.
export function matchingKeys(modelTags, trackTags) {
  const own = new Set(trackTags.map((t) => tagKey(t.value)));
  return new Set(modelTags.map(tagKey).filter((key) => key && own.has(key)));
}

// One genre per track for colouring, from genre strings that may hold several: the track's genre
// that most tracks here share (ties: the first listed), spelled as most tracks spell it; '' for
// none. A "rock, pop" track joins the rock colour when rock is the larger group.
// genres: [n_tracks] genre strings -> [n_tracks] genres
export function primaryGenres(genres) {
  const split = genres.map(splitGenres);
  const counts = new Map();
  const spellings = new Map();
  for (const list of split) {
    for (const genre of list) {
      const key = genre.toLocaleLowerCase();
      counts.set(key, (counts.get(key) || 0) + 1);
      const spelled = spellings.get(key) || new Map();
      spelled.set(genre, (spelled.get(genre) || 0) + 1);
      spellings.set(key, spelled);
    }
  }
  const spelling = (key) => [...spellings.get(key).entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  return split.map((list) => {
    let best = null;
    for (const genre of list) {
      const key = genre.toLocaleLowerCase();
      if (best === null || counts.get(key) > counts.get(best)) best = key;
    }
    return best === null ? '' : spelling(best);
  });
}
