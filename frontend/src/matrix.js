// The correlation matrix of all tags of a model over the collection, clustered so that related
// tags sit together. Hovering a cell reads it; clicking it opens that pair of tags in the
// explorer (original projection of the taggrams, the two tags as axes).

import { getJSON } from './api.js';
import { el, options } from './dom.js';
import { diverging, fmt, paintCells, sizeCanvas } from './heat.js';

const LABEL = 104;

export class MatrixView {
  constructor({ onPair, onChange }) {
    this.onPair = onPair; // (model, tagX, tagY)
    this.onChange = onChange;
    this.key = '';
    this.method = el('select', { id: 'matrix-method', onchange: () => this.onChange({ pmethod: this.method.value }) });
    options(this.method, [['pearson', 'Pearson r'], ['spearman', 'Spearman ρ']]);
    this.canvas = el('canvas', { class: 'mx-canvas', id: 'matrix' });
    this.info = el('div', { class: 'mx-info', text: 'Hover a cell to read it; click it to open that pair of tags in the map.' });
    this.message = el('div', { class: 'muted' });
    this.root = el('div', { class: 'matrixview' },
      el('div', { class: 'tg-controls' }, el('label', {}, 'correlation ', this.method), this.message),
      el('div', { class: 'mx-body' }, this.canvas, el('div', { class: 'mx-side' }, this.info, legend())));
    this.canvas.addEventListener('mousemove', (event) => this.hover(event));
    this.canvas.addEventListener('click', (event) => {
      const cell = this.cellAt(event);
      if (cell) this.onPair(this.data.model, this.data.tags[cell.col], this.data.tags[cell.row]);
    });
  }

  async show(model, method) {
    this.method.value = method;
    const key = `${model}|${method}`;
    if (key === this.key) return;
    this.key = key;
    this.data = null;
    this.canvas.hidden = true;
    this.message.textContent = 'Computing…';
    try {
      const data = await getJSON(`/api/correlations/matrix?${new URLSearchParams({ model, method })}`);
      if (key !== this.key) return;
      this.data = data;
      this.message.textContent = `${data.model}: ${data.tags.length} tags over ${data.n_used.toLocaleString()} segments${data.sampled ? ` (a random sample of the ${data.n_segments.toLocaleString()})` : ''}, clustered (average linkage on 1 − r).`;
      this.draw();
    } catch (error) {
      if (key === this.key) this.message.replaceChildren(el('span', { class: 'error-text', text: error.message }));
    }
  }

  draw() {
    const { data } = this;
    const n = data.tags.length;
    const cell = Math.max(6, Math.min(12, Math.floor(560 / n)));
    const size = LABEL + n * cell;
    this.cell = cell;
    this.canvas.hidden = false;
    const ctx = sizeCanvas(this.canvas, size, size);
    ctx.fillStyle = '#10151b';
    ctx.fillRect(0, 0, size, size);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(paintCells(n, n, (r, c) => data.matrix[r][c], diverging), LABEL, LABEL, n * cell, n * cell);
    ctx.font = `${Math.min(10, cell)}px system-ui, sans-serif`;
    ctx.fillStyle = '#c8d0da';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    data.tags.forEach((tag, i) => ctx.fillText(tag, LABEL - 3, LABEL + (i + 0.5) * cell, LABEL - 6));
    ctx.save();
    ctx.rotate(-Math.PI / 2);
    data.tags.forEach((tag, i) => ctx.fillText(tag, -(LABEL - 3), LABEL + (i + 0.5) * cell, LABEL - 6));
    ctx.restore();
  }

  cellAt(event) {
    if (!this.data) return null;
    const col = Math.floor((event.offsetX - LABEL) / this.cell);
    const row = Math.floor((event.offsetY - LABEL) / this.cell);
    const n = this.data.tags.length;
    if (col < 0 || row < 0 || col >= n || row >= n) return null;
    return { row, col };
  }

  // Page coordinates of a cell's centre (for tests): row = y tag, col = x tag, in clustered order.
  cellCenter(row, col) {
    const box = this.canvas.getBoundingClientRect();
    return [box.left + LABEL + (col + 0.5) * this.cell, box.top + LABEL + (row + 0.5) * this.cell];
  }

  hover(event) {
    const cell = this.cellAt(event);
    if (!cell) return;
    const { data } = this;
    const symbol = data.method === 'pearson' ? 'r' : 'ρ';
    this.info.textContent = `${data.tags[cell.col]} × ${data.tags[cell.row]}: ${symbol} = ${fmt(data.matrix[cell.row][cell.col])} — click to open this pair in the map`;
  }
}

function legend() {
  const stops = [-1, -0.5, 0, 0.5, 1].map((r) => `rgb(${diverging(r).map(Math.round).join(',')})`);
  return el('div', { class: 'mx-legend' }, el('div', { class: 'mx-gradient', style: { background: `linear-gradient(90deg, ${stops.join(', ')})` } }),
    el('div', { class: 'legend-ends' }, el('span', { text: '−1' }), el('span', { text: '0' }), el('span', { text: '+1' })));
}
