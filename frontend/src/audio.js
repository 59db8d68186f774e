// Listening: one <audio> element for the whole page (a new sound replaces the old one, never
// stacks), segment clips from /api/audio/<id>?start=&end=, and the now-playing panel: what plays
// (title, artist, album, year, its licence and source), the model's top tags and the track's own
// tags, with the tags both name marked.

import './player.css';
import { audioFor, getJSON } from './api.js';
import { el, formatTime } from './dom.js';
import { matchingKeys, ownTags, tagKey } from './tracktags.js';

// Tracks whose metadata (GET /api/tracks/<id>) the bar keeps: hovering back and forth over a
// map asks again only for tracks beyond these.
const TRACK_CACHE = 200;

// The licence link of a track's credits, or its name alone where no http(s) link is known.
function licenceNode(credits) {
  if (!credits?.licence) return null;
  const url = credits.licence_url && /^https?:\/\//i.test(credits.licence_url) ? credits.licence_url : null;
  return url ? el('a', { class: 'np-licence', href: url, target: '_blank', rel: 'noopener noreferrer', text: credits.licence })
    : el('span', { class: 'np-licence', text: credits.licence });
}

function sourceNode(credits) {
  if (!credits?.source) return null;
  const text = credits.source_version ? `${credits.source} ${credits.source_version}` : credits.source;
  const url = credits.source_url && /^https?:\/\//i.test(credits.source_url) ? credits.source_url : null;
  return url ? el('a', { class: 'np-source', href: url, target: '_blank', rel: 'noopener noreferrer', text }) : el('span', { class: 'np-source', text });
}

export class Player {
  constructor(container) {
    this.audio = el('audio', { id: 'player', preload: 'auto', controls: true });
    this.title = el('div', { class: 'np-title', text: 'Nothing playing' });
    this.detail = el('div', { class: 'np-detail' });
    this.range = el('span', { class: 'np-range' });
    this.credits = el('span', { class: 'np-credits' });
    this.tags = el('div', { class: 'np-tags' });
    this.modelRow = el('div', { class: 'np-row np-model-tags' });
    this.ownRow = el('div', { class: 'np-row np-own-tags', id: 'own-tags' });
    this.tags.append(this.modelRow, this.ownRow);
    this.hint = el('div', { class: 'np-hint', hidden: true, text: 'Your browser blocked sound until you click: click anywhere on the page, then hover again.' });
    container.append(el('div', { class: 'now-playing', id: 'now-playing' },
      el('div', { class: 'np-what' }, this.title, this.detail, el('div', { class: 'np-where' }, this.range, this.credits)), this.tags, el('div', { class: 'np-audio' }, this.audio, this.hint)));
    this.current = null;
    this.tagRequest = null;
    this.trackCache = new Map(); // track id -> the promise of its metadata, the oldest first
    this.track = null; // the playing track's metadata, once loaded
    this.modelTags = []; // the tag names of the model's top tags shown
    this.audio.addEventListener('loadedmetadata', () => this.alignRemote());
    this.audio.addEventListener('timeupdate', () => {
      const c = this.current;
      if (c && c.remote && c.end !== null && this.audio.currentTime >= c.end) this.audio.pause();
    });
    document.addEventListener('pointerdown', () => {
      if (this.hint.hidden === false && this.current) {
        this.hint.hidden = true;
        this.audio.play().catch(() => {});
      }
    });
  }

  // Play one segment of a track (exactly its time range), or a whole track (end = null).
  // url: audio from elsewhere (a placed file's clip, place.js): no track metadata or tags then.
  play({ trackId, segment = null, start = 0, end = null, model, info, url: own = null }) {
    const key = `${trackId}:${start}:${end}`;
    if (this.current?.key === key && !this.audio.paused) return;
    const where = own ? { url: own, seek: false } : audioFor(trackId, start, end); // null: no audio here (a static export's)
    const url = where?.url ?? '';
    this.current = { key, trackId, segment, start, end, model, remote: false, seek: !!where?.seek };
    Object.assign(this.audio.dataset, { track: String(trackId), segment: segment === null ? '' : String(segment), start: start.toFixed(3), end: end === null ? '' : end.toFixed(3) });
    if (!where) {
      this.audio.pause();
      this.audio.removeAttribute('src');
      this.showInfo(info, start, end);
      this.range.textContent += ' · no audio of this part in this export';
      this.loadTrack(trackId);
      this.loadTags(trackId, segment, model);
      return;
    }
    this.audio.src = url;
    const started = performance.now();
    this.audio.play().then(() => {
      this.lastStartDelay = performance.now() - started;
    }).catch((error) => {
      if (error.name === 'NotAllowedError') this.hint.hidden = false;
    });
    this.showInfo(info, start, end);
    if (own) {
      this.track = null;
      this.credits.replaceChildren();
      this.ownRow.replaceChildren();
      this.modelRow.replaceChildren();
      if (this.tagRequest) this.tagRequest.abort();
      return;
    }
    this.loadTrack(trackId);
    this.loadTags(trackId, segment, model);
  }

  // A remote track redirects to its whole file, a static export has one per track: seek to the
  // segment and stop at its end.
  alignRemote() {
    const c = this.current;
    if (!c || c.end === null) return;
    if (c.seek || this.audio.duration > c.end - c.start + 1.5) {
      c.remote = true;
      this.audio.currentTime = c.start;
    }
  }

  stop() {
    this.audio.pause();
  }

  showInfo(info, start, end) {
    this.title.textContent = info.title || `track ${info.trackId}`;
    this.detail.textContent = [info.artist, info.album].filter(Boolean).join(' — ');
    this.range.textContent = end === null ? 'whole track' : `${formatTime(start)} – ${formatTime(end)}`;
  }

  // The playing track's year, credits and own tags (GET /api/tracks/<id>, kept for TRACK_CACHE tracks).
  loadTrack(trackId) {
    if (this.track?.track_id !== trackId) {
      this.track = null;
      this.credits.replaceChildren();
      this.ownRow.replaceChildren();
    }
    const show = () => this.trackMeta(trackId).then((track) => {
      if (this.current?.trackId === trackId) this.showTrack(track);
    }).catch(() => {});
    // Hovering sweeps over many tracks: ask only for one still playing a moment later.
    if (this.trackCache.has(trackId)) show();
    else setTimeout(() => this.current?.trackId === trackId && show(), 80);
  }

  // A track's metadata, tags and credits (GET /api/tracks/<id>), asked once for the last TRACK_CACHE tracks.
  trackMeta(trackId) {
    let promise = this.trackCache.get(trackId);
    if (!promise) {
      promise = getJSON(`/api/tracks/${trackId}`);
      promise.catch(() => this.trackCache.delete(trackId));
      this.trackCache.set(trackId, promise);
      if (this.trackCache.size > TRACK_CACHE) this.trackCache.delete(this.trackCache.keys().next().value);
    }
    return promise;
  }

  showTrack(track) {
    this.track = track;
    const where = [track.artist, track.album].filter(Boolean).join(' — ');
    this.detail.textContent = track.year ? `${where}${where ? ' ' : ''}(${track.year})` : where;
    const licence = licenceNode(track.credits);
    const source = sourceNode(track.credits);
    this.credits.replaceChildren(...(licence ? [' · ', licence] : []), ...(source ? [' · from ', source] : []));
    this.showOwnTags();
  }

  // The track's own tags, those a shown model tag names marked (and the model tags they match).
  showOwnTags() {
    const own = this.track ? ownTags(this.track) : [];
    const matches = matchingKeys(this.modelTags, own);
    for (const node of this.modelRow.querySelectorAll('.tag')) node.classList.toggle('match', matches.has(node.dataset.key));
    if (!this.track) return;
    this.ownRow.replaceChildren(el('span', { class: 'np-row-title', text: own.length ? 'track tags:' : 'track tags: none' }),
      ...own.map(({ kind, value }) => el('span', { class: `own-tag${matches.has(tagKey(value)) ? ' match' : ''}`, title: `${kind}: ${value}`, dataset: { kind } }, value)));
  }

  loadTags(trackId, segment, model) {
    this.modelRow.replaceChildren();
    this.modelTags = [];
    if (this.tagRequest) this.tagRequest.abort();
    const request = new AbortController();
    this.tagRequest = request;
    const url = segment === null ? `/api/tracks/${trackId}/top-tags?k=5` : `/api/tracks/${trackId}/segments/${segment}?model=${encodeURIComponent(model)}&k=5`;
    setTimeout(() => {
      if (request.signal.aborted) return;
      getJSON(url, { signal: request.signal }).then((body) => {
        // A model without taggrams (VGGish): a whole track shows another model's tags, a segment says so.
        const shown = segment === null && !body[model] ? Object.keys(body)[0] || model : model;
        const tags = segment === null ? body[shown] || [] : body.top_tags;
        if (!tags.length) {
          this.modelRow.replaceChildren(el('span', { class: 'np-tags-title', text: `${model}: embeddings only, no tags` }));
          return;
        }
        this.modelTags = tags.map(({ tag }) => tag);
        this.modelRow.replaceChildren(
          el('span', { class: 'np-tags-title', text: segment === null ? `top tags (${shown}, track mean):` : `top tags (${model}):` }),
          ...tags.map(({ tag, activation }) => el('span', { class: 'tag', dataset: { key: tagKey(tag) } }, el('b', { text: tag }), ` ${activation.toFixed(2)}`)),
        );
        this.showOwnTags();
      }).catch(() => {});
    }, 80);
  }
}
