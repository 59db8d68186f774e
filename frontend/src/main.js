// The explorer: state in the URL, points from /api/points, one or two linked plots, sound.

import './style.css';
import { AboutPanel } from './about.js';
import { fetchPoints, getJSON, query } from './api.js';
import { Analysis } from './analysis.js';
import { Player } from './audio.js';
import { Controls } from './controls.js';
import { highlightStamp, loadHighlight } from './highlight.js';
import { debounce, el, plural } from './dom.js';
import { MapFeed } from './feed.js';
import { linkedIndex, linkedSelection } from './link.js';
import { Plot } from './plot.js';
import { SelectionPanel } from './selection.js';
import { SimilarPanel } from './similar.js';
import { axisTitle, checkState, fromURL, plotKey, plotSpec, selectionParams, writeURL } from './state.js';

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

function showError(message) {
  errorBar.textContent = message;
  errorBar.hidden = !message;
}

// What the page did instead of what its URL asked (an unknown colour, model, ...): said once,
// until the next change of the controls.
function showNotice(messages) {
  noticeText.textContent = messages.join(' ');
  noticeBar.hidden = !messages.length;
}

let state = fromURL();
let catalog;
let controls;
let player;
let selection;
let analysis;
let similar;
const plots = [];
const feeds = []; // feeds[i]: plot i's requests and draws, in order (feed.js)

const panel = el('aside', { class: 'panel' });
const plotArea = el('div', { class: 'plots' });
const playerBar = el('footer', { class: 'player-bar' });
const statusBar = el('div', { class: 'status', id: 'status' });
const errorBar = el('div', { class: 'error-bar', id: 'error', hidden: true, role: 'alert' });
const noticeText = el('span');
const noticeBar = el('div', { class: 'notice-bar', id: 'notice', hidden: true, role: 'status' }, noticeText,
  el('button', { type: 'button', class: 'notice-close', title: 'dismiss', text: '×', onclick: () => showNotice([]) }));
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
  return `${state.color}|${state.ctag}|${state.hl}|${state.hlv}|${highlightStamp(state)}`;
}

// The axis titles of plot `index` when it has no points (the server then echoes "0" and "1").
function emptyAxisTitles(index) {
  const spec = plotSpec(state, index);
  const layer = catalog.models.find((m) => m.model_id === spec.model)?.layers.find((l) => l.name === spec.layer);
  return [axisTitle(spec.proj, spec.x, 0, layer?.labels), axisTitle(spec.proj, spec.y, 1, layer?.labels)];
}

// What plot `index` should show now: its feed requests and draws it (in order, latest wins).
function wantedView(index) {
  const params = requestParams(index);
  const proj = state[plotKey('proj', index)];
  return {
    key: query(params),
    params,
    state,
    layout: layoutKey(),
    style: styleKey(),
    axisTitles: emptyAxisTitles(index),
    loadingText: proj === 'tsne' || proj === 'umap' ? 'Loading… (a t-SNE / UMAP map is computed on first use: this can take a while)' : 'Loading…',
  };
}

function makeFeed(plot) {
  const index = plot.index;
  let started = 0;
  let received = 0;
  return new MapFeed(plot, {
    fetch: async (params, options) => {
      started = performance.now();
      const data = await fetchPoints({ ...params, client: `${clientId}-${index}` }, options);
      received = performance.now();
      return data;
    },
    onBusy: setLoading,
    onError: (message) => {
      hook.errors.push(message);
      showError(message);
    },
    // Everything a map says about itself, from what it drew (with the state it drew).
    onDrawn: (drawn, data, drawnState, fresh) => {
      if (fresh) {
        hook.timings[index] = { started, received, drawn: performance.now(), points: data.x.length, server: data.meta.server_seconds };
        drawn.setTitle(`${data.meta.model} · ${data.meta.layer} · ${data.meta.projection}`);
        controls.maps[index].setExplained(data.meta.explained_variance, drawnState);
        markComputed(data.meta);
        analysis.pointsLoaded(drawn, drawnState);
      }
      if (index === 0) controls.setHighlightValues(drawn, drawnState);
      showError('');
      updateStatus();
    },
  });
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
    const what = meta.mode === 'averages'
      ? `${plural(meta.n_tracks, 'track')} (${meta.n_tracks === 1 ? 'average' : 'averages'} of ${plural(meta.n_segments, 'segment')})`
      : `${plural(meta.n_tracks, 'track')} · ${plural(meta.n_segments, 'segment')}`;
    return `${plots.length > 1 ? `map ${i + 1}: ` : ''}${what}`;
  }).filter(Boolean);
  const total = plots[0]?.data?.meta.tracks_total ?? catalog.collection.tracks;
  statusBar.textContent = `${parts.join(' | ')} of ${plural(total, 'track')} in ${catalog.collection.name}`;
}

const writeUrlSoon = debounce(() => writeURL(state), 250);

// Apply a patch of the state: each plot's feed requests new points, redraws or restyles, as the
// new state needs (and drops what an older state asked for).
function update(patch = {}) {
  const restore = !!patch.__restore;
  if (!restore) showNotice([]);
  state = { ...state, ...patch };
  delete state.__restore;
  const fix = controls.render(state);
  if (fix) state = { ...state, ...fix };
  ensurePlots();
  writeURL(state);
  loadHighlight(state, () => update({})); // a track's-own-tag highlight: restyled when its tracks are known
  feeds.forEach((feed, i) => feed.want(wantedView(i), { view: restore ? state[plotKey('view', i)] || null : null }));
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
    feeds.push(makeFeed(plot));
  }
  while (plots.length > wanted) {
    const plot = plots.pop();
    feeds.pop().destroy();
    plot.scatterplot.destroy();
    plot.root.remove();
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
  const aboutSlot = el('span', { class: 'about-slot' });
  app.replaceChildren(el('header', { class: 'top' }, el('h1', { text: 'tagscape' }), el('span', { class: 'collection', text: app.dataset.collection }), aboutSlot, statusBar),
    errorBar, noticeBar, el('div', { class: 'body' }, panel, el('main', { class: 'stage' }, plotArea, dock, playerBar)));
  document.body.append(tooltip);
  hook.about = new AboutPanel(aboutSlot);
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
  // Values the URL names that do not exist here (a typo, a model not extracted): the defaults, said.
  const checked = checkState(state, catalog, preferred.model_id);
  state = checked.state;
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
  showNotice(checked.notices);
  hook.ready = true;
  // Filter suggestions can wait until the first map is on screen.
  const facetsLater = () => getJSON('/api/facets').then((facets) => controls.setFacets(facets)).catch(() => {});
  waitIdle().then(facetsLater);
}

main();
