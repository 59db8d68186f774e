// A map's legend: a gradient with its ends, or every category with its colour and count. A long
// list scrolls, and only its rows in sight are in the page (a collection may have 50,000 tracks).

import { GRADIENT } from './colors.js';
import { el } from './dom.js';

export const ROW_HEIGHT = 18; // px, fixed so that a row's place follows from its index

export class Legend {
  constructor(root) {
    this.root = root;
    this.title = el('div', { class: 'legend-title' });
    this.body = el('div', { class: 'legend-body' });
    this.extra = el('div', { class: 'legend-extra' });
    this.root.replaceChildren(this.title, this.body, this.extra);
    this.items = [];
    this.body.addEventListener('scroll', () => this.renderRows());
  }

  // legend: from encodeColors (colors.js); greyColor: the colour of points left out by a highlight, or null.
  show(legend, greyColor) {
    this.title.textContent = legend.title;
    this.legend = legend;
    if (legend.kind === 'gradient') {
      this.items = [];
      this.body.className = 'legend-body';
      this.body.style.height = '';
      this.body.replaceChildren(el('div', { class: 'legend-gradient', style: { background: `linear-gradient(90deg, ${gradientStops().join(', ')})` } }),
        el('div', { class: 'legend-ends' }, el('span', { text: legend.low }), el('span', { text: legend.high })));
    } else {
      this.items = legend.items;
      this.body.className = 'legend-body legend-list';
      this.body.dataset.count = String(this.items.length);
      this.spacer = el('div', { class: 'legend-spacer', style: { height: `${this.items.length * ROW_HEIGHT}px` } });
      this.rows = el('div', { class: 'legend-rows' });
      this.body.replaceChildren(this.spacer, this.rows);
      this.body.scrollTop = 0;
      this.renderRows();
    }
    this.extra.replaceChildren(...(greyColor ? [row({ color: greyColor, label: 'not highlighted', count: null })] : []));
  }

  // The rows in sight (and a few around them).
  renderRows() {
    if (!this.items.length || !this.rows) return;
    const height = this.body.clientHeight || 400;
    const first = Math.max(0, Math.floor(this.body.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(this.items.length, Math.ceil((this.body.scrollTop + height) / ROW_HEIGHT) + 5);
    if (this.shown && this.shown[0] === first && this.shown[1] === last && this.shown[2] === this.items) return;
    this.shown = [first, last, this.items];
    this.rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    this.rows.replaceChildren(...this.items.slice(first, last).map((item, k) => row(item, first + k)));
  }
}

function row(item, index = null) {
  return el('div', { class: 'legend-item', title: item.count === null ? item.label : `${item.label}: ${item.count.toLocaleString()}`, dataset: index === null ? {} : { index: String(index) } },
    el('span', { class: 'swatch', style: { background: item.color } }), el('span', { class: 'legend-label', text: item.label }),
    item.count === null ? '' : el('span', { class: 'legend-count', text: item.count.toLocaleString() }));
}

function gradientStops() {
  return [0, 32, 64, 96, 128, 160, 192, 224, 255].map((i) => GRADIENT[i]);
}
