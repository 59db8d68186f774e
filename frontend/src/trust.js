// How far a map can be trusted (issue 16): the map's trustworthiness in its title (GET
// /api/trust), a colour mode of each point's neighbourhood preservation (GET /api/preservation),
// and, on hover, rings around the point's true K nearest neighbours in the layer beside its K
// nearest on the map (GET /api/neighbours): where the two sets differ, the map has moved things.

import { query } from './api.js';
import { Answers } from './answers.js';
import { el } from './dom.js';
import { encodePreservation } from './mapcolors.js';

export const K = 10;
export const LAYER_RING = '#4fd6ff'; // solid: a true neighbour (in the layer)
export const MAP_RING = '#ff6fd0'; // dashed: a neighbour on the map
const HOVER_DELAY_MS = 40;

export class TrustLayer {
  // source: the data source; onAnswer(): restyle; onBusy(delta).
  constructor({ source, onAnswer, onBusy }) {
    this.source = source;
    this.preservation = new Answers({
      ask: (params, options) => this.ask('preservation', params, options),
      onAnswer,
      onBusy,
    });
    this.hoverRequest = null;
    this.hoverTimer = null;
  }

  ask(endpoint, params, options) {
    if (this.source.kind !== 'server') return Promise.reject(new Error(`${endpoint} needs a tagscape server`));
    return this.source.json(endpoint, params, options);
  }

  // -- colour mode 'trust' ------------------------------------------------------------------

  want(index, params, state) {
    const key = state.color === 'trust' ? query(params) : null;
    this.preservation.want(index, key, { ...params, k: K });
  }

  drop(index) {
    this.preservation.drop(index);
  }

  stamp(index) {
    return this.preservation.stamp(index);
  }

  colors(plot, data, state) {
    if (state.color !== 'trust') return null;
    const entry = data.requestParams ? this.preservation.get(query(data.requestParams)) : null;
    return encodePreservation(data.x.length, entry?.answer || null, entry?.error || '', { averages: data.averages });
  }

  // -- the title -------------------------------------------------------------------------------

  // After a map's points are drawn: its trustworthiness after its title (not counted as loading:
  // the map is usable without it).
  async title(plot, data) {
    if (!data.requestParams || !data.x.length || this.source.kind !== 'server') return;
    let body;
    try {
      body = await this.source.json('trust', { ...data.requestParams, k: K });
    } catch {
      return; // the map stays as it is; its title just does not say
    }
    if (plot.data !== data || body.trustworthiness === null || body.trustworthiness === undefined) return;
    plot.trust = body;
    const kept = body.knn_kept === null || body.knn_kept === undefined ? '' : ` ${body.k}-NN kept: ${body.knn_kept.toFixed(2)}.`;
    const sample = body.sample < body.n_points ? ` (on a sample of ${body.sample.toLocaleString()} points)` : '';
    plot.title.querySelector('.trust-figure')?.remove();
    plot.title.append(el('span', {
      class: 'trust-figure', text: ` · trustworthiness ${body.trustworthiness.toFixed(3)}`,
      title: `Trustworthiness (${body.k} neighbours)${sample}: 1 when no point's map neighbours are strangers in the layer.${kept}`,
    }));
  }

  // -- rings on hover ------------------------------------------------------------------------

  // Point i of a plot is hovered (null: none): ask for its neighbours, shortly, if rings are on.
  hover(plot, i, state) {
    clearTimeout(this.hoverTimer);
    this.hoverRequest?.abort();
    this.hoverRequest = null;
    if (i === null || !state.rings || !plot.data?.requestParams) {
      if (plot.trustRings) {
        plot.trustRings = null;
        plot.scheduleOverlay();
      }
      return;
    }
    const data = plot.data;
    this.hoverTimer = setTimeout(() => this.loadRings(plot, data, i), HOVER_DELAY_MS);
  }

  async loadRings(plot, data, i) {
    const controller = new AbortController();
    this.hoverRequest = controller;
    const params = { ...data.requestParams, k: K, track: data.trackIdOf(i) };
    if (!data.averages) params.segment = data.segment[i];
    let body;
    try {
      body = await this.ask('neighbours', params, { signal: controller.signal });
    } catch (error) {
      if (error.name === 'AbortError') return;
      plot.trustRings = { point: i, layer: [], map: [], error: error.message };
      plot.scheduleOverlay();
      return;
    }
    if (this.hoverRequest !== controller || plot.data !== data) return;
    this.hoverRequest = null;
    plot.trustRings = {
      point: i,
      layer: body.layer_neighbours.map((n) => n.point),
      map: body.map_neighbours.map((n) => n.point),
      preserved: body.preserved,
      k: body.k,
    };
    plot.scheduleOverlay();
  }

  // The rings of the hovered point, on a plot's overlay.
  draw(ctx, plot) {
    const rings = plot.trustRings;
    if (!rings || !plot.onScreen(rings.point)) return;
    const n = plot.data.x.length;
    const [px, py] = plot.screenPosition(rings.point);
    ctx.save();
    // thin lines to the true neighbours: how far the map put them
    ctx.strokeStyle = LAYER_RING;
    ctx.globalAlpha = 0.45;
    ctx.lineWidth = 1;
    for (const j of rings.layer) {
      if (j < 0 || j >= n) continue;
      const [x, y] = plot.screenPosition(j);
      ctx.beginPath();
      ctx.moveTo(px, py);
      ctx.lineTo(x, y);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 2;
    for (const j of rings.layer) {
      if (j < 0 || j >= n) continue;
      const [x, y] = plot.screenPosition(j);
      ctx.beginPath();
      ctx.arc(x, y, 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.strokeStyle = MAP_RING;
    ctx.setLineDash([3, 3]);
    for (const j of rings.map) {
      if (j < 0 || j >= n) continue;
      const [x, y] = plot.screenPosition(j);
      ctx.beginPath();
      ctx.arc(x, y, 10, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    const text = rings.error ? rings.error : `${Math.round((rings.preserved ?? 0) * rings.k)} of ${rings.k} true neighbours among the map's ${rings.k}`;
    ctx.font = '12px system-ui, sans-serif';
    const w = ctx.measureText(text).width;
    const x = Math.min(Math.max(4, px + 14), plot.width - w - 8);
    const y = py < 40 ? py + 30 : py - 18;
    ctx.fillStyle = 'rgba(11, 15, 20, 0.8)';
    ctx.fillRect(x - 4, y - 13, w + 8, 18);
    ctx.fillStyle = '#e8edf2';
    ctx.fillText(text, x, y);
    ctx.restore();
    plot.trustRinged = { layer: rings.layer.length, map: rings.map.length };
  }
}
