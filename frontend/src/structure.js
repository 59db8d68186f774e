// The panel's "Structure" section (issue 16): clusters named by their tags, and how far the map can
// be trusted. It reads the state and reports patches, as controls.js does.

import './structure.css';
import { CLUSTER_SPACES } from './clusters.js';
import { DENSITY_CHOICES } from './density.js';
import { el, options } from './dom.js';
import { PREVIEW_CHOICES } from './progressive.js';
import { LAYER_RING, MAP_RING } from './trust.js';

export class StructureControls {
  constructor(container, onChange) {
    this.state = {};
    this.clusters = options(el('select', { id: 'clusters', title: 'HDBSCAN on the 2D map as drawn, or on the layer\'s vectors (cosine)' }), CLUSTER_SPACES, '');
    this.clusters.addEventListener('change', () => {
      const space = this.clusters.value;
      const patch = { clusters: space };
      // names come with their colours; turning them off takes the colours away too
      if (space && this.state.color !== 'cluster') patch.color = 'cluster';
      if (!space && this.state.color === 'cluster') patch.color = 'track';
      onChange(patch);
    });
    this.density = options(el('select', { id: 'density', title: 'contours of where the points crowd', onchange: () => onChange({ density: this.density.value }) }), DENSITY_CHOICES, 'auto');
    this.preview = options(el('select', { id: 'preview', title: 'a sample of a large map drawn while the whole map loads', onchange: () => onChange({ preview: this.preview.value }) }), PREVIEW_CHOICES, 'auto');
    this.rings = el('input', { type: 'checkbox', id: 'rings', onchange: () => onChange({ rings: this.rings.checked ? 1 : 0 }) });
    const key = (colour, dashed, text) => el('span', { class: 'ring-key' },
      el('span', { class: `ring${dashed ? ' dashed' : ''}`, style: { borderColor: colour } }), ` ${text}`);
    container.append(el('section', { class: 'ctl', id: 'structure' }, el('h2', { text: 'Structure' }),
      el('label', { class: 'field' }, el('span', { text: 'clusters' }), this.clusters),
      el('div', { class: 'hint', text: 'Named by the tags most over-represented in each. Click a name to select its points.' }),
      el('label', { class: 'field' }, el('span', { text: 'density' }), this.density),
      el('div', { class: 'hint', text: 'Track averages open into their segments as you zoom in.' }),
      el('label', { class: 'field' }, el('span', { text: 'first look' }), this.preview),
      el('label', { class: 'check' }, this.rings, ' hover: ring the true neighbours'),
      el('div', { class: 'hint ring-keys' }, key(LAYER_RING, false, 'nearest in the layer'), key(MAP_RING, true, 'nearest on the map')),
      el('div', { class: 'hint', text: 'Colour by "neighbourhood preservation" to see where the map keeps them.' })));
  }

  render(state) {
    this.state = state;
    if (document.activeElement !== this.clusters) this.clusters.value = state.clusters;
    this.rings.checked = !!state.rings;
    if (document.activeElement !== this.density) this.density.value = state.density;
    if (document.activeElement !== this.preview) this.preview.value = state.preview;
  }
}
