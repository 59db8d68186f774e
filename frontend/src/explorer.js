// The explorer: one object owns the view state (mirrored in the URL), the maps and their feeds
// (the order of requests and draws, feed.js), and hands every part of the page what it needs.
// It reads data only through a data source (api.js: serverSource), so that another source (a
// static export, a notebook widget) can stand in for the server.

import { Analysis } from './analysis.js';
import { Audition, ListenPanel } from './audition.js';
import { query } from './api.js';
import { Player } from './audio.js';
import { ClusterLayer } from './clusters.js';
import { Controls } from './controls.js';
import { DensityLayer } from './density.js';
import { debounce, el, plural } from './dom.js';
import { ExpressionControls } from './expression.js';
import { MapFeed } from './feed.js';
import { PathPanel } from './pathview.js';
import { PlacePanel } from './place.js';
import { Progressive } from './progressive.js';
import { highlightStamp, loadHighlight } from './highlight.js';
import { linkedIndex, linkedSelection } from './link.js';
import { SemanticZoom } from './lod.js';
import { Plot } from './plot.js';
import { SelectionPanel } from './selection.js';
import { SimilarPanel } from './similar.js';
import { StructureControls } from './structure.js';
import { TrustLayer } from './trust.js';
import { axisTitle, checkState, fromURL, plotKey, plotSpec, selectionParams, writeURL } from './state.js';

const TOOLS = [['pan', 'pan & zoom'], ['lasso', 'lasso'], ['box', 'box']];

export class Explorer {
  // source: a data source (api.js); hook: window.tagscape, what tests and benchmarks read;
  // layout: the page's parts (main.js): slots {controls, analyse, similar}, plotArea, dock, stage,
  // playerBar, statusBar, errorBar, noticeBar, noticeText, tooltip.
  constructor({ source, hook, layout }) {
    this.source = source;
    this.hook = hook;
    this.layout = layout;
    this.clientId = Math.random().toString(36).slice(2, 10);
    this.state = fromURL();
    this.catalog = null;
    this.plots = [];
    this.feeds = []; // feeds[i]: plot i's requests and draws, in order (feed.js)
    this.tool = 'pan';
    this.loading = 0;
    this.writeUrlSoon = debounce(() => writeURL(this.state), 250);
    this.handlers = this.plotHandlers();
  }

  async start() {
    const { hook, layout } = this;
    document.body.dataset.loading = '0';
    try {
      this.catalog = await this.source.json('models');
    } catch (error) {
      this.showError(`Cannot load the models: ${error.message}`);
      return;
    }
    const extracted = this.catalog.models.filter((m) => m.extracted);
    if (!extracted.length) {
      this.showError('No model results in this collection yet: run tagscape extract, then reload.');
      return;
    }
    const preferred = extracted.find((m) => m.model_id === 'musicnn-mtt') || extracted[0];
    // Values the URL names that do not exist here (a typo, a model not extracted): the defaults, said.
    const checked = checkState(this.state, this.catalog, preferred.model_id);
    this.state = checked.state;
    if (!this.state.model) this.state.model = preferred.model_id;
    if (!this.state.model2) this.state.model2 = (extracted.find((m) => m.model_id !== this.state.model) || extracted[0]).model_id;
    const update = (patch) => this.update(patch);
    this.controls = new Controls(layout.slots.controls, this.catalog, update);
    this.structure = new StructureControls(layout.slots.controls, update);
    this.expressions = new ExpressionControls(this.controls.maps, this.catalog, update);
    const restyle = () => this.restyle();
    const onBusy = (delta) => this.setLoading(delta);
    this.clusters = new ClusterLayer({ source: this.source, client: this.clientId, onAnswer: restyle, onBusy, selectPoints: (plot, points) => this.selectPoints(plot, points) });
    this.trust = new TrustLayer({ source: this.source, onAnswer: restyle, onBusy });
    this.density = new DensityLayer();
    this.lod = new SemanticZoom({
      source: this.source, client: this.clientId, onBusy,
      onSegment: (plot, segments, j, kind, event) => this.openedSegment(plot, segments, j, kind, event),
      onLeave: () => {
        this.layout.tooltip.hidden = true;
      },
    });
    this.progressive = new Progressive({ source: this.source, client: this.clientId, tracks: this.catalog.collection.tracks });
    this.player = new Player(layout.playerBar);
    this.selection = new SelectionPanel(this.controls.selectionBox, {
      onClear: () => {
        for (const plot of this.plots) plot.deselect();
        this.selection.show(null, []);
      },
    });
    this.renderTools(this.controls.tool);
    this.analysis = new Analysis({ source: this.source, dock: layout.dock, stage: layout.stage, plotArea: layout.plotArea, slot: layout.slots.analyse,
      catalog: this.catalog, player: this.player, plots: () => this.plots, getState: () => this.state, update });
    this.similar = new SimilarPanel(layout.slots.similar, { player: this.player });
    this.similar.plots = () => this.plots;
    // Listening through (issue 17): continuous audition, a placed file, paths between tracks.
    this.audition = new Audition(layout.playerBar, { plots: () => this.plots, onStart: () => this.player.stop() });
    this.listen = new ListenPanel(layout.slots.listen, this);
    this.place = new PlacePanel(layout.slots.listen, this);
    this.paths = new PathPanel(layout.slots.listen, this);
    Object.assign(hook, { audition: this.audition, place: this.place, paths: this.paths });
    Object.assign(hook, { analysis: this.analysis, similar: this.similar, player: this.player, selection: this.selection, state: () => this.state, explorer: this });
    this.update({ __restore: true });
    this.showNotice(checked.notices);
    hook.ready = true;
    // Filter suggestions can wait until the first map is on screen.
    this.idle().then(() => this.source.json('facets').then((facets) => this.controls.setFacets(facets)).catch(() => {}));
  }

  // -- the state ------------------------------------------------------------------------

  // Apply a patch of the state: each plot's feed requests new points, redraws or restyles, as the
  // new state needs (and drops what an older state asked for).
  update(patch = {}) {
    const restore = !!patch.__restore;
    if (!restore) this.showNotice([]);
    let state = { ...this.state, ...patch };
    delete state.__restore;
    const fix = this.controls.render(state);
    if (fix) state = { ...state, ...fix };
    this.state = state;
    this.ensurePlots();
    writeURL(state);
    loadHighlight(state, () => this.update({})); // a track's-own-tag highlight: restyled when its tracks are known
    this.structure.render(state);
    for (const plot of this.plots) plot.scheduleOverlay(); // e.g. the density layer turned on or off (density.js)
    this.expressions.render(state);
    this.plots.forEach((plot, i) => {
      this.clusters.want(i, this.requestParams(i), state);
      this.trust.want(i, this.requestParams(i), state);
    });
    this.feeds.forEach((feed, i) => feed.want(this.wantedView(i), { view: restore ? state[plotKey('view', i)] || null : null }));
    this.controls.setHighlightValues(this.plots[0], state);
    for (const plot of this.plots) plot.setMouseMode(this.tool);
    this.analysis.render(state);
  }

  hasTag(index, tag) {
    const model = this.catalog.models.find((m) => m.model_id === this.state[plotKey('model', index)]);
    return !!tag && !!model?.tags?.includes(tag);
  }

  // The /api/points parameters of a plot; the same track selection for both plots.
  requestParams(index) {
    const { state } = this;
    const spec = plotSpec(state, index);
    const params = { model: spec.model, layer: spec.layer, projection: spec.proj, x: spec.x, y: spec.y, ...selectionParams(state) };
    if (state.mode === 'averages') params.mode = 'averages';
    if (state.color === 'tag' && this.hasTag(index, state.ctag)) params.value = state.ctag;
    if (state.hl === 'tag' && this.hasTag(index, state.hlv)) params.rank = state.hlv;
    Object.assign(params, this.expressions?.params(state, index)); // tag-expression axes (expression.js)
    return params;
  }

  // The axis titles of plot `index` when it has no points (the server then echoes "0" and "1").
  emptyAxisTitles(index) {
    const spec = plotSpec(this.state, index);
    const layer = this.catalog.models.find((m) => m.model_id === spec.model)?.layers.find((l) => l.name === spec.layer);
    return [axisTitle(spec.proj, spec.x, 0, layer?.labels), axisTitle(spec.proj, spec.y, 1, layer?.labels)];
  }

  // What plot `index` should show now: its feed requests and draws it (in order, latest wins).
  wantedView(index) {
    const { state } = this;
    const params = this.requestParams(index);
    const proj = state[plotKey('proj', index)];
    return {
      key: query(params),
      params,
      state,
      layout: `${state.mode}|${state.logx}|${state.logy}`,
      style: `${state.color}|${state.ctag}|${state.hl}|${state.hlv}|${highlightStamp(state)}|${state.clusters}|${this.clusters.stamp(index)}|${this.trust.stamp(index)}`,
      axisTitles: this.emptyAxisTitles(index),
      loadingText: proj === 'tsne' || proj === 'umap' ? 'Loading… (a t-SNE / UMAP map is computed on first use: this can take a while)' : 'Loading…',
    };
  }

  // -- maps and their feeds -------------------------------------------------------------

  makeFeed(plot) {
    const index = plot.index;
    let started = 0;
    let received = 0;
    return new MapFeed(plot, {
      fetch: async (params, options) => {
        started = performance.now();
        const preview = this.progressive.begin(plot, params, this.state, options); // a first frame of a large map (progressive.js)
        let data;
        try {
          data = await this.source.points({ ...params, client: `${this.clientId}-${index}` }, options);
        } catch (error) {
          preview.end();
          this.expressionRefused(index, params, error);
          throw error;
        }
        received = performance.now();
        await preview.ready(); // a first frame about to come is drawn before the whole map keeps the page busy
        data.requestParams = params; // what asks the server more about this map (clusters.js, trust.js)
        data.firstFrame = preview; // ended when these points are drawn (onDrawn)
        return data;
      },
      onBusy: (delta) => this.setLoading(delta),
      onError: (message) => {
        this.hook.errors.push(message);
        this.showError(message);
      },
      // Everything a map says about itself, from what it drew (with the state it drew).
      onDrawn: (drawn, data, drawnState, fresh) => {
        if (fresh) {
          data.firstFrame?.end(); // the whole map replaces its first frame
          this.hook.timings[index] = { started, received, drawn: performance.now(), points: data.length, server: data.meta.server_seconds };
          drawn.setTitle(`${data.meta.model} · ${data.meta.layer} · ${data.meta.projection}`);
          this.trust.title(drawn, data);
          this.controls.maps[index].setExplained(data.meta.explained_variance, drawnState);
          this.markComputed(data.meta);
          this.analysis.pointsLoaded(drawn, drawnState);
          this.place.mapsChanged();
        }
        if (index === 0) this.controls.setHighlightValues(drawn, drawnState);
        this.showError('');
        this.updateStatus();
      },
    });
  }

  // A map the server just computed is no longer "missing" in the catalog: stored for the whole
  // collection ('offline'), or computed on demand for these tracks and cached (the panel's
  // "not computed yet: the first view computes it" would be stale either way).
  markComputed(meta) {
    if (meta.source !== 'offline' && meta.source !== 'on-demand') return;
    const layer = this.catalog.models.find((m) => m.model_id === meta.model)?.layers.find((l) => l.name === meta.layer);
    const entry = layer?.projections[meta.projection];
    const now = meta.source === 'offline' ? 'fresh' : 'on-demand';
    if (!entry || entry.offline === now) return;
    entry.offline = now;
    for (const [i, map] of this.controls.maps.entries()) if (i === 0 || this.state.compare) map.render(this.state);
  }

  ensurePlots() {
    const wanted = this.state.compare ? 2 : 1;
    const { plots, feeds } = this;
    while (plots.length < wanted) {
      const plot = new Plot(this.layout.plotArea, plots.length, this.handlers);
      // A placed file's segments answer the pointer before the points beneath them (place.js).
      plot.frame.addEventListener('pointermove', (event) => this.place.pointer(plot, event, 'move'), true);
      plot.frame.addEventListener('click', (event) => this.place.pointer(plot, event, 'click'), true);
      // So do the segments of track averages opened by zooming in (lod.js).
      plot.frame.addEventListener('pointermove', (event) => this.lod.pointer(plot, event, 'move'), true);
      plot.frame.addEventListener('click', (event) => this.lod.pointer(plot, event, 'click'), true);
      plots.push(plot);
      feeds.push(this.makeFeed(plot));
    }
    while (plots.length > wanted) {
      const plot = plots.pop();
      feeds.pop().destroy();
      this.clusters.drop(plots.length);
      this.trust.drop(plots.length);
      plot.scatterplot.destroy();
      plot.root.remove();
      if (this.selection.plot === plot) this.selection.show(null, []);
    }
    const changed = this.layout.plotArea.classList.contains('two') !== (plots.length === 2);
    this.layout.plotArea.classList.toggle('two', plots.length === 2);
    if (changed) this.analysis?.sizer.apply(); // the maps' width changed: the dock may have to give way
    this.hook.plots = plots;
  }

  otherPlot(plot) {
    return this.plots.find((p) => p !== plot) || null;
  }

  // What a map's pointer does: hover plays and links, click opens, lasso selects, moves go to the URL.
  plotHandlers() {
    return {
      onHover: (plot, i) => {
        if (plot.pointerOnLabel) return; // a cluster's name over the point (clusters.js): not the point
        this.hook.hovered = { plot: plot.index, index: i, at: performance.now() };
        this.showTooltip(plot, i);
        const other = this.otherPlot(plot);
        if (other) {
          const j = linkedIndex(plot.data, i, other.data);
          other.showHover(other.onScreen(j) ? j : null);
        }
        if (this.state.listen === 'hover') this.playPoint(plot, i);
        this.trust.hover(plot, i, this.state);
      },
      onOut: (plot) => {
        this.layout.tooltip.hidden = true;
        this.trust.hover(plot, null, this.state);
        this.otherPlot(plot)?.showHover(null);
      },
      onClick: (plot, i) => {
        if (this.state.listen === 'click') this.playPoint(plot, i);
        this.analysis.openFromPoint(plot, i);
        this.similar.setSource(plot, i);
        this.listen.setClicked(plot, i);
        this.paths.setClicked(plot, i);
      },
      onSelect: (plot, points) => {
        const other = this.otherPlot(plot);
        if (other) {
          if (points.length) other.select(linkedSelection(plot.data, points, other.data));
          else other.deselect();
        }
        this.selection.show(plot, points);
      },
      onOverlay: (plot, ctx, width, height) => {
        this.density?.draw(ctx, plot, this.state.density);
        this.lod?.draw(ctx, plot, width, height);
        this.similar?.draw(ctx, plot, width, height);
        this.place?.draw(ctx, plot, width, height);
        this.paths?.draw(ctx, plot);
        this.audition?.draw(ctx, plot);
        this.trust?.draw(ctx, plot);
        this.clusters?.draw(plot, width, height);
      },
      // colour modes asked of the server about the map (clusters, neighbourhood preservation)
      opened: (plot) => !!this.lod?.opened(plot),
      colors: (plot, data, state) => this.clusters?.colors(plot, data, state) || this.trust?.colors(plot, data, state) || null,
      onView: (plot) => {
        const view = plot.getView();
        this.state = { ...this.state, [plotKey('view', plot.index)]: view === '0.0000,0.0000,1.0000' ? '' : view };
        this.writeUrlSoon();
      },
    };
  }

  // Select points of a map as a lasso would (e.g. a cluster's, clusters.js): this map, the other, the panel.
  selectPoints(plot, points) {
    plot.select(points);
    this.handlers.onSelect(plot, points);
  }

  // The server refused a map's axis expressions (a 400): drawn on the tag axes instead, said in a
  // notice (unless the controls have moved on meanwhile).
  expressionRefused(index, params, error) {
    if (error.status !== 400 || !(params.x_expr || params.y_expr)) return;
    setTimeout(() => {
      const now = this.requestParams(index);
      if (now.x_expr !== params.x_expr || now.y_expr !== params.y_expr) return;
      const { patch, notice } = this.expressions.refused(this.state, index, error.message);
      this.update(patch);
      this.showNotice([notice]);
    }, 0);
  }

  // Restyle every map with what is known now (an answer about a map arrived): the feeds redraw
  // what changed, in order.
  restyle() {
    if (!this.feeds.length) return;
    this.feeds.forEach((feed, i) => feed.want(this.wantedView(i)));
  }

  playPoint(plot, i) {
    // a continuous audition, a placed segment or an opened segment on top plays instead
    if (this.audition.active || this.place.hovered || this.lod.hovered) return;
    this.playInfo(plot.data.info(i), plot.data.meta.model);
  }

  playInfo(s, model) {
    this.player.play({ trackId: s.trackId, segment: s.segment, start: s.start, end: s.end, model, info: s });
  }

  // An opened segment of a track average (lod.js) under the pointer: a point of the map's segments.
  openedSegment(plot, segments, j, kind, event) {
    const s = segments.info(j);
    this.hook.hovered = { plot: plot.index, opened: j, trackId: s.trackId, segment: s.segment, at: performance.now() };
    const box = plot.frame.getBoundingClientRect();
    this.showTooltipAt(s, event.clientX - box.left, event.clientY - box.top, box);
    const listen = this.state.listen;
    if (!this.audition.active && !this.place.hovered && ((kind === 'move' && listen === 'hover') || (kind === 'click' && listen === 'click'))) {
      this.playInfo(s, segments.meta.model);
    }
  }

  showTooltip(plot, i) {
    if (this.place.hovered || this.lod.hovered) return; // the placed file's or an opened segment's own tooltip
    const [x, y] = plot.screenPosition(i);
    this.showTooltipAt(plot.data.info(i), x, y, plot.frame.getBoundingClientRect());
  }

  showTooltipAt(s, x, y, box) {
    const { tooltip } = this.layout;
    tooltip.replaceChildren(el('b', { text: s.title }), el('div', { text: [s.artist, s.album].filter(Boolean).join(' — ') }),
      el('div', { class: 'tt-time', text: s.end === null ? 'track average' : `segment ${s.segment + 1} · ${s.start.toFixed(2)}–${s.end.toFixed(2)} s` }));
    tooltip.style.left = `${box.left + window.scrollX + x + 12}px`;
    tooltip.style.top = `${box.top + window.scrollY + y + 12}px`;
    tooltip.hidden = false;
  }

  renderTools(container) {
    container.replaceChildren(el('div', { class: 'radios tools' }, TOOLS.map(([value, label]) => el('label', {},
      el('input', { type: 'radio', name: 'tool', value, checked: this.tool === value, onchange: () => {
        this.tool = value;
        for (const plot of this.plots) plot.setMouseMode(value);
      } }), ` ${label}`))),
    el('div', { class: 'hint', text: 'Wheel: zoom · drag: pan · double-click: reset · shift+drag: lasso · Esc: clear selection' }));
  }

  // -- what the page says -----------------------------------------------------------------

  updateStatus() {
    const { plots, catalog } = this;
    const parts = plots.map((plot, i) => {
      const meta = plot.data?.meta;
      if (!meta) return '';
      const what = meta.mode === 'averages'
        ? `${plural(meta.n_tracks, 'track')} (${meta.n_tracks === 1 ? 'average' : 'averages'} of ${plural(meta.n_segments, 'segment')})`
        : `${plural(meta.n_tracks, 'track')} · ${plural(meta.n_segments, 'segment')}`;
      return `${plots.length > 1 ? `map ${i + 1}: ` : ''}${what}`;
    }).filter(Boolean);
    const total = plots[0]?.data?.meta.tracks_total ?? catalog.collection.tracks;
    this.layout.statusBar.textContent = `${parts.join(' | ')} of ${plural(total, 'track')} in ${catalog.collection.name}`;
  }

  showError(message) {
    this.layout.errorBar.textContent = message;
    this.layout.errorBar.hidden = !message;
  }

  // What the page did instead of what its URL asked (an unknown colour, model, ...): said once,
  // until the next change of the controls.
  showNotice(messages) {
    this.layout.noticeText.textContent = messages.join(' ');
    this.layout.noticeBar.hidden = !messages.length;
  }

  // The page's count of work under way (requests and draws): body[data-loading], what tests wait on.
  setLoading(delta) {
    this.loading += delta;
    this.hook.loading = this.loading;
    document.body.dataset.loading = String(this.loading);
    document.body.classList.toggle('busy', this.loading > 0);
  }

  idle() {
    return new Promise((resolve) => {
      const check = () => (this.loading ? setTimeout(check, 50) : resolve());
      check();
    });
  }
}
