// The correlation matrix of all tags of a model over the collection, clustered so that related
// tags sit together. Hovering a cell reads it; clicking it opens that pair of tags in the
// explorer (original projection of the taggrams, the two tags as axes).

import { el, options } from './dom.js';
import { diverging, fmt, paintCells, sizeCanvas } from './heat.js';

const FONT_PX = 10;
const HINT = 'Hover a cell to read it; click it to open that pair of tags in the map.';

// The label band (left of the rows, above the columns) fits the longest tag, within bounds: a
// long tag is cut (fillText's maxWidth) rather than pushing the matrix off the dock.
function labelBand(ctx, tags) {
  ctx.font = `${FONT_PX}px system-ui, sans-serif`;
  const widest = Math.max(0, ...tags.map((tag) => ctx.measureText(tag).width));
  return Math.ceil(Math.min(150, Math.max(40, widest + 8)));
}

export class MatrixView {
  constructor({ source, onPair, onChange }) {
    this.source = source; // the data source (api.js)
    this.onPair = onPair; // (model, tagX, tagY)
    this.onChange = onChange;
    this.key = '';
    this.method = el('select', { id: 'matrix-method', onchange: () => this.onChange({ pmethod: this.method.value }) });
    options(this.method, [['pearson', 'Pearson r'], ['spearman', 'Spearman ρ']]);
    this.canvas = el('canvas', { class: 'mx-canvas', id: 'matrix' });
    this.info = el('div', { class: 'mx-info', text: HINT });
    this.pointer = null; // the last pointer position over the canvas, to re-read after a redraw
    this.message = el('div', { class: 'muted' });
    this.root = el('div', { class: 'matrixview' },
      el('div', { class: 'tg-controls' }, el('label', {}, 'correlation ', this.method), this.message),
      el('div', { class: 'mx-body' }, this.canvas, el('div', { class: 'mx-side' }, this.info, legend())));
    this.canvas.addEventListener('mousemove', (event) => {
      this.pointer = { offsetX: event.offsetX, offsetY: event.offsetY };
      this.hover(this.pointer);
    });
    this.canvas.addEventListener('mouseleave', () => {
      // Hiding the canvas while the other method loads also "leaves" it: the pointer stays put.
      if (!this.canvas.hidden) this.pointer = null;
    });
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
    // The hover text read the old matrix (Pearson after a switch to Spearman): not kept.
    this.info.textContent = HINT;
    this.message.textContent = 'Computing…';
    try {
      const data = await this.source.json('correlations/matrix', { model, method });
      if (key !== this.key) return;
      this.data = data;
      this.message.textContent = `${data.model}: ${data.tags.length} tags over ${data.n_used.toLocaleString()} segments${data.sampled ? ` (a random sample of the ${data.n_segments.toLocaleString()})` : ''}, clustered (average linkage on 1 − r).`;
      this.draw();
      if (this.pointer) this.hover(this.pointer); // the cell under a pointer that stayed put
    } catch (error) {
      if (key === this.key) this.message.replaceChildren(el('span', { class: 'error-text', text: error.message }));
    }
  }

  draw() {
    const { data } = this;
    const n = data.tags.length;
    const cell = Math.max(6, Math.min(12, Math.floor(560 / n)));
    this.cell = cell;
    this.canvas.hidden = false;
    const band = labelBand(this.canvas.getContext('2d'), data.tags);
    this.band = band;
    const size = band + n * cell;
    const ctx = sizeCanvas(this.canvas, size, size);
    ctx.fillStyle = '#10151b';
    ctx.fillRect(0, 0, size, size);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(paintCells(n, n, (r, c) => data.matrix[r][c], diverging), band, band, n * cell, n * cell);
    ctx.font = `${Math.min(FONT_PX, cell)}px system-ui, sans-serif`;
    ctx.fillStyle = '#c8d0da';
    ctx.textBaseline = 'middle';
    // Row labels end 3 px left of the cells.
    ctx.textAlign = 'right';
    data.tags.forEach((tag, i) => ctx.fillText(tag, band - 3, band + (i + 0.5) * cell, band - 6));
    // Column labels, turned a quarter left: they start 3 px above the cells and run upwards,
    // within the band (rotated by -90°, x' = -y: "left" is where the text starts, at the bottom).
    ctx.save();
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'left';
    data.tags.forEach((tag, i) => ctx.fillText(tag, -(band - 3), band + (i + 0.5) * cell, band - 6));
    ctx.restore();
  }

  cellAt(event) {
    if (!this.data) return null;
    const col = Math.floor((event.offsetX - this.band) / this.cell);
    const row = Math.floor((event.offsetY - this.band) / this.cell);
    const n = this.data.tags.length;
    if (col < 0 || row < 0 || col >= n || row >= n) return null;
    return { row, col };
  }

  // Page coordinates of a cell's centre (for tests): row = y tag, col = x tag, in clustered order.
  cellCenter(row, col) {
    const box = this.canvas.getBoundingClientRect();
    return [box.left + this.band + (col + 0.5) * this.cell, box.top + this.band + (row + 0.5) * this.cell];
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
