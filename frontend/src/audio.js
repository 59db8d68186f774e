// Listening: one <audio> element for the whole page (a new sound replaces the old one, never
// stacks), segment clips from /api/audio/<id>?start=&end=, and the now-playing panel.

import { getJSON } from './api.js';
import { el, formatTime } from './dom.js';

export class Player {
  constructor(container) {
    this.audio = el('audio', { id: 'player', preload: 'auto', controls: true });
    this.title = el('div', { class: 'np-title', text: 'Nothing playing' });
    this.detail = el('div', { class: 'np-detail' });
    this.range = el('div', { class: 'np-range' });
    this.tags = el('div', { class: 'np-tags' });
    this.hint = el('div', { class: 'np-hint', hidden: true, text: 'Your browser blocked sound until you click: click anywhere on the page, then hover again.' });
    container.append(el('div', { class: 'now-playing', id: 'now-playing' },
      el('div', { class: 'np-what' }, this.title, this.detail, this.range), this.tags, el('div', { class: 'np-audio' }, this.audio, this.hint)));
    this.current = null;
    this.tagRequest = null;
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
  play({ trackId, segment = null, start = 0, end = null, model, info }) {
    const key = `${trackId}:${start}:${end}`;
    if (this.current?.key === key && !this.audio.paused) return;
    const url = end === null ? `/api/audio/${trackId}` : `/api/audio/${trackId}?start=${start.toFixed(3)}&end=${end.toFixed(3)}`;
    this.current = { key, trackId, segment, start, end, model, remote: false };
    Object.assign(this.audio.dataset, { track: String(trackId), segment: segment === null ? '' : String(segment), start: start.toFixed(3), end: end === null ? '' : end.toFixed(3) });
    this.audio.src = url;
    const started = performance.now();
    this.audio.play().then(() => {
      this.lastStartDelay = performance.now() - started;
    }).catch((error) => {
      if (error.name === 'NotAllowedError') this.hint.hidden = false;
    });
    this.showInfo(info, start, end);
    this.loadTags(trackId, segment, model);
  }

  // A remote track redirects to its whole file: seek to the segment and stop at its end.
  alignRemote() {
    const c = this.current;
    if (!c || c.end === null) return;
    if (this.audio.duration > c.end - c.start + 1.5) {
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

  loadTags(trackId, segment, model) {
    this.tags.replaceChildren();
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
          this.tags.replaceChildren(el('span', { class: 'np-tags-title', text: `${model}: embeddings only, no tags` }));
          return;
        }
        this.tags.replaceChildren(
          el('span', { class: 'np-tags-title', text: segment === null ? `top tags (${shown}, track mean):` : `top tags (${model}):` }),
          ...tags.map(({ tag, activation }) => el('span', { class: 'tag' }, el('b', { text: tag }), ` ${activation.toFixed(2)}`)),
        );
      }).catch(() => {});
    }, 80);
  }
}
