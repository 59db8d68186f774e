// The tag view: for one tag of one model, the collection's top-K segments by activation (each
// playable, with its track) and the distribution of the tag's activation over all segments.

import { datalist, el, plural } from './dom.js';
import { clock, fmt, sizeCanvas } from './heat.js';

const HIST_WIDTH = 360;
const HIST_HEIGHT = 150;

export class TagView {
  constructor({ source, player, onTrack, onChange }) {
    this.source = source; // the data source (api.js)
    this.player = player;
    this.onTrack = onTrack; // open a track's view at a segment
    this.onChange = onChange; // patch of the state: {ptag, pk}
    this.key = '';
    this.tag = el('input', { id: 'tv-tag', type: 'search', placeholder: 'a tag', autocomplete: 'off', list: 'analysis-tags' });
    this.tag.addEventListener('change', () => this.onChange({ ptag: this.tag.value.trim() }));
    this.k = el('input', { id: 'tv-k', type: 'number', min: 1, max: 1000, step: 1, value: '20' });
    this.k.addEventListener('change', () => this.onChange({ pk: String(Math.max(1, Math.min(1000, Math.floor(Number(this.k.value) || 20)))) }));
    this.log = el('input', { type: 'checkbox', id: 'tv-log', checked: true, onchange: () => this.drawHistogram() });
    this.summary = el('div', { class: 'tg-summary' });
    this.hist = el('canvas', { class: 'tg-hist', id: 'tag-histogram' });
    this.list = el('ol', { class: 'tg-list', id: 'top-segments' });
    this.message = el('div', { class: 'muted' });
    this.root = el('div', { class: 'tagview' },
      el('div', { class: 'tg-controls' }, el('label', {}, 'tag ', this.tag), el('label', {}, 'top K ', this.k), el('label', {}, this.log, ' log counts')),
      this.message,
      el('div', { class: 'tg-body' },
        el('div', { class: 'tg-left' }, el('h3', { text: 'Distribution over all segments' }), this.hist, this.summary),
        el('div', { class: 'tg-right' }, el('h3', { text: 'Top segments' }), this.list)));
  }

  async show(model, tag, k, tags) {
    datalist('analysis-tags', tags);
    if (document.activeElement !== this.tag) this.tag.value = tag;
    if (document.activeElement !== this.k) this.k.value = String(k);
    const key = `${model}|${tag}|${k}`;
    if (key === this.key) return;
    this.key = key;
    this.data = null;
    this.list.replaceChildren();
    this.summary.textContent = '';
    sizeCanvas(this.hist, HIST_WIDTH, HIST_HEIGHT).clearRect(0, 0, HIST_WIDTH, HIST_HEIGHT);
    if (!tag) {
      this.message.textContent = `Pick one of the ${tags.length} tags of ${model}.`;
      return;
    }
    this.message.textContent = 'Loading…';
    try {
      const data = await this.source.json('tag', { model, tag, k: String(k) });
      if (key !== this.key) return;
      this.data = data;
      this.message.textContent = `${data.tag} (${data.model}): the ${data.top.length} highest of ${plural(data.n_segments, 'segment')} in ${plural(data.n_tracks, 'track')}. Click a row to hear it.`;
      this.render();
    } catch (error) {
      if (key === this.key) this.message.replaceChildren(el('span', { class: 'error-text', text: error.message }));
    }
  }

  render() {
    const { data } = this;
    this.list.replaceChildren(...data.top.map((row) => el('li', { dataset: { track: String(row.track_id), segment: String(row.segment) }, onclick: () => this.play(row) },
      el('span', { class: 'tg-act' }, el('span', { class: 'ag-bar', style: { width: `${Math.round(row.activation * 50)}px` } }), ` ${row.activation.toFixed(3)}`),
      el('span', { class: 'tg-track', text: `${row.title || `track ${row.track_id}`}${row.artist ? ` — ${row.artist}` : ''}` }),
      el('span', { class: 'muted', text: ` ${clock(row.start)}–${clock(row.end)}` }),
      el('button', { type: 'button', class: 'tg-open', text: 'track view', onclick: (event) => {
        event.stopPropagation();
        this.onTrack(row.track_id, row.segment);
      } }))));
    const s = data.summary;
    this.summary.textContent = `mean ${fmt(s.mean, 3)} · median ${fmt(s.median, 3)} · 90th pct ${fmt(s.p90, 3)} · 99th pct ${fmt(s.p99, 3)} · max ${fmt(s.max, 3)}`;
    this.drawHistogram();
  }

  play(row) {
    this.player.play({ trackId: row.track_id, segment: row.segment, start: row.start, end: row.end, model: this.data.model,
      info: { trackId: row.track_id, title: row.title, artist: row.artist, album: row.album } });
  }

  drawHistogram() {
    if (!this.data) return;
    const { counts, edges } = this.data.histogram;
    const ctx = sizeCanvas(this.hist, HIST_WIDTH, HIST_HEIGHT);
    const pad = { l: 34, r: 6, t: 6, b: 18 };
    const w = HIST_WIDTH - pad.l - pad.r;
    const h = HIST_HEIGHT - pad.t - pad.b;
    const log = this.log.checked;
    const scale = (c) => (log ? Math.log10(1 + c) : c);
    const top = Math.max(1e-9, ...counts.map(scale));
    ctx.fillStyle = '#10151b';
    ctx.fillRect(0, 0, HIST_WIDTH, HIST_HEIGHT);
    ctx.fillStyle = '#4da3ff';
    const bw = w / counts.length;
    counts.forEach((c, i) => {
      const bh = (scale(c) / top) * h;
      ctx.fillRect(pad.l + i * bw + 0.5, pad.t + h - bh, Math.max(1, bw - 1), bh);
    });
    // the K-th activation: everything right of this line is in the list
    const last = this.data.top[this.data.top.length - 1];
    if (last) {
      const x = pad.l + last.activation * w;
      ctx.strokeStyle = '#ffe14d';
      ctx.beginPath();
      ctx.moveTo(x, pad.t);
      ctx.lineTo(x, pad.t + h);
      ctx.stroke();
    }
    ctx.fillStyle = '#8b97a6';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const v of [0, 0.25, 0.5, 0.75, 1]) ctx.fillText(String(v), pad.l + v * w, pad.t + h + 3);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const maxCount = Math.max(...counts);
    ctx.fillText(maxCount.toLocaleString(), pad.l - 3, pad.t + 4);
    ctx.fillText('0', pad.l - 3, pad.t + h);
    ctx.save();
    ctx.translate(9, pad.t + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(log ? 'segments (log)' : 'segments', 0, 0);
    ctx.restore();
    this.hist.dataset.bins = String(counts.length);
    this.hist.dataset.edges = `${edges[0]},${edges[edges.length - 1]}`;
  }
}
