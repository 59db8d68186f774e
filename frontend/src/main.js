// The explorer: state in the URL, points from /api/points, one or two linked plots, sound.

import './style.css';
import { fetchPoints, getJSON } from './api.js';
import { Analysis } from './analysis.js';
import { Player } from './audio.js';
import { Controls } from './controls.js';
import { debounce, el } from './dom.js';
import { linkedIndex, linkedSelection } from './link.js';
import { Plot } from './plot.js';
import { SelectionPanel } from './selection.js';
import { SimilarPanel } from './similar.js';
import { fromURL, plotKey, plotSpec, selectionParams, writeURL } from './state.js';

const app = document.getElementById('app');
const clientId = Math.random().toString(36).slice(2, 10);

const hook = { ready: false, plots: [], timings: [], errors: [] };
window.tagscape = hook; // for the browser tests and bench/web.py

function waitIdle() {
  return new Promise((resolve) => {
    const check = () => (hook.loading ? setTimeout(check, 50) : resolve());
    check();
  });
}

function setLoading(delta) {
  hook.loading = (hook.loading || 0) + delta;
  document.body.dataset.loading = String(hook.loading);
  document.body.classList.toggle('busy', hook.loading > 0);
}

// Redrawing a million points takes a moment too: count it as work in progress.
function busy(promise) {
  setLoading(1);
  promise.catch((error) => showError(error.message)).finally(() => setLoading(-1));
}

function showError(message) {
  errorBar.textContent = message;
  errorBar.hidden = !message;
}

let state = fromURL();
let catalog;
let controls;
let player;
let selection;
let analysis;
let similar;
const plots = [];
const loaded = [null, null]; // what each plot shows: {key, layoutKey}
const inflight = [null, null];

const panel = el('aside', { class: 'panel' });
const plotArea = el('div', { class: 'plots' });
const playerBar = el('footer', { class: 'player-bar' });
const statusBar = el('div', { class: 'status', id: 'status' });
const errorBar = el('div', { class: 'error-bar', id: 'error', hidden: true, role: 'alert' });
const tooltip = el('div', { class: 'tooltip', hidden: true });
const dock = el('section', { class: 'dock', id: 'dock', hidden: true });

function hasTag(index, tag) {
  const model = catalog.models.find((m) => m.model_id === state[plotKey('model', index)]);
  return !!tag && !!model?.tags?.includes(tag);
}

// The /api/points parameters of a plot; the same track selection for both plots.
function requestParams(index) {
  const spec = plotSpec(state, index);
  const params = { model: spec.model, layer: spec.layer, projection: spec.proj, x: spec.x, y: spec.y, ...selectionParams(state) };
  if (state.mode === 'averages') params.mode = 'averages';
  if (state.color === 'tag' && hasTag(index, state.ctag)) params.value = state.ctag;
  if (state.hl === 'tag' && hasTag(index, state.hlv)) params.rank = state.hlv;
  return params;
}

function layoutKey() {
  return `${state.mode}|${state.logx}|${state.logy}`;
}

function styleKey() {
  return `${state.color}|${state.ctag}|${state.hl}|${state.hlv}`;
}

async function load(index, { keepView = false } = {}) {
  const plot = plots[index];
  const params = requestParams(index);
  const key = new URLSearchParams(params).toString();
  if (inflight[index]) inflight[index].abort();
  const request = new AbortController();
  inflight[index] = request;
  const started = performance.now();
  plot.showMessage(state[plotKey('proj', index)] === 'tsne' || state[plotKey('proj', index)] === 'umap'
    ? 'Loading… (a t-SNE / UMAP map is computed on first use: this can take a while)' : 'Loading…', 'loading');
  setLoading(1);
  try {
    const data = await fetchPoints({ ...params, client: `${clientId}-${index}` }, { signal: request.signal });
    const received = performance.now();
    if (request.signal.aborted) return;
    await plot.setData(data, state, { view: keepView ? state[plotKey('view', index)] || null : null });
    loaded[index] = { key, layout: layoutKey(), style: styleKey() };
    hook.timings[index] = { started, received, drawn: performance.now(), points: data.x.length, server: data.meta.server_seconds };
    plot.setTitle(`${data.meta.model} · ${data.meta.layer} · ${data.meta.projection}`);
    controls.maps[index].setExplained(data.meta.explained_variance, state);
    markComputed(data.meta);
    analysis.pointsLoaded(plot, state);
    if (index === 0) controls.setHighlightValues(plot, state);
    showError('');
    updateStatus();
  } catch (error) {
    if (error.name === 'AbortError') return;
    loaded[index] = null;
    hook.errors.push(error.message);
    plot.showMessage(error.message, 'error');
    showError(error.message);
  } finally {
    if (inflight[index] === request) inflight[index] = null;
    setLoading(-1);
  }
}

// A map the server just computed is no longer "missing" in the catalog.
function markComputed(meta) {
  if (meta.source !== 'offline') return;
  const layer = catalog.models.find((m) => m.model_id === meta.model)?.layers.find((l) => l.name === meta.layer);
  if (layer?.projections[meta.projection]) layer.projections[meta.projection].offline = 'fresh';
  for (const [i, map] of controls.maps.entries()) if (i === 0 || state.compare) map.render(state);
}

function updateStatus() {
  const parts = plots.map((plot, i) => {
    const meta = plot.data?.meta;
    if (!meta) return '';
    const what = meta.mode === 'averages' ? `${meta.n_tracks.toLocaleString()} tracks (averages of ${meta.n_segments.toLocaleString()} segments)`
      : `${meta.n_tracks.toLocaleString()} tracks · ${meta.n_segments.toLocaleString()} segments`;
    return `${plots.length > 1 ? `map ${i + 1}: ` : ''}${what}`;
  }).filter(Boolean);
  const total = plots[0]?.data?.meta.tracks_total ?? catalog.collection.tracks;
  statusBar.textContent = `${parts.join('  |  ')}  of ${total.toLocaleString()} tracks in ${catalog.collection.name}`;
}

const writeUrlSoon = debounce(() => writeURL(state), 250);

// Apply a patch of the state: reload what needs new points, redraw or restyle the rest.
function update(patch = {}) {
  state = { ...state, ...patch };
  const fix = controls.render(state);
  if (fix) state = { ...state, ...fix };
  ensurePlots();
  writeURL(state);
  plots.forEach((plot, i) => {
    const key = new URLSearchParams(requestParams(i)).toString();
    const done = loaded[i];
    const keepView = !!patch.__restore;
    if (!done || done.key !== key) {
      if (!inflight[i] || inflight[i].key !== key) {
        load(i, { keepView });
        if (inflight[i]) inflight[i].key = key;
      }
    } else if (done.layout !== layoutKey()) {
      done.layout = layoutKey();
      done.style = styleKey();
      busy(plot.setData(plot.data, state, { view: plot.getView() }));
    } else if (done.style !== styleKey()) {
      done.style = styleKey();
      busy(plot.restyle(state, { redrawPoints: true }));
    }
  });
  controls.setHighlightValues(plots[0], state);
  for (const plot of plots) plot.setMouseMode(tool);
  analysis.render(state);
}

// -- plots, hover, selection ---------------------------------------------------------

let tool = 'pan';

function otherPlot(plot) {
  return plots.find((p) => p !== plot) || null;
}

function segmentInfo(plot, i) {
  const { data } = plot;
  const tracks = data.meta.tracks;
  const t = data.track[i];
  const info = { trackId: tracks.track_id[t], title: tracks.title[t], artist: tracks.artist[t], album: tracks.album[t] };
  if (data.meta.mode === 'averages') return { ...info, segment: null, start: 0, end: null };
  const seconds = data.meta.segment_seconds;
  const segment = data.segment[i];
  return { ...info, segment, start: segment * seconds, end: (segment + 1) * seconds };
}

function playPoint(plot, i) {
  const s = segmentInfo(plot, i);
  player.play({ trackId: s.trackId, segment: s.segment, start: s.start, end: s.end, model: plot.data.meta.model, info: s });
}

function showTooltip(plot, i) {
  const s = segmentInfo(plot, i);
  const [x, y] = plot.screenPosition(i);
  const box = plot.frame.getBoundingClientRect();
  tooltip.replaceChildren(el('b', { text: s.title }), el('div', { text: [s.artist, s.album].filter(Boolean).join(' — ') }),
    el('div', { class: 'tt-time', text: s.end === null ? 'track average' : `segment ${s.segment + 1} · ${s.start.toFixed(2)}–${s.end.toFixed(2)} s` }));
  tooltip.style.left = `${box.left + window.scrollX + x + 12}px`;
  tooltip.style.top = `${box.top + window.scrollY + y + 12}px`;
  tooltip.hidden = false;
}

const handlers = {
  onHover(plot, i) {
    hook.hovered = { plot: plot.index, index: i, at: performance.now() };
    showTooltip(plot, i);
    const other = otherPlot(plot);
    if (other) {
      const j = linkedIndex(plot, i, other);
      other.showHover(j >= 0 ? j : null);
    }
    if (state.listen === 'hover') playPoint(plot, i);
  },
  onOut(plot) {
    tooltip.hidden = true;
    const other = otherPlot(plot);
    if (other) other.showHover(null);
  },
  onClick(plot, i) {
    if (state.listen === 'click') playPoint(plot, i);
    analysis.openFromPoint(plot, i);
    similar.setSource(plot, i);
  },
  onSelect(plot, points) {
    const other = otherPlot(plot);
    if (other) {
      if (points.length) other.select(linkedSelection(plot, points, other));
      else other.deselect();
    }
    selection.show(plot, points);
  },
  onOverlay(plot, ctx, width, height) {
    similar?.draw(ctx, plot, width, height);
  },
  onView(plot) {
    const view = plot.getView();
    state = { ...state, [plotKey('view', plot.index)]: view === '0.0000,0.0000,1.0000' ? '' : view };
    writeUrlSoon();
  },
};

function ensurePlots() {
  const wanted = state.compare ? 2 : 1;
  while (plots.length < wanted) {
    const plot = new Plot(plotArea, plots.length, handlers);
    plots.push(plot);
    loaded[plot.index] = null;
  }
  while (plots.length > wanted) {
    const plot = plots.pop();
    plot.scatterplot.destroy();
    plot.root.remove();
    loaded[plot.index] = null;
    if (selection.plot === plot) selection.show(null, []);
  }
  plotArea.classList.toggle('two', plots.length === 2);
  hook.plots = plots;
}

function renderTools(container) {
  const tools = [['pan', 'pan & zoom'], ['lasso', 'lasso'], ['box', 'box']];
  container.replaceChildren(el('div', { class: 'radios tools' }, tools.map(([value, label]) => el('label', {},
    el('input', { type: 'radio', name: 'tool', value, checked: tool === value, onchange: () => {
      tool = value;
      for (const plot of plots) plot.setMouseMode(tool);
    } }), ` ${label}`))),
  el('div', { class: 'hint', text: 'Wheel: zoom · drag: pan · double-click: reset · shift+drag: lasso · Esc: clear selection' }));
}

async function main() {
  document.body.dataset.loading = '0';
  app.replaceChildren(el('header', { class: 'top' }, el('h1', { text: 'tagscape' }), el('span', { class: 'collection', text: app.dataset.collection }), statusBar),
    errorBar, el('div', { class: 'body' }, panel, el('main', { class: 'stage' }, plotArea, dock, playerBar)));
  document.body.append(tooltip);
  try {
    catalog = await getJSON('/api/models');
  } catch (error) {
    showError(`Cannot load the models: ${error.message}`);
    return;
  }
  const extracted = catalog.models.filter((m) => m.extracted);
  if (!extracted.length) {
    showError('No model results in this collection yet: run tagscape extract, then reload.');
    return;
  }
  const preferred = extracted.find((m) => m.model_id === 'musicnn-mtt') || extracted[0];
  if (!state.model) state.model = preferred.model_id;
  if (!state.model2) state.model2 = (extracted.find((m) => m.model_id !== state.model) || extracted[0]).model_id;
  controls = new Controls(panel, catalog, (patch) => update(patch));
  player = new Player(playerBar);
  selection = new SelectionPanel(controls.selectionBox, {
    onClear: () => {
      for (const plot of plots) plot.deselect();
      selection.show(null, []);
    },
  });
  renderTools(controls.tool);
  analysis = new Analysis({ dock, panel, catalog, player, plots: () => plots, getState: () => state, update: (patch) => update(patch) });
  hook.analysis = analysis;
  similar = new SimilarPanel(panel, { player });
  similar.plots = () => plots;
  hook.similar = similar;
  hook.player = player;
  hook.selection = selection;
  hook.state = () => state;
  update({ __restore: true });
  delete state.__restore;
  hook.ready = true;
  // Filter suggestions can wait until the first map is on screen.
  const facetsLater = () => getJSON('/api/facets').then((facets) => controls.setFacets(facets)).catch(() => {});
  waitIdle().then(facetsLater);
}

main();
