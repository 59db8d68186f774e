// Similar music: from the point last clicked (a segment, or a track in the averages mode), the K
// nearest segments or tracks by embedding (GET /api/similar), as a list with play buttons and as
// numbered rings on every map. The query point gets a white ring.

import './similar.css';
import { getJSON } from './api.js';
import { el, formatTime } from './dom.js';

const RING = '#ff8c3a';
const LABELS_UP_TO = 30; // ranks written beside the rings when there are at most this many
const MAX_RINGS = 20000;

export class SimilarPanel {
  constructor(container, { player }) {
    this.player = player;
    this.source = null; // {model, trackId, segment, title, artist}
    this.body = null; // the last answer
    this.request = null;
    this.source_ = el('div', { class: 'sim-source', id: 'similar-source', text: 'Click a point on the map to choose what to start from.' });
    this.level = el('select', { id: 'similar-level' },
      el('option', { value: 'segment', text: 'segments' }), el('option', { value: 'track', text: 'tracks' }));
    this.k = el('input', { id: 'similar-k', type: 'number', min: 1, max: 200, step: 1, value: '10' });
    this.layer = el('select', { id: 'similar-layer', title: 'which layer is compared (cosine)' },
      el('option', { value: 'embeddings', text: 'embeddings' }), el('option', { value: 'taggrams', text: 'taggrams' }));
    this.otherTracks = el('input', { type: 'checkbox', id: 'similar-other-tracks', checked: true });
    this.otherArtists = el('input', { type: 'checkbox', id: 'similar-other-artists' });
    this.find = el('button', { type: 'button', id: 'similar-find', text: 'find similar', disabled: true, onclick: () => this.search() });
    this.clear = el('button', { type: 'button', id: 'similar-clear', text: 'clear', disabled: true, onclick: () => this.reset() });
    this.info = el('div', { class: 'hint sim-info', id: 'similar-info' });
    this.list = el('ol', { class: 'sim-list', id: 'similar-results' });
    this.level.addEventListener('change', () => {
      this.otherTracks.disabled = this.level.value === 'track';
    });
    container.append(el('section', { class: 'ctl', id: 'similar' }, el('h2', { text: 'Similar music' }), this.source_,
      el('div', { class: 'sim-row' }, el('label', {}, 'find ', this.k), el('label', {}, ' ', this.level), el('label', {}, ' by ', this.layer)),
      el('label', { class: 'check' }, this.otherTracks, ' other tracks only'),
      el('label', { class: 'check' }, this.otherArtists, ' other artists only'),
      el('div', { class: 'sim-row' }, this.find, this.clear), this.info, this.list));
    this.plots = () => [];
  }

  // The query: the clicked point of a map (a segment; a whole track in the averages mode).
  setSource(plot, i) {
    const { data } = plot;
    const tracks = data.meta.tracks;
    const t = data.track[i];
    const segment = data.meta.mode === 'averages' ? null : data.segment[i];
    this.source = { model: data.meta.model, trackId: tracks.track_id[t], segment, title: tracks.title[t] || `track ${tracks.track_id[t]}`, artist: tracks.artist[t] };
    const seconds = data.meta.segment_seconds;
    const what = segment === null ? 'the whole track' : `${formatTime(segment * seconds)}–${formatTime((segment + 1) * seconds)}`;
    this.source_.replaceChildren('from ', el('b', { text: this.source.title }), this.source.artist ? ` — ${this.source.artist}` : '', ` (${what}, ${this.source.model})`);
    this.find.disabled = false;
  }

  params() {
    const s = this.source;
    const k = Math.max(1, Math.min(200, Math.floor(Number(this.k.value)) || 10));
    this.k.value = String(k);
    const params = { model: s.model, layer: this.layer.value, track: s.trackId, k, level: this.level.value,
      exclude_track: this.otherTracks.checked ? '1' : '0', exclude_artist: this.otherArtists.checked ? '1' : '0' };
    if (s.segment !== null) params.segment = s.segment;
    return params;
  }

  async search() {
    if (!this.source) return;
    if (this.request) this.request.abort();
    const request = new AbortController();
    this.request = request;
    this.info.textContent = 'Searching…';
    this.info.classList.remove('error-text');
    try {
      const body = await getJSON(`/api/similar?${new URLSearchParams(this.params())}`, { signal: request.signal });
      if (request.signal.aborted) return;
      this.show(body);
    } catch (error) {
      if (error.name === 'AbortError') return;
      this.info.textContent = error.message;
      this.info.classList.add('error-text');
    } finally {
      if (this.request === request) this.request = null;
    }
  }

  show(body) {
    this.body = body;
    this.clear.disabled = false;
    const how = body.method === 'index' ? 'from the index' : 'exact search';
    const hint = body.index === 'missing' || body.index === 'stale' ? ` · no up-to-date index: run tagscape index-similarity for faster answers` : '';
    this.info.textContent = `${body.results.length} ${body.level === 'track' ? 'tracks' : 'segments'} · ${how} · ${Math.round(body.server_seconds * 1000)} ms${hint}`;
    this.list.replaceChildren(...body.results.map((r) => el('li', { dataset: { track: String(r.track_id), segment: r.segment === null ? '' : String(r.segment) } },
      el('button', { type: 'button', class: 'sim-play', title: 'play', text: '▶', onclick: () => this.play(r) }),
      el('span', { class: 'sim-score', text: r.similarity.toFixed(3) }),
      el('span', { class: 'sim-title', text: r.title || `track ${r.track_id}` }),
      el('span', { class: 'muted', text: `${r.artist ? ` — ${r.artist}` : ''} ${r.segment === null ? '(track)' : formatTime(r.start)}` }))));
    if (!body.results.length) this.list.append(el('li', { class: 'muted', text: 'Nothing left after the exclusions.' }));
    this.redraw();
  }

  play(r) {
    const model = this.body.model;
    this.player.play({ trackId: r.track_id, segment: r.segment, start: r.start, end: r.segment === null ? null : r.end, model,
      info: { trackId: r.track_id, title: r.title, artist: r.artist, album: r.album } });
  }

  reset() {
    this.body = null;
    this.list.replaceChildren();
    this.info.textContent = '';
    this.clear.disabled = true;
    this.redraw();
  }

  redraw() {
    for (const plot of this.plots()) plot.scheduleOverlay();
  }

  // Draw the rings of the last answer on one map (called by the plot's overlay).
  draw(ctx, plot, width, height) {
    plot.similarMarked = 0;
    const body = this.body;
    if (!body || !plot.data || !plot.trackIndex) return;
    const at = (trackId, segment) => {
      if (plot.mode === 'averages') return [plot.indexOf(trackId, 0)];
      if (segment !== null) return [plot.indexOf(trackId, segment)];
      const t = plot.trackIndex.get(trackId);
      if (t === undefined) return [];
      const out = [];
      for (let i = plot.trackStart[t]; i < plot.trackStart[t + 1]; i++) out.push(i);
      return out;
    };
    const visible = (x, y) => x > -20 && x < width + 20 && y > -20 && y < height + 20;
    ctx.save();
    ctx.lineWidth = 2;
    let drawn = 0;
    let marked = 0;
    body.results.forEach((r, rank) => {
      const points = at(r.track_id, r.segment).filter((i) => i >= 0);
      if (points.length) marked += 1;
      for (const i of points) {
        if (drawn >= MAX_RINGS) return;
        const [x, y] = plot.screenPosition(i);
        if (!visible(x, y)) continue;
        ctx.strokeStyle = RING;
        ctx.beginPath();
        ctx.arc(x, y, 6, 0, 2 * Math.PI);
        ctx.stroke();
        drawn += 1;
        if (body.results.length <= LABELS_UP_TO && i === points[0]) {
          ctx.fillStyle = RING;
          ctx.font = '11px system-ui, sans-serif';
          ctx.fillText(String(rank + 1), x + 7, y - 6);
        }
      }
    });
    const q = body.query;
    for (const i of at(q.track_id, q.segment).filter((j) => j >= 0).slice(0, MAX_RINGS)) {
      const [x, y] = plot.screenPosition(i);
      if (!visible(x, y)) continue;
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(x, y, 9, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
    plot.similarMarked = marked;
  }
}
