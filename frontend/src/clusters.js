// Clusters on the map (issue 16): each shown map's clusters (GET /api/clusters, in the map's
// points order), its points coloured by cluster (colour mode 'cluster', noise grey) and the
// clusters' names written at their anchors (greedy placement: labels.js). Clicking a name
// selects that cluster's points, as a lasso would (then export or listen).

import { query } from './api.js';
import { el } from './dom.js';
import { Answers } from './answers.js';
import { placeLabels } from './labels.js';
import { encodeClusters } from './mapcolors.js';

export const CLUSTER_SPACES = [['', 'off'], ['map', 'on the map (2D)'], ['layer', 'in the layer (cosine)']];
const MAX_LABELS = 80; // the biggest clusters' names; the legend lists every cluster
const SMALL = 0.05; // a cluster of less than this share of the points gets its name beside it, not on it

// The clustering a state asks for: its `clusters` setting; colouring by cluster alone clusters the map.
export function clusterSpace(state) {
  return state.clusters || (state.color === 'cluster' ? 'map' : '');
}

export class ClusterLayer {
  // source: the data source (api.js); client: this page's id (the server cancels a client's
  // older requests); onAnswer(): restyle; onBusy(delta); selectPoints(plot, indices).
  constructor({ source, client, onAnswer, onBusy, selectPoints }) {
    this.selectPoints = selectPoints;
    this.answers = new Answers({
      ask: ({ index, ...params }, options) => {
        if (source.kind !== 'server') return Promise.reject(new Error('clusters need a tagscape server'));
        return source.json('clusters', { ...params, client: `${client}-${index}-clusters` }, options);
      },
      onAnswer,
      onBusy,
    });
    this.views = new WeakMap(); // plot -> {root, answer, buttons, sizes}
  }

  static key(params, space) {
    return space ? `${query(params)}|${space}` : null;
  }

  // Plot `index` shows the map of `params` in `state`: ask for its clusters if the state wants them.
  want(index, params, state) {
    const space = clusterSpace(state);
    const key = ClusterLayer.key(params, space);
    this.answers.want(index, key, { index, ...params, space });
  }

  drop(index) {
    this.answers.drop(index);
  }

  stamp(index) {
    return this.answers.stamp(index);
  }

  // The answer for the points a plot holds (data.requestParams), for the state's clustering.
  entryFor(data, state) {
    if (!data?.requestParams) return null;
    return this.answers.get(ClusterLayer.key(data.requestParams, clusterSpace(state)));
  }

  // The colours of colour mode 'cluster' (null for any other mode).
  colors(plot, data, state) {
    const view = this.views.get(plot);
    if (view && !(state.clusters && this.entryFor(data, state)?.answer)) view.root.hidden = true; // e.g. a map with no points: no overlay draw
    if (state.color !== 'cluster') return null;
    const entry = this.entryFor(data, state);
    return encodeClusters(data.x.length, entry?.answer || null, entry?.error || '', { averages: data.averages });
  }

  view(plot) {
    let view = this.views.get(plot);
    if (!view) {
      view = { root: el('div', { class: 'cluster-labels' }), answer: null, buttons: [], sizes: null };
      plot.frame.append(view.root);
      this.views.set(plot, view);
    }
    return view;
  }

  // The names on a map (called with its overlay: after every draw, pan and zoom).
  draw(plot, width, height) {
    const view = this.view(plot);
    const state = plot.state || {};
    const entry = state.clusters && plot.data?.x.length ? this.entryFor(plot.data, state) : null;
    const answer = entry?.answer && entry.answer.labels.length === plot.data.x.length ? entry.answer : null;
    view.root.hidden = !answer;
    plot.clusterLabels = [];
    if (!answer) return;
    if (view.answer !== answer) this.build(plot, view, answer);
    if (!view.sizes) {
      view.sizes = view.buttons.map((b) => [b.offsetWidth, b.offsetHeight]);
      if (view.sizes.some(([w]) => !w)) view.sizes = null; // not laid out yet (a hidden map): next time
    }
    if (!view.sizes) return;
    const n = plot.data.x.length;
    const items = view.clusters.map((c, k) => ({
      id: c.id, priority: c.size, w: view.sizes[k][0], h: view.sizes[k][1], beside: c.size < SMALL * n,
      x: plot.xScale(plot.axes.x.toNorm(c.anchor[0])), y: plot.yScale(plot.axes.y.toNorm(c.anchor[1])),
    }));
    const placed = placeLabels(items, { width, height });
    placed.forEach((p, k) => {
      const button = view.buttons[k];
      button.hidden = !p.shown;
      if (p.shown) button.style.transform = `translate(${Math.round(p.left)}px, ${Math.round(p.top)}px)`;
    });
    plot.clusterLabels = placed.map((p, k) => ({ id: p.id, name: view.clusters[k].name, shown: p.shown }));
  }

  build(plot, view, answer) {
    view.answer = answer;
    view.sizes = null;
    view.clusters = [...answer.clusters].sort((a, b) => b.size - a.size).slice(0, MAX_LABELS);
    view.buttons = view.clusters.map((c) => el('button', {
      type: 'button', class: 'cluster-label', dataset: { cluster: String(c.id) }, title: describe(c, answer),
      onclick: () => this.select(plot, answer, c.id),
      // the renderer still sees the pointer over the map under a name: no hover (nor sound) there
      onpointerenter: () => {
        plot.pointerOnLabel = true;
        plot.handlers.onOut?.(plot);
      },
      onpointerleave: () => {
        plot.pointerOnLabel = false;
      },
      // the wheel over a name still zooms the map
      onwheel: (event) => {
        event.preventDefault();
        plot.canvas.dispatchEvent(new WheelEvent('wheel', event));
      },
    }, el('span', { class: 'cl-name', text: c.name || `cluster ${c.id}` }), el('span', { class: 'cl-size', text: c.size.toLocaleString() })));
    view.root.replaceChildren(...view.buttons);
  }

  // Select the points of one cluster (the explorer's selection: the panel, the other map).
  select(plot, answer, id) {
    if (plot.data?.x.length !== answer.labels.length) return;
    const points = [];
    answer.labels.forEach((label, i) => {
      if (label === id) points.push(i);
    });
    this.selectPoints(plot, points);
  }
}

// A name's tooltip: every tagger's over-represented tags and the commonest genre and artist.
function describe(cluster, answer) {
  const lines = [`${cluster.size.toLocaleString()} points · click to select them`];
  for (const [tagger, tags] of Object.entries(cluster.labels || {})) {
    if (tags.length) lines.push(`${tagger}: ${tags.map((t) => `${t.tag} (+${t.lift.toFixed(2)})`).join(', ')}`);
  }
  for (const [what, top] of Object.entries(cluster.metadata || {})) {
    if (top) lines.push(`${what}: ${top.value} (${Math.round(top.share * 100)} %)`);
  }
  if (answer.named_by) lines.push(`named by ${answer.named_by}'s tags`);
  return lines.join('\n');
}
