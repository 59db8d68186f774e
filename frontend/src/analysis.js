// Tag analysis in the explorer: a dock under the maps with the track view, the tag view, the
// correlation matrix and ground truth; the tag-pair correlation on an original-axes map; and the
// analysed track's trajectory with the playing segment marked on every map. Which view is open
// is part of the URL state (pane, ptrack, ptag, pk, pmodel, pmethod).

import './analysis.css';
import { query } from './api.js';
import { DockSizer } from './dock.js';
import { el, options, plural } from './dom.js';
import { MatrixView } from './matrix.js';
import { TagView } from './tagview.js';
import { TrackView } from './trackview.js';
import { TruthView } from './truth.js';
import { plotKey, selectionParams } from './state.js';

const PANES = [['track', 'track'], ['tag', 'tag'], ['matrix', 'correlations'], ['truth', 'ground truth']];
const CLICK_SLOP = 4; // pixels a pointer may move and still count as a click, not a drag

export class Analysis {
  // dock: the dock element under the maps (in stage, beside plotArea); slot: the panel's place
  // for this section's buttons.
  constructor({ source, dock, stage, plotArea, slot, catalog, player, plots, getState, update }) {
    this.source = source; // the data source (api.js)
    this.catalog = catalog;
    this.player = player;
    this.plots = plots; // () => the plots
    this.getState = getState;
    this.update = update;
    this.mark = { trackId: null, seconds: null };
    this.pairRequests = new Map();

    this.trackView = new TrackView({ player, onTag: (tag) => this.update({ pane: 'tag', ptag: tag }), onMark: (trackId, seconds) => this.setMark(trackId, seconds) });
    this.tagView = new TagView({ source, player, onTrack: (trackId) => this.update({ pane: 'track', ptrack: String(trackId) }), onChange: (patch) => this.update(patch) });
    this.matrixView = new MatrixView({ source, onPair: (model, x, y) => this.openPair(model, x, y), onChange: (patch) => this.update(patch) });
    this.truthView = new TruthView({ source, onTag: (tag) => this.update({ pane: 'tag', ptag: tag }) });

    this.tabs = el('div', { class: 'dock-tabs', role: 'tablist' });
    this.model = el('select', { id: 'analysis-model', onchange: () => this.update({ pmodel: this.model.value }) });
    this.close = el('button', { type: 'button', id: 'close-dock', class: 'dock-close', text: '×', title: 'close', onclick: () => this.update({ pane: '' }) });
    this.body = el('div', { class: 'dock-body' });
    this.dock = dock;
    this.sizer = new DockSizer({ dock, stage, plots: plotArea });
    dock.append(this.sizer.handle, el('div', { class: 'dock-head' }, this.tabs, el('label', { class: 'dock-model' }, 'model ', this.model), this.sizer.toggle, this.close), this.body);

    // Entry points in the control panel.
    this.openTrack = el('button', { type: 'button', id: 'open-track', text: 'track view', disabled: true, title: 'the track playing now',
      onclick: () => this.player.current && this.update({ pane: 'track', ptrack: String(this.player.current.trackId) }) });
    slot.replaceChildren(el('section', { class: 'ctl', id: 'analyse' }, el('h2', { text: 'Analyse tags' }),
      el('div', { class: 'an-buttons' }, this.openTrack,
        el('button', { type: 'button', id: 'open-tag', text: 'tag view', onclick: () => this.update({ pane: 'tag' }) }),
        el('button', { type: 'button', id: 'open-matrix', text: 'correlations', onclick: () => this.update({ pane: 'matrix' }) }),
        el('button', { type: 'button', id: 'open-truth', text: 'ground truth', onclick: () => this.update({ pane: 'truth' }) })),
      el('div', { class: 'hint', text: 'Click a point (without dragging) to open its track.' })));
    player.audio.addEventListener('play', () => {
      this.openTrack.disabled = !this.player.current;
    });

    // A click on a point opens its track view; a drag (pan, lasso) does not.
    this.travel = Infinity;
    document.addEventListener('pointerdown', (event) => {
      this.down = [event.clientX, event.clientY];
      this.travel = 0;
    }, true);
    document.addEventListener('pointermove', (event) => {
      if (this.down) this.travel = Math.max(this.travel, Math.hypot(event.clientX - this.down[0], event.clientY - this.down[1]));
    }, true);
    document.addEventListener('pointerup', () => {
      this.down = null;
    }, true);
  }

  taggers() {
    return this.catalog.models.filter((m) => m.extracted && m.tags && m.tags.length);
  }

  // The model the dock analyses: the chosen one, else the first map's, else any with tags.
  modelFor(state) {
    const taggers = this.taggers();
    return taggers.find((m) => m.model_id === state.pmodel) || taggers.find((m) => m.model_id === state.model) || taggers[0] || null;
  }

  openFromPoint(plot, i, event) {
    if (this.travel > CLICK_SLOP || event?.shiftKey) return;
    const { data } = plot;
    const trackId = data.trackIdOf(i);
    const patch = { pane: 'track', ptrack: String(trackId) };
    if (this.taggers().some((m) => m.model_id === data.meta.model)) patch.pmodel = data.meta.model;
    this.update(patch);
  }

  openPair(model, x, y) {
    this.update({ model, layer: 'taggrams', proj: 'original', x, y, view: '' });
  }

  // Show the state: which pane, for which model / track / tag.
  render(state) {
    const pane = PANES.some(([id]) => id === state.pane) ? state.pane : '';
    const opened = !!pane && this.dock.hidden;
    this.dock.hidden = !pane;
    document.body.classList.toggle('dock-open', !!pane);
    if (opened) this.sizer.apply();
    this.tabs.replaceChildren(...PANES.map(([id, label]) => el('button', { type: 'button', role: 'tab', class: id === pane ? 'active' : '', dataset: { pane: id }, text: label,
      onclick: () => this.update({ pane: id }) })));
    const model = this.modelFor(state);
    this.trackView.active = pane === 'track' && !!model;
    options(this.model, this.taggers().map((m) => [m.model_id, m.model_id]), model?.model_id);
    if (!pane) {
      this.shown = '';
      this.setMark(null, null);
      return;
    }
    if (!model) {
      this.body.replaceChildren(el('p', { class: 'muted', text: 'None of the extracted models has a taggrams layer (tag activations): tag analysis needs a tagger such as MusiCNN or VGG. Models without tags still work in the maps and for similar music.' }));
      this.shown = 'none';
      return;
    }
    const view = { track: this.trackView, tag: this.tagView, matrix: this.matrixView, truth: this.truthView }[pane];
    if (this.shown !== pane) {
      this.body.replaceChildren(view.root);
      this.shown = pane;
    }
    if (pane === 'track') {
      if (state.ptrack === '') {
        this.trackView.key = '';
        this.trackView.title.replaceChildren(el('span', { class: 'muted', text: 'Click a point of the map (or a row of the tag view) to open its track here.' }));
        this.trackView.heat.hidden = true;
        this.trackView.agreement.replaceChildren();
      } else {
        this.trackView.show(Number(state.ptrack), model.model_id);
        this.trackView.follow();
      }
    } else if (pane === 'tag') {
      this.tagView.show(model.model_id, model.tags.includes(state.ptag) ? state.ptag : '', Number(state.pk) || 20, model.tags);
    } else if (pane === 'matrix') {
      this.matrixView.show(model.model_id, state.pmethod === 'spearman' ? 'spearman' : 'pearson');
    } else {
      this.truthView.show(model.model_id);
    }
    if (pane !== 'track') this.setMark(null, null);
  }

  // -- on the maps ----------------------------------------------------------------------

  setMark(trackId, seconds) {
    if (this.mark.trackId === trackId && this.mark.seconds === seconds) return;
    this.mark = { trackId, seconds };
    for (const plot of this.plots()) {
      plot.decorate = (ctx, p, width, height) => drawTrackPath(ctx, p, this.mark, width, height);
      plot.scheduleOverlay();
    }
  }

  // After a map's points arrive: the tag-pair correlation when its axes are two tags.
  pointsLoaded(plot, state) {
    plot.decorate = (ctx, p, width, height) => drawTrackPath(ctx, p, this.mark, width, height);
    plot.scheduleOverlay();
    const box = plot.pairStats || (plot.pairStats = el('span', { class: 'pair-stats' }));
    if (box.parentNode !== plot.title) plot.title.append(box); // setTitle() replaced the title's content
    box.textContent = '';
    box.hidden = true;
    const drawn = plot.data?.meta;
    if (drawn?.axis_expressions && drawn.correlation) { // axes of tag expressions (expression.js): the server's r and rho of the two
      const c = drawn.correlation;
      box.textContent = `Pearson r = ${num(c.pearson)} · Spearman ρ = ${num(c.spearman)} (${plural(c.n, drawn.mode === 'averages' ? 'track' : 'segment')})`;
      Object.assign(box.dataset, { pearson: String(c.pearson), spearman: String(c.spearman) });
      box.hidden = false;
      return;
    }
    const index = plot.index;
    const spec = { model: state[plotKey('model', index)], layer: state[plotKey('layer', index)], proj: state[plotKey('proj', index)] };
    const model = this.taggers().find((m) => m.model_id === spec.model);
    if (!model || spec.layer !== 'taggrams' || spec.proj !== 'original') return;
    const tagOf = (value) => (/^\d+$/.test(String(value)) ? model.tags[Number(value)] : value);
    const x = tagOf(state[plotKey('x', index)]);
    const y = tagOf(state[plotKey('y', index)]);
    if (!model.tags.includes(x) || !model.tags.includes(y)) return;
    const params = { model: model.model_id, x, y, mode: state.mode === 'averages' ? 'averages' : 'segments', ...selectionParams(state) };
    const key = query(params);
    this.pairRequests.set(index, key);
    this.source.json('correlations', params).then((body) => {
      if (this.pairRequests.get(index) !== key) return;
      const what = plural(body.n, body.mode === 'averages' ? 'track' : 'segment');
      box.textContent = `Pearson r = ${num(body.pearson)} · Spearman ρ = ${num(body.spearman)} (${what})`;
      box.dataset.pearson = String(body.pearson);
      box.dataset.spearman = String(body.spearman);
      box.hidden = false;
    }).catch((error) => {
      box.textContent = `correlation: ${error.message}`;
      box.hidden = false;
    });
  }
}

function num(value) {
  return value === null ? 'undefined (a constant tag)' : value.toFixed(3);
}

// The analysed track's trajectory on a map, and a ring on the segment that is playing.
export function drawTrackPath(ctx, plot, mark, width, height) {
  plot.marked = null;
  if (mark.trackId === null || !plot.data) return;
  const t = plot.data.trackIndex.get(mark.trackId);
  if (t === undefined) return;
  const { xScale, yScale, nx, ny } = plot;
  const { trackStart } = plot.data;
  const first = trackStart[t];
  const last = trackStart[t + 1] - 1;
  ctx.save();
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
  ctx.lineWidth = 2;
  ctx.lineJoin = 'round';
  if (plot.mode !== 'averages' && last > first) {
    ctx.beginPath();
    ctx.moveTo(xScale(nx[first]), yScale(ny[first]));
    for (let i = first + 1; i <= last; i++) ctx.lineTo(xScale(nx[i]), yScale(ny[i]));
    ctx.stroke();
  }
  let point = first;
  let segment = null;
  if (mark.seconds !== null && plot.mode !== 'averages') {
    segment = Math.min(last - first, Math.floor(mark.seconds / plot.data.meta.segment_seconds));
    point = first + segment;
  }
  const px = xScale(nx[point]);
  const py = yScale(ny[point]);
  if (px > -20 && px < width + 20 && py > -20 && py < height + 20) {
    ctx.strokeStyle = '#ffe14d';
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.arc(px, py, mark.seconds === null ? 5 : 8, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
  plot.marked = { track: mark.trackId, segment, point };
}
