// One map: regl-scatterplot for the points (zoom, pan, hover, lasso), a 2D overlay for axes,
// trajectories and averages, axis titles, a legend, and a message layer (loading, errors).

import KDBush from 'kdbush';
import createScatterplot from 'regl-scatterplot';
import { BACKGROUND, encodeColors, highlightMask } from './colors.js';
import { el } from './dom.js';
import { Legend } from './legend.js';
import { TRAJECTORY_LIMIT, drawAverages, drawTicks, drawTrajectories, trajectoryTracks } from './overlay.js';
import { Axis, linearScale } from './scales.js';

const PERFORMANCE_MODE_ABOVE = 2_000_000;

function pointSizeFor(n, mode) {
  if (mode === 'averages') return 6;
  if (n <= 2000) return 6;
  if (n <= 20000) return 4;
  if (n <= 200000) return 2.5;
  if (n <= 1_500_000) return 1.5;
  return 1;
}

function opacityFor(n) {
  if (n <= 20000) return 0.9;
  if (n <= 200000) return 0.7;
  return 0.5;
}

export class Plot {
  constructor(container, index, handlers) {
    this.index = index;
    this.handlers = handlers;
    this.data = null;
    this.hovered = null;
    this.selected = [];
    this.selectedTracks = [];
    this.performanceMode = false;
    this.canvas = el('canvas', { class: 'points' });
    this.overlay = el('canvas', { class: 'overlay' });
    this.message = el('div', { class: 'message', hidden: true });
    this.frame = el('div', { class: 'frame' }, this.canvas, this.overlay, this.message);
    this.title = el('div', { class: 'plot-title' });
    this.xLabel = el('div', { class: 'axis-title x' });
    this.yLabel = el('div', { class: 'axis-title y' });
    this.legend = el('div', { class: 'legend' });
    this.legendView = new Legend(this.legend);
    this.note = el('div', { class: 'plot-note' });
    this.root = el('section', { class: 'plot', dataset: { plot: String(index) } }, this.title, this.frame, this.yLabel, this.xLabel, this.legend, this.note);
    container.append(this.root);
    this.width = 400;
    this.height = 300;
    this.xScale = linearScale();
    this.yScale = linearScale();
    this.createRenderer(false);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.frame);
    this.canvas.addEventListener('click', () => {
      if (this.hovered !== null && this.onScreen(this.hovered)) this.handlers.onClick?.(this, this.hovered);
    });
    this.canvas.addEventListener('dblclick', () => this.resetView());
    this.overlayPending = false;
  }

  createRenderer(performanceMode) {
    if (this.scatterplot) this.scatterplot.destroy();
    this.performanceMode = performanceMode;
    const { width, height } = this.frame.getBoundingClientRect();
    this.width = Math.max(50, width || this.width);
    this.height = Math.max(50, height || this.height);
    this.xScale = linearScale();
    this.yScale = linearScale();
    const sp = createScatterplot({
      canvas: this.canvas,
      width: this.width,
      height: this.height,
      aspectRatio: this.width / this.height,
      backgroundColor: BACKGROUND,
      xScale: this.xScale,
      yScale: this.yScale,
      pointSize: 4,
      pointColorHover: '#ffffff',
      pointColorActive: '#ffe14d',
      pointSizeSelected: 2,
      pointOutlineWidth: 1,
      opacityInactiveScale: 0.6,
      lassoColor: [1, 0.88, 0.3, 1],
      lassoMinDelay: 10,
      lassoMinDist: 2,
      deselectOnDblClick: false,
      deselectOnEscape: true,
      lassoOnLongPress: false,
      performanceMode,
      syncEvents: true,
    });
    sp.subscribe('pointOver', (i) => {
      // During a redraw the renderer may still report an index of the points it drew before.
      if (!this.onScreen(i)) return;
      this.hovered = i;
      this.handlers.onHover?.(this, i);
    });
    sp.subscribe('pointOut', (i) => {
      if (this.hovered === i) this.hovered = null;
      this.handlers.onOut?.(this, i);
    });
    sp.subscribe('lassoEnd', () => {
      this.lassoEndedAt = performance.now();
    });
    sp.subscribe('select', ({ points }) => {
      // A lasso closed where it started ends with a "click" that would select just one point:
      // keep the lasso's selection instead.
      if (points.length === 1 && this.selected.length > 1 && performance.now() - (this.lassoEndedAt || -1e9) < 400) {
        sp.select(this.selected, { preventEvent: true });
        return;
      }
      this.setSelected(points, true);
    });
    sp.subscribe('deselect', () => this.setSelected([], true));
    sp.subscribe('view', () => {
      this.scheduleOverlay();
      this.handlers.onView?.(this);
    });
    this.scatterplot = sp;
  }

  resize() {
    const { width, height } = this.frame.getBoundingClientRect();
    if (width < 10 || height < 10 || (Math.abs(width - this.width) < 1 && Math.abs(height - this.height) < 1)) return;
    this.width = width;
    this.height = height;
    this.scatterplot.set({ width, height, aspectRatio: width / height });
    this.scheduleOverlay();
  }

  setTitle(text) {
    this.title.textContent = text;
  }

  showMessage(text, kind = 'info') {
    this.message.hidden = false;
    this.message.className = `message ${kind}`;
    this.message.replaceChildren(kind === 'loading' ? el('span', { class: 'spinner' }) : '', el('span', { text }));
  }

  hideMessage() {
    this.message.hidden = true;
  }

  // The message a map's own points call for: none, or that there are none.
  showDataMessage() {
    if (this.data && this.data.x.length === 0) this.showMessage('No points: no track matches the filters, or none has results for this model.', 'empty');
    else this.hideMessage();
  }

  // New points (a Points, points.js): normalise, colour, draw. Resolves once they are on screen.
  // Only one draw at a time may run (regl-scatterplot refuses another): feed.js sees to that.
  // axisTitles: those of an empty map (the server can only echo the axes it was asked for).
  async setData(data, state, { view = null, axisTitles = null } = {}) {
    const n = data.x.length;
    const wantPerformance = n > PERFORMANCE_MODE_ABOVE;
    if (wantPerformance !== this.performanceMode) this.createRenderer(wantPerformance);
    this.data = data;
    this.drawnData = null; // until these points are on screen (onScreen)
    this.hovered = null;
    this.selected = [];
    this.selectedTracks = [];
    // Averages: the axes cover every circle (mean ± spread), not only the means.
    const spread = data.meta.mode === 'averages' ? data.spread : null;
    this.axes = { x: new Axis(data.x, { log: !!state.logx, spread }), y: new Axis(data.y, { log: !!state.logy, spread }) };
    this.nx = this.axes.x.normalise(data.x);
    this.ny = this.axes.y.normalise(data.y);
    this.spatialIndex = n > 0 ? spatialIndex(this.nx, this.ny) : null;
    this.mode = data.meta.mode === 'averages' ? 'averages' : state.mode === 'trajectories' ? 'trajectories' : 'segments';
    const [xTitle, yTitle] = n === 0 && axisTitles ? axisTitles : data.meta.axis_labels;
    this.xLabel.textContent = `${xTitle}${this.axes.x.log ? ` (${this.axes.x.log})` : ''}`;
    this.yLabel.textContent = `${yTitle}${this.axes.y.log ? ` (${this.axes.y.log})` : ''}`;
    this.scatterplot.set({ pointSize: pointSizeFor(n, data.meta.mode), opacity: opacityFor(n) });
    if (n === 0) this.scatterplot.clear();
    this.showDataMessage();
    await this.restyle(state, { redrawPoints: n > 0 });
    this.drawnData = data;
    if (view) this.setView(view);
    else this.scatterplot.zoomToOrigin();
    this.drawOverlayNow();
  }

  // Colours, highlight and the overlay (no new data from the server).
  async restyle(state, { redrawPoints = true } = {}) {
    const data = this.data;
    if (!data) return;
    this.state = state;
    this.colors = this.handlers.colors?.(this, data, state) || encodeColors(data, state); // e.g. clusters (explorer.js)
    this.mask = highlightMask(data, state);
    const z = this.colors.z;
    if (this.mask) {
      for (let i = 0; i < z.length; i++) if (!this.mask[i]) z[i] = this.colors.grey;
    }
    this.scatterplot.set({ pointColor: this.colors.palette, colorBy: 'valueA' });
    this.renderLegend();
    if (redrawPoints && data.x.length > 0) {
      const options = { zDataType: 'categorical' };
      if (this.spatialIndex) options.spatialIndex = this.spatialIndex;
      if (this.selected.length) options.select = this.selected;
      await this.scatterplot.draw({ x: this.nx, y: this.ny, z }, options);
    }
    this.drawOverlayNow();
  }

  renderLegend() {
    this.legendView.show(this.colors.legend, this.mask ? this.colors.palette[this.colors.grey] : null);
  }

  scheduleOverlay() {
    if (this.overlayPending) return;
    this.overlayPending = true;
    requestAnimationFrame(() => {
      this.overlayPending = false;
      this.drawOverlayNow();
    });
  }

  drawOverlayNow() {
    const dpr = window.devicePixelRatio || 1;
    const { width, height } = this;
    if (this.overlay.width !== Math.round(width * dpr) || this.overlay.height !== Math.round(height * dpr)) {
      this.overlay.width = Math.round(width * dpr);
      this.overlay.height = Math.round(height * dpr);
    }
    const ctx = this.overlay.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    let note = '';
    const stats = { trajectories: 0, circles: 0 };
    if (this.data && this.data.x.length) {
      drawTicks(ctx, this, width, height);
      if (this.mode === 'trajectories') {
        const [tracks, message] = trajectoryTracks(this);
        stats.trajectories = drawTrajectories(ctx, this, tracks, width, height);
        note = message;
      } else if (this.mode === 'averages' && !this.handlers.opened?.(this)) { // zoomed in: segments instead (lod.js)
        stats.circles = drawAverages(ctx, this, width, height);
      }
    }
    if (this.decorate && this.data && this.data.x.length) this.decorate(ctx, this, width, height); // e.g. the analysed track (analysis.js)
    if (this.data && this.data.x.length) this.handlers.onOverlay?.(this, ctx, width, height); // e.g. similar music's rings (similar.js)
    this.overlayStats = stats;
    this.note.textContent = note;
    this.lastOverlayAt = performance.now();
  }

  // -- selection, hover, view ------------------------------------------------------------

  setSelected(points, fromUser) {
    this.selected = Array.from(points);
    const tracks = new Set();
    if (this.data) for (const i of this.selected) tracks.add(this.data.track[i]);
    this.selectedTracks = [...tracks];
    if (this.mode === 'trajectories' && this.data && this.data.x.length > TRAJECTORY_LIMIT) this.scheduleOverlay();
    if (fromUser) this.handlers.onSelect?.(this, this.selected);
  }

  select(points) {
    // From the other plot: show it here without echoing it back.
    this.scatterplot.select(points, { preventEvent: true });
    this.setSelected(points, false);
  }

  deselect() {
    this.scatterplot.deselect({ preventEvent: true });
    this.setSelected([], false);
  }

  showHover(index) {
    if (index === null || index === undefined) {
      this.scatterplot.hover(undefined, { preventEvent: true });
      this.linkedHover = null;
    } else {
      this.scatterplot.hover(index, { preventEvent: true, showReticleOnce: true });
      this.linkedHover = index;
    }
  }

  setMouseMode(mode) {
    if (mode === 'lasso' || mode === 'box') {
      this.scatterplot.set({ mouseMode: 'lasso', lassoType: mode === 'box' ? 'rectangle' : 'freeform' });
    } else {
      this.scatterplot.set({ mouseMode: 'panZoom', lassoType: 'freeform' });
    }
  }

  getView() {
    const [x, y] = this.scatterplot.get('cameraTarget');
    const d = this.scatterplot.get('cameraDistance');
    return `${x.toFixed(4)},${y.toFixed(4)},${d.toFixed(4)}`;
  }

  setView(text) {
    const parts = String(text).split(',').map(Number);
    if (parts.length !== 3 || parts.some((v) => !Number.isFinite(v)) || parts[2] <= 0) return;
    this.scatterplot.zoomToLocation([parts[0], parts[1]], parts[2]);
  }

  resetView() {
    this.scatterplot.zoomToOrigin();
    this.handlers.onView?.(this);
  }

  // Whether point i is one of the points on screen now: false while new points are being drawn
  // (the renderer still holds the old ones) or for an index past their end.
  onScreen(i) {
    return !!this.data && this.drawnData === this.data && Number.isInteger(i) && i >= 0 && i < this.data.x.length;
  }

  // Screen position (CSS pixels, relative to the canvas) of a point; for tests and tooltips.
  screenPosition(i) {
    return [this.xScale(this.nx[i]), this.yScale(this.ny[i])];
  }

  // The point index of a track's segment (or of the track, for averages), or -1 (Points.indexOf).
  indexOf(trackId, segment) {
    return this.data ? this.data.indexOf(trackId, segment) : -1;
  }

  // track id -> track index, and each track's first point (Points), of the points shown.
  get trackIndex() {
    return this.data?.trackIndex;
  }

  get trackStart() {
    return this.data?.trackStart;
  }
}

// The k-d tree regl-scatterplot searches for hover and lasso, built here from the typed arrays
// (the library would otherwise clone a million [x, y] arrays into a worker to build it).
function spatialIndex(x, y) {
  const index = new KDBush(x.length, 16, Float32Array);
  for (let i = 0; i < x.length; i++) index.add(x[i], y[i]);
  index.finish();
  return index.data;
}
