// The track view: one track's taggram as a heatmap (tags x time, tags ordered by mean
// activation), a playhead that follows the audio, cells that play their segment, and the
// models' agreement on the track's top tags; the track's own tags (its files' genre, mood, ...;
// MTG-Jamendo's) beside them, those a model's top tags name marked (on the heatmap's labels too).

import './trackview.css';
import { getJSON } from './api.js';
import { el, plural } from './dom.js';
import { clock, fmt, paintCells, sizeCanvas, viridis } from './heat.js';
import { ownTags, tagKey } from './tracktags.js';

const LABEL_WIDTH = 128;
const ROW_HEIGHT = 9;
const AXIS_HEIGHT = 16;
const TOP = 10; // the model's top tags (by mean) that the track's own tags are matched against
const MATCH_COLOR = '#7ee2a8';

export class TrackView {
  constructor({ player, onTag, onMark }) {
    this.player = player;
    this.onTag = onTag; // open the tag view of a tag
    this.onMark = onMark; // (trackId, seconds | null): the playing position, for the map
    this.data = null;
    this.key = '';
    this.heat = el('canvas', { class: 'tv-heat', id: 'taggram' });
    this.playhead = el('div', { class: 'tv-playhead', id: 'playhead', hidden: true });
    this.info = el('div', { class: 'tv-info', text: 'Hover a cell to read it; click it to hear that segment; click a tag to open its tag view.' });
    this.title = el('div', { class: 'tv-title' });
    this.playButton = el('button', { type: 'button', id: 'play-track', text: '▶ whole track', onclick: () => this.playTrack() });
    this.agreement = el('div', { class: 'tv-agreement', id: 'agreement' });
    this.own = el('div', { class: 'tv-own', id: 'tv-own-tags' });
    this.ownKeys = new Set(); // tagKey of each of the track's own tags
    this.root = el('div', { class: 'trackview' },
      el('div', { class: 'tv-head' }, this.title, this.playButton), this.own,
      el('div', { class: 'tv-scroll' }, el('div', { class: 'tv-canvas' }, this.heat, this.playhead)),
      this.info, this.agreement);
    this.heat.addEventListener('mousemove', (event) => this.hover(event));
    this.heat.addEventListener('click', (event) => this.click(event));
    const audio = player.audio;
    for (const name of ['timeupdate', 'play', 'seeked', 'loadedmetadata', 'pause', 'ended']) audio.addEventListener(name, () => this.follow());
    this.animating = false;
    this.active = false;
  }

  async show(trackId, model) {
    const key = `${trackId}|${model}`;
    if (key === this.key) return;
    this.key = key;
    this.data = null;
    this.title.replaceChildren(el('span', { class: 'muted', text: 'Loading…' }));
    this.agreement.replaceChildren();
    this.own.replaceChildren();
    this.ownKeys = new Set();
    this.ownList = null;
    this.heat.hidden = true;
    const request = this.key;
    this.player.trackMeta(trackId).then((track) => {
      if (request === this.key) this.showOwn(track);
    }).catch(() => {});
    try {
      const data = await getJSON(`/api/tracks/${trackId}/taggram?model=${encodeURIComponent(model)}`);
      if (request !== this.key) return;
      this.data = data;
      this.title.replaceChildren(el('b', { text: data.title || `track ${trackId}` }), el('span', { class: 'muted', text: ` ${[data.artist, data.album].filter(Boolean).join(' — ')} · ${model} · ${plural(data.n_segments, 'segment')} of ${data.segment_seconds.toFixed(2)} s` }));
      this.draw();
      this.markOwn();
      this.follow();
    } catch (error) {
      if (request === this.key) this.title.replaceChildren(el('span', { class: 'error-text', text: error.message }));
      return;
    }
    this.loadAgreement(trackId, request);
  }

  // The track's own tags (GET /api/tracks/<id>, through the player's cache).
  showOwn(track) {
    this.ownList = ownTags(track);
    this.ownKeys = new Set(this.ownList.map((t) => tagKey(t.value)));
    this.markOwn();
    if (this.data) this.draw();
  }

  // The own tags' row, each marked when it is among the model's top TOP tags; the agreement
  // lists' tags marked when the track's own tags name them.
  markOwn() {
    if (!this.ownList) return;
    const top = new Set((this.data?.tags || []).slice(0, TOP).map(tagKey));
    const said = this.ownList.length ? `the track's own tags (✓ among ${this.data ? `${this.data.model}'s` : "the model's"} top ${TOP}):` : "the track's own tags: none";
    this.own.replaceChildren(el('span', { class: 'muted', text: said }),
      ...this.ownList.map(({ kind, value }) => el('span', { class: `own-tag${top.has(tagKey(value)) ? ' match' : ''}`, title: `${kind}: ${value}`, dataset: { kind } }, value)));
    for (const li of this.agreement.querySelectorAll('li[data-key]')) li.classList.toggle('match', this.ownKeys.has(li.dataset.key));
  }

  cellWidth() {
    const n = this.data.n_segments;
    const room = Math.max(200, (this.root.clientWidth || 800) - LABEL_WIDTH - 24);
    return Math.max(4, Math.min(48, Math.floor(room / Math.max(1, n))));
  }

  draw() {
    const { data } = this;
    const cw = this.cellWidth();
    const rows = data.tags.length;
    const width = LABEL_WIDTH + cw * data.n_segments;
    const height = rows * ROW_HEIGHT + AXIS_HEIGHT;
    this.geometry = { cw, width, height };
    this.heat.hidden = false;
    const ctx = sizeCanvas(this.heat, width, height);
    ctx.fillStyle = '#10151b';
    ctx.fillRect(0, 0, width, height);
    const cells = paintCells(rows, data.n_segments, (r, c) => data.values[r][c], viridis);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cells, LABEL_WIDTH, 0, cw * data.n_segments, rows * ROW_HEIGHT);
    ctx.font = '9px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    data.tags.forEach((tag, r) => {
      const own = this.ownKeys.has(tagKey(tag)); // a tag the track's own tags name too
      ctx.fillStyle = own ? MATCH_COLOR : '#c8d0da';
      ctx.fillText(own ? `✓ ${tag}` : tag, LABEL_WIDTH - 4, r * ROW_HEIGHT + ROW_HEIGHT / 2);
    });
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#8b97a6';
    const every = Math.max(1, Math.ceil(40 / cw));
    for (let c = 0; c < data.n_segments; c += every) {
      ctx.fillText(clock(c * data.segment_seconds), LABEL_WIDTH + c * cw + cw / 2, rows * ROW_HEIGHT + 3);
    }
    this.playhead.style.height = `${rows * ROW_HEIGHT}px`;
  }

  // Cell under a mouse event: {row, col} (col -1 on the labels), or null.
  cellAt(event) {
    if (!this.data) return null;
    const row = Math.floor(event.offsetY / ROW_HEIGHT);
    if (row < 0 || row >= this.data.tags.length) return null;
    const x = event.offsetX - LABEL_WIDTH;
    const col = x < 0 ? -1 : Math.floor(x / this.geometry.cw);
    if (col >= this.data.n_segments) return null;
    return { row, col };
  }

  // Page coordinates of a cell's centre (for tests).
  cellCenter(row, col) {
    const box = this.heat.getBoundingClientRect();
    return [box.left + LABEL_WIDTH + (col + 0.5) * this.geometry.cw, box.top + (row + 0.5) * ROW_HEIGHT];
  }

  hover(event) {
    const cell = this.cellAt(event);
    if (!cell) return;
    const { data } = this;
    if (cell.col < 0) {
      this.info.textContent = `${data.tags[cell.row]}: mean ${fmt(data.mean[cell.row], 3)} over the track — click for its tag view`;
      return;
    }
    const start = cell.col * data.segment_seconds;
    this.info.textContent = `${data.tags[cell.row]} · segment ${cell.col + 1} (${clock(start)}–${clock(start + data.segment_seconds)}) · activation ${fmt(data.values[cell.row][cell.col], 3)}`;
  }

  click(event) {
    const cell = this.cellAt(event);
    if (!cell) return;
    if (cell.col < 0) this.onTag(this.data.tags[cell.row]);
    else this.playSegment(cell.col);
  }

  info_() {
    const { data } = this;
    return { trackId: data.track_id, title: data.title, artist: data.artist, album: data.album };
  }

  playSegment(col) {
    const { data } = this;
    const start = col * data.segment_seconds;
    this.player.play({ trackId: data.track_id, segment: col, start, end: start + data.segment_seconds, model: data.model, info: this.info_() });
  }

  playTrack() {
    if (!this.data) return;
    this.player.play({ trackId: this.data.track_id, segment: null, start: 0, end: null, model: this.data.model, info: this.info_() });
  }

  // Seconds into this track of what the player plays now, or null when it plays another track.
  position() {
    const c = this.player.current;
    if (!this.data || !c || c.trackId !== this.data.track_id) return null;
    const t = this.player.audio.currentTime || 0;
    return c.remote || c.end === null ? t : c.start + t;
  }

  follow() {
    if (!this.active) return; // another pane is open: the map marks nothing
    const seconds = this.position();
    this.onMark(this.data ? this.data.track_id : null, seconds);
    if (seconds === null || !this.geometry) {
      this.playhead.hidden = true;
      return;
    }
    const x = LABEL_WIDTH + (seconds / this.data.segment_seconds) * this.geometry.cw;
    this.playhead.hidden = false;
    this.playhead.style.left = `${x.toFixed(1)}px`;
    this.playhead.dataset.seconds = seconds.toFixed(3);
    this.playhead.dataset.segment = String(Math.min(this.data.n_segments - 1, Math.floor(seconds / this.data.segment_seconds)));
    const scroller = this.root.querySelector('.tv-scroll'); // a long track scrolls: keep the playhead in view
    if (scroller && (x < scroller.scrollLeft + LABEL_WIDTH || x > scroller.scrollLeft + scroller.clientWidth - 20)) scroller.scrollLeft = Math.max(0, x - LABEL_WIDTH - 40);
    // timeupdate fires a few times a second: animate in between while playing
    if (!this.player.audio.paused && !this.animating) {
      this.animating = true;
      requestAnimationFrame(() => {
        this.animating = false;
        if (!this.player.audio.paused && this.root.isConnected) this.follow();
      });
    }
  }

  async loadAgreement(trackId, request) {
    let body;
    try {
      body = await getJSON(`/api/agreement?track=${trackId}&k=10`);
    } catch (error) {
      if (request === this.key) this.agreement.replaceChildren(el('span', { class: 'error-text', text: error.message }));
      return;
    }
    if (request !== this.key) return;
    const head = el('h3', { text: 'Model agreement: top 10 tags of each model (mean over the track)' });
    if (body.models.length < 1) {
      this.agreement.replaceChildren(head, el('p', { class: 'muted', text: 'No model with tag activations has results for this track.' }));
      return;
    }
    const columns = body.models.map((m) => el('div', { class: 'ag-model', dataset: { model: m.model } },
      el('div', { class: 'ag-name', text: `${m.model} (${m.dataset})` }),
      el('ol', {}, m.top.map((t) => el('li', { dataset: { key: tagKey(t.tag) } }, el('span', { class: 'ag-bar', style: { width: `${Math.round(t.activation * 60)}px` } }), ` ${t.tag} `, el('span', { class: 'muted', text: t.activation.toFixed(2) }))))));
    const pairs = body.pairs.map((p) => el('li', { dataset: { a: p.a, b: p.b } },
      el('b', { text: `${p.a} vs ${p.b}` }),
      p.spearman === null && p.kendall === null
        ? ` share ${p.shared.length} tag names: too few to compare`
        : `: Spearman ρ ${fmt(p.spearman)} · Kendall τ ${fmt(p.kendall)} · top-${p.k} overlap ${fmt(p.top_overlap)} over ${p.shared.length} shared tags`));
    const skipped = body.skipped.map((s) => el('li', { class: 'muted', text: `${s.model}: ${s.reason}` }));
    this.agreement.replaceChildren(head, el('div', { class: 'ag-columns' }, columns),
      body.pairs.length ? el('ul', { class: 'ag-pairs' }, pairs) : el('p', { class: 'muted', text: 'Only one model has tag results for this track: nothing to compare.' }),
      skipped.length ? el('ul', {}, skipped) : '',
      el('p', { class: 'muted explain', text: 'Each pair is compared over the tags both models have (all 50 for models trained on the same dataset; the shared names such as rock, pop, electronic for MSD vs MTT). '
        + 'Spearman ρ and Kendall τ measure how alike the two rankings of those tags are (1: the same order, 0: unrelated, -1: reversed); '
        + 'the top-k overlap is the share of one model\'s k strongest shared tags that are also among the other\'s.' }));
    this.markOwn();
  }
}
