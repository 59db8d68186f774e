// Paths between tracks (GET /api/path): a start and an end (the point last clicked: "start
// here", "end here"), the smoothest path through the layer's nearest-neighbour graph, listed,
// drawn on every map (a yellow line through numbered stops), heard with the continuous audition
// (one segment per track: its middle one), and exported as M3U or CSV (the server's own).

import './listen.css';
import { ApiError, getJSON } from './api.js';
import { el, formatTime } from './dom.js';
import { plotSpec } from './state.js';
import { segmentItems } from './audition.js';

const LINE = '#ffd23f';

export class PathPanel {
  constructor(container, explorer) {
    this.explorer = explorer;
    this.clicked = null; // {trackId, segment, title, artist, model}: the point last clicked
    this.from = null;
    this.to = null;
    this.body = null;
    this.request = null;
    this.fromText = el('span', { class: 'path-end', id: 'path-from', text: 'not chosen' });
    this.toText = el('span', { class: 'path-end', id: 'path-to', text: 'not chosen' });
    this.setFrom = el('button', { type: 'button', id: 'path-set-from', text: 'start here', disabled: true, title: 'the point last clicked', onclick: () => this.choose('from') });
    this.setTo = el('button', { type: 'button', id: 'path-set-to', text: 'end here', disabled: true, title: 'the point last clicked', onclick: () => this.choose('to') });
    this.n = el('input', { id: 'path-n', type: 'number', min: 2, max: 100, step: 1, value: '8' });
    this.level = el('select', { id: 'path-level' }, el('option', { value: 'track', text: 'tracks' }), el('option', { value: 'segment', text: 'segments' }));
    this.artists = el('input', { type: 'checkbox', id: 'path-artists' });
    this.find = el('button', { type: 'button', id: 'path-find', text: 'find path', disabled: true, onclick: () => this.search() });
    this.play = el('button', { type: 'button', id: 'path-play', text: '▶ play path', disabled: true, onclick: () => this.audition() });
    this.m3u = el('a', { class: 'button-link', id: 'path-m3u', text: 'M3U', hidden: true, download: 'tagscape-path.m3u' });
    this.csv = el('a', { class: 'button-link', id: 'path-csv', text: 'CSV', hidden: true, download: 'tagscape-path.csv' });
    this.clear = el('button', { type: 'button', id: 'path-clear', text: 'clear', disabled: true, onclick: () => this.reset() });
    this.info = el('div', { class: 'hint', id: 'path-info', text: 'Click a point, then "start here"; another, then "end here".' });
    this.list = el('ol', { class: 'sim-list path-list', id: 'path-items' });
    container.append(el('section', { class: 'ctl', id: 'paths' }, el('h2', { text: 'Path between tracks' }),
      el('div', { class: 'path-row' }, this.setFrom, ' from ', this.fromText), el('div', { class: 'path-row' }, this.setTo, ' to ', this.toText),
      el('div', { class: 'sim-row' }, el('label', {}, this.n, ' '), el('label', {}, this.level)),
      el('label', { class: 'check' }, this.artists, ' each artist once'),
      el('div', { class: 'sim-row' }, this.find, this.play, this.m3u, this.csv, this.clear), this.info, this.list));
  }

  // The point last clicked on a map (explorer). Paths need a tagscape server (the graph is built there).
  setClicked(plot, i) {
    if (this.explorer.source?.kind !== 'server') {
      this.info.textContent = 'Paths between tracks need a tagscape server: this page reads data exported without one.';
      return;
    }
    const s = plot.data.info(i);
    this.clicked = { trackId: s.trackId, segment: s.segment, title: s.title || `track ${s.trackId}`, artist: s.artist };
    this.setFrom.disabled = this.setTo.disabled = false;
  }

  choose(end) {
    if (!this.clicked) return;
    this[end] = this.clicked;
    const c = this.clicked;
    const segmentSeconds = this.explorer.plots[0]?.data?.segmentSeconds || 3;
    (end === 'from' ? this.fromText : this.toText).textContent = `${c.title}${c.artist ? ` — ${c.artist}` : ''}${c.segment === null ? '' : ` (${formatTime(c.segment * segmentSeconds)})`}`;
    this.find.disabled = !(this.from && this.to);
  }

  params(format = null) {
    const spec = plotSpec(this.explorer.state, 0);
    const n = Math.max(2, Math.min(100, Math.floor(Number(this.n.value)) || 8));
    this.n.value = String(n);
    const params = { model: spec.model, layer: spec.layer, from: this.from.trackId, to: this.to.trackId, n, level: this.level.value };
    if (this.level.value === 'segment') {
      params.from_segment = this.from.segment ?? 0;
      params.to_segment = this.to.segment ?? 0;
    }
    if (this.artists.checked) params.distinct_artists = 1;
    if (format) params.format = format;
    return new URLSearchParams(params).toString();
  }

  async search() {
    if (!this.from || !this.to) return;
    if (this.request) this.request.abort();
    const request = new AbortController();
    this.request = request;
    this.info.textContent = 'Looking for the smoothest path…';
    this.info.classList.remove('error-text');
    try {
      const body = await getJSON(`/api/path?${this.params()}`, { signal: request.signal });
      if (request.signal.aborted) return;
      this.show(body);
      this.m3u.href = `/api/path?${this.params('m3u')}`;
      this.csv.href = `/api/path?${this.params('csv')}`;
    } catch (error) {
      if (error.name === 'AbortError') return;
      // A server without paths answers a plain 404 (no JSON message).
      this.info.textContent = error instanceof ApiError && error.status === 404 && error.message.startsWith('HTTP') ? 'This server has no paths between tracks.' : error.message;
      this.info.classList.add('error-text');
    } finally {
      if (this.request === request) this.request = null;
    }
  }

  show(body) {
    this.body = body;
    const items = body.items;
    this.play.disabled = this.clear.disabled = !items.length;
    this.m3u.hidden = this.csv.hidden = !items.length;
    this.info.textContent = `${items.length} ${body.level === 'track' ? 'tracks' : 'segments'} · ${body.model} · ${body.layer} · largest step ${body.bottleneck.toFixed(3)}${body.note ? ` · ${body.note}` : ''}`;
    this.list.replaceChildren(...items.map((item) => el('li', { dataset: { track: String(item.track_id), segment: item.segment === null ? '' : String(item.segment) } },
      el('span', { class: 'sim-score', title: 'cosine distance from the one before', text: item.step === null ? 'start' : item.step.toFixed(3) }),
      el('span', { class: 'sim-title', text: item.title || `track ${item.track_id}` }),
      el('span', { class: 'muted', text: `${item.artist ? ` — ${item.artist}` : ''}${item.segment === null ? '' : ` ${formatTime(item.start)}`}` }))));
    this.redraw();
  }

  reset() {
    if (this.request) this.request.abort();
    this.body = null;
    this.list.replaceChildren();
    this.info.textContent = '';
    this.play.disabled = this.clear.disabled = true;
    this.m3u.hidden = this.csv.hidden = true;
    this.redraw();
  }

  redraw() {
    for (const plot of this.explorer.plots) plot.scheduleOverlay();
  }

  // The segments heard: each item's own segment, or a track's middle one.
  segments(seconds) {
    return this.body.items.map((item) => {
      const count = Math.max(1, Math.floor((item.duration || seconds) / seconds));
      return { trackId: item.track_id, title: item.title, artist: item.artist, segment: item.segment ?? Math.floor((count - 1) / 2) };
    });
  }

  audition() {
    if (!this.body) return;
    const seconds = this.explorer.plots[0]?.data?.segmentSeconds || 3;
    const what = this.body.level === 'track' ? 'the middle segment of each track' : 'segment by segment';
    const items = segmentItems(this.segments(seconds), seconds);
    // The ring follows the path as drawn (a track's stop is its mean position).
    this.body.items.forEach((item, k) => {
      items[k].locate = (plot) => this.position(plot, item);
    });
    this.explorer.audition.play(items, `the path (${what})`);
  }

  // Where item k of the path is on a plot: its segment, or its track's mean position (averages: its point).
  position(plot, item) {
    if (!plot.data || !plot.trackIndex) return null;
    const t = plot.trackIndex.get(item.track_id);
    if (t === undefined) return null;
    if (item.segment !== null && !plot.data.averages) {
      const i = plot.indexOf(item.track_id, item.segment);
      return i >= 0 ? plot.screenPosition(i) : null;
    }
    let sx = 0;
    let sy = 0;
    const a = plot.trackStart[t];
    const b = plot.trackStart[t + 1];
    for (let i = a; i < b; i++) {
      sx += plot.nx[i];
      sy += plot.ny[i];
    }
    return [plot.xScale(sx / (b - a)), plot.yScale(sy / (b - a))];
  }

  // The path on one map (called by the plot's overlay).
  draw(ctx, plot) {
    plot.pathDrawn = 0;
    if (!this.body?.items.length) return;
    const pts = this.body.items.map((item) => this.position(plot, item));
    ctx.save();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const [style, width] of [['rgba(0, 0, 0, 0.7)', 5], [LINE, 2.5]]) {
      ctx.beginPath();
      let open = false;
      for (const p of pts) {
        if (!p) {
          open = false;
          continue;
        }
        if (open) ctx.lineTo(p[0], p[1]);
        else ctx.moveTo(p[0], p[1]);
        open = true;
      }
      ctx.strokeStyle = style;
      ctx.lineWidth = width;
      ctx.stroke();
    }
    ctx.font = 'bold 10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    pts.forEach((p, k) => {
      if (!p) return;
      plot.pathDrawn += 1;
      const end = k === 0 || k === pts.length - 1;
      ctx.beginPath();
      ctx.arc(p[0], p[1], end ? 9 : 7, 0, 2 * Math.PI);
      ctx.fillStyle = LINE;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#10151c';
      ctx.stroke();
      ctx.fillStyle = '#10151c';
      ctx.fillText(k === 0 ? 'A' : k === pts.length - 1 ? 'B' : String(k + 1), p[0], p[1] + 0.5);
    });
    ctx.restore();
  }
}
