// The control panel. Every control reads the state and reports a patch of it; main.js decides
// what a patch needs (new points from the server, a redraw, or just new colours).

import { COLOR_MODES, HIGHLIGHTS } from './colors.js';
import { datalist, debounce, el, options } from './dom.js';
import { plotKey } from './state.js';
import { splitGenres } from './tracktags.js';

const PROJECTION_NAMES = { original: 'original', pca: 'PCA', 'std-pca': 'STD-PCA', tsne: 't-SNE', umap: 'UMAP' };

// Show a value, unless the user is editing that control right now.
function show(control, value) {
  if (document.activeElement !== control) control.value = String(value);
}

function field(label, control, extra = {}) {
  return el('label', { class: 'field', ...extra }, el('span', { text: label }), control);
}

function radios(name, items, value, onChange) {
  return el('div', { class: 'radios', role: 'radiogroup' }, items.map(([v, label]) => el('label', {},
    el('input', { type: 'radio', name, value: v, checked: String(value) === String(v), onchange: () => onChange(v) }), ` ${label}`)));
}

// A short line per model that cannot be shown because its weights were never added (VGGish),
// opened for what to download (a link, not a URL broken mid-word in the narrow panel) and run.
function missingWeights(catalog) {
  return catalog.models.filter((m) => !m.extracted && String(m.weights_status || '').startsWith('weights missing'))
    .map((m) => {
      const [, url, command] = /download (\S+) and run: (.+)$/.exec(m.weights_status) || [];
      const how = url
        ? el('p', {}, 'Download ', el('a', { href: url, target: '_blank', rel: 'noopener', text: url.split('/').pop() }), ' and run ',
          el('code', { text: command }), ', then extract. The how-to guide docs/how-to/vggish.md says more.')
        : el('p', { text: m.weights_status });
      return el('details', { class: 'muted model-missing', dataset: { model: m.model_id } },
        el('summary', { text: `${m.architecture_name} (${m.dataset}): weights not added` }), how);
    });
}

// Model, layer, projection and axes of one plot.
class MapControls {
  constructor(container, index, catalog, onChange) {
    this.index = index;
    this.catalog = catalog;
    this.onChange = onChange;
    this.explained = null;
    const id = (name) => `${name}${index === 0 ? '' : '2'}`;
    this.arch = el('select', { id: id('arch'), onchange: () => this.pickModel(this.arch.value, this.dataset.value) });
    this.dataset = el('select', { id: id('dataset'), onchange: () => this.pickModel(this.arch.value, this.dataset.value) });
    this.layer = el('select', { id: id('layer'), onchange: () => this.report({ layer: this.layer.value, x: '0', y: '1' }) });
    this.proj = el('select', { id: id('proj'), onchange: () => this.report({ proj: this.proj.value, x: '0', y: '1' }) });
    this.axisBox = el('div', { class: 'axes' });
    this.status = el('div', { class: 'map-status' });
    container.append(field('architecture', this.arch), field('trained on', this.dataset), field('layer', this.layer), field('projection', this.proj), this.axisBox, this.status);
  }

  models() {
    return this.catalog.models.filter((m) => m.extracted);
  }

  pickModel(arch, dataset) {
    const candidates = this.models().filter((m) => m.architecture === arch);
    const model = candidates.find((m) => m.dataset === dataset) || candidates[0];
    if (model) this.report({ model: model.model_id, x: '0', y: '1' });
  }

  report(patch) {
    const out = {};
    for (const [key, value] of Object.entries(patch)) out[plotKey(key, this.index)] = value;
    this.onChange(out);
  }

  // Show the state; returns a patch when the state names something that does not exist.
  render(state) {
    const get = (key) => state[plotKey(key, this.index)];
    const models = this.models();
    const model = models.find((m) => m.model_id === get('model')) || models[0];
    if (!model) return null;
    const archs = [...new Map(models.map((m) => [m.architecture, m.architecture_name])).entries()];
    options(this.arch, archs, model.architecture);
    options(this.dataset, models.filter((m) => m.architecture === model.architecture).map((m) => [m.dataset, m.dataset_name ? `${m.dataset} (${m.dataset_name})` : m.dataset]), model.dataset);
    options(this.layer, model.layers.map((l) => [l.name, `${l.name} (${l.size}${l.node && l.name !== 'taggrams' ? `, ${l.node}` : ''})`]), get('layer'));
    const layer = model.layers.find((l) => l.name === get('layer')) || model.layers[0];
    options(this.proj, this.catalog.projections.map((p) => [p.id, p.name]), get('proj'));
    const proj = PROJECTION_NAMES[get('proj')] ? get('proj') : 'pca';
    const info = layer.projections[proj];
    this.status.textContent = info?.offline === 'missing' && proj !== 'original'
      ? `${PROJECTION_NAMES[proj]} map not computed yet: the first view computes it${info.on_demand ? ' (for a subset: on demand)' : ''}.`
      : info?.offline === 'stale' ? `${PROJECTION_NAMES[proj]} map is out of date: it is updated on first view.` : '';
    this.renderAxes(model, layer, proj, get('x'), get('y'));
    if (model.model_id !== get('model') || layer.name !== get('layer') || proj !== get('proj')) {
      return { [plotKey('model', this.index)]: model.model_id, [plotKey('layer', this.index)]: layer.name, [plotKey('proj', this.index)]: proj };
    }
    return null;
  }

  renderAxes(model, layer, proj, x, y) {
    const key = [model.model_id, layer.name, proj, x, y].join('|');
    if (key === this.axesKey) return; // keep the controls (and what is being typed in them)
    this.axesKey = key;
    const boxes = [];
    for (const [axis, value] of [['x', x], ['y', y]]) {
      const id = `${axis}${this.index === 0 ? '' : '2'}`;
      let control;
      if (proj === 'original' && layer.labels) {
        const listId = `tags-${model.model_id}`;
        datalist(listId, layer.labels);
        const shown = /^\d+$/.test(String(value)) ? layer.labels[Number(value)] ?? value : value;
        control = el('input', { id, type: 'search', list: listId, value: shown, placeholder: 'type a tag', autocomplete: 'off' });
        control.addEventListener('change', () => {
          if (layer.labels.includes(control.value)) this.report({ [axis]: control.value });
          else control.setCustomValidity('not a tag of this model');
          control.reportValidity();
        });
        control.addEventListener('input', () => control.setCustomValidity(''));
      } else if (proj === 'original') {
        control = el('input', { id, type: 'number', min: 0, max: layer.size - 1, step: 1, value: String(value) });
        control.addEventListener('change', () => {
          const v = Math.max(0, Math.min(layer.size - 1, Math.floor(Number(control.value) || 0)));
          this.report({ [axis]: String(v) });
        });
      } else if (proj === 'pca' || proj === 'std-pca') {
        const k = layer.projections[proj]?.components || 10;
        control = options(el('select', { id }), Array.from({ length: k }, (_, i) => [String(i), this.pcLabel(i)]), String(value));
        control.addEventListener('change', () => this.report({ [axis]: control.value }));
      } else {
        control = options(el('select', { id, disabled: true }), [['0', `${PROJECTION_NAMES[proj]} 1`], ['1', `${PROJECTION_NAMES[proj]} 2`]], axis === 'x' ? '0' : '1');
      }
      boxes.push(field(`${axis.toUpperCase()} axis`, control));
    }
    this.axisBox.replaceChildren(...boxes);
  }

  pcLabel(i) {
    const share = this.explained?.[i];
    return share === undefined ? `PC ${i + 1}` : `PC ${i + 1} (${(share * 100).toFixed(0)} %)`;
  }

  // After points arrive: label the PCA components with their explained variance.
  setExplained(explained, state) {
    this.explained = explained;
    const proj = state[plotKey('proj', this.index)];
    if (proj !== 'pca' && proj !== 'std-pca') return;
    for (const select of this.axisBox.querySelectorAll('select')) {
      for (const option of select.options) option.textContent = this.pcLabel(Number(option.value));
    }
  }
}

export class Controls {
  constructor(container, catalog, onChange) {
    this.catalog = catalog;
    this.onChange = onChange;
    const section = (title, ...children) => el('section', { class: 'ctl' }, el('h2', { text: title }), ...children);
    const mapBox = el('div');
    this.maps = [new MapControls(mapBox, 0, catalog, onChange)];
    this.compareBox = el('div', { class: 'compare-box' });
    this.maps.push(new MapControls(this.compareBox, 1, catalog, onChange));
    this.compare = el('input', { type: 'checkbox', id: 'compare', onchange: () => onChange({ compare: this.compare.checked ? 1 : 0 }) });

    const total = catalog.collection.tracks;
    this.limit = el('input', { id: 'limit', type: 'number', min: 1, max: total, step: 1, placeholder: `all ${total}` });
    this.limit.addEventListener('change', () => onChange({ limit: this.limit.value === '' ? '' : String(Math.max(1, Math.floor(Number(this.limit.value)))) }));
    this.sample = el('select', { id: 'sample', onchange: () => onChange({ sample: this.sample.value }) });
    options(this.sample, [['first', 'the first ones'], ['random', 'a random sample']]);
    this.seed = el('input', { id: 'seed', type: 'number', min: 0, step: 1 });
    this.seed.addEventListener('change', () => onChange({ seed: Math.max(0, Math.floor(Number(this.seed.value) || 0)) }));
    const text = (id, placeholder, list) => {
      const input = el('input', { id, type: 'search', placeholder, list, autocomplete: 'off' });
      const send = debounce(() => onChange({ [id]: input.value.trim() }), 400);
      input.addEventListener('input', send);
      input.addEventListener('change', send);
      return input;
    };
    // Any case; "a | b" for either of two values; different boxes must all match.
    this.filters = {
      artist: text('artist', 'any artist (a | b: either)', 'facet-artist'),
      album: text('album', 'any album (a | b: either)', 'facet-album'),
      genre: text('genre', 'any genre (rock | jazz)', 'facet-genre'),
      tag: text('tag', 'any tag (kind:value | …)', 'facet-tag'),
      q: text('q', 'title or artist contains…'),
    };
    const number = (id, placeholder) => {
      const input = el('input', { id, type: 'number', min: 0, step: 1, placeholder });
      input.addEventListener('change', () => onChange({ [id]: input.value === '' ? '' : String(Math.max(0, Number(input.value))) }));
      return input;
    };
    this.dmin = number('dmin', 'min s');
    this.dmax = number('dmax', 'max s');

    this.mode = el('div');
    this.listen = el('div');
    this.color = el('select', { id: 'color', onchange: () => onChange({ color: this.color.value }) });
    options(this.color, COLOR_MODES);
    this.ctag = el('input', { id: 'ctag', type: 'search', placeholder: 'tag', autocomplete: 'off' });
    this.ctag.addEventListener('change', () => onChange({ ctag: this.ctag.value.trim() }));
    this.hl = el('select', { id: 'hl', onchange: () => onChange({ hl: this.hl.value, hlv: '' }) });
    options(this.hl, HIGHLIGHTS);
    this.hlv = el('input', { id: 'hlv', type: 'search', placeholder: 'value', autocomplete: 'off' });
    this.hlv.addEventListener('change', () => onChange({ hlv: this.hlv.value.trim() }));
    this.logx = el('input', { type: 'checkbox', id: 'logx', onchange: () => onChange({ logx: this.logx.checked ? 1 : 0 }) });
    this.logy = el('input', { type: 'checkbox', id: 'logy', onchange: () => onChange({ logy: this.logy.checked ? 1 : 0 }) });
    this.tool = el('div');
    this.selectionBox = el('div');

    container.append(
      section('Map', mapBox, el('label', { class: 'check' }, this.compare, ' compare with a second map'), this.compareBox, ...missingWeights(catalog)),
      section('Tracks', field('how many', this.limit), field('which', this.sample), field('seed', this.seed),
        this.filterBox = el('details', { class: 'filters' }, el('summary', { text: 'filters' }),
          field('artist', this.filters.artist), field('album', this.filters.album), field('genre', this.filters.genre),
          field('tag', this.filters.tag), el('div', { class: 'field pair' }, el('span', { text: 'duration' }), this.dmin, this.dmax), field('search', this.filters.q))),
      section('Draw', this.mode, field('colour by', this.color), field('tag', this.ctag, { class: 'field ctag' }),
        field('highlight', this.hl), field('value', this.hlv, { class: 'field hlv' }),
        el('div', { class: 'checks' }, el('label', { class: 'check' }, this.logx, ' log X'), el('label', { class: 'check' }, this.logy, ' log Y'))),
      section('Listen', this.listen),
      section('Select', this.tool, this.selectionBox),
    );
  }

  setFacets(facets) {
    datalist('facet-artist', facets.artist.map((f) => f.value));
    datalist('facet-album', facets.album.map((f) => f.value));
    datalist('facet-genre', facets.genre.map((f) => f.value));
    datalist('facet-tag', facets.tag.map((f) => `${f.kind}:${f.value}`));
    this.ownTags = facets.tag.map((f) => `${f.kind}:${f.value}`);
  }

  // Values for the highlight box, from the points on screen.
  setHighlightValues(plot, state) {
    const tracks = plot?.data?.meta.tracks;
    const list = datalist('highlight-values', []);
    this.hlv.setAttribute('list', 'highlight-values');
    if (!tracks) return;
    let values = [];
    if (state.hl === 'track') {
      list.replaceChildren(...tracks.track_id.slice(0, 5000).map((id, t) => el('option', { value: String(id), label: `${tracks.title[t]} — ${tracks.artist[t]}` })));
      return;
    }
    if (state.hl === 'tag') values = this.tagsOf(state.model);
    else if (state.hl === 'own') values = this.ownTags || [];
    else if (state.hl === 'genre') values = [...new Set(tracks.genre.flatMap(splitGenres))].sort().slice(0, 5000);
    else if (state.hl === 'title') values = [];
    else if (state.hl) values = [...new Set(tracks[state.hl])].filter(Boolean).sort().slice(0, 5000);
    list.replaceChildren(...values.map((v) => el('option', { value: v })));
  }

  tagsOf(modelId) {
    return this.catalog.models.find((m) => m.model_id === modelId)?.tags || [];
  }

  render(state) {
    let fix = null;
    for (const [i, map] of this.maps.entries()) {
      if (i === 1 && !state.compare) continue;
      fix = { ...fix, ...map.render(state) };
    }
    this.compare.checked = !!state.compare;
    this.compareBox.hidden = !state.compare;
    show(this.limit, state.limit);
    show(this.sample, state.sample);
    show(this.seed, state.seed);
    this.seed.disabled = state.sample !== 'random';
    for (const [key, input] of Object.entries(this.filters)) show(input, state[key]);
    if (['artist', 'album', 'genre', 'tag', 'q', 'dmin', 'dmax'].some((key) => state[key] !== '')) this.filterBox.open = true;
    show(this.dmin, state.dmin);
    show(this.dmax, state.dmax);
    this.mode.replaceChildren(radios('mode', [['segments', 'segments'], ['trajectories', 'trajectories'], ['averages', 'track averages']], state.mode, (v) => this.onChange({ mode: v })));
    this.listen.replaceChildren(el('span', { class: 'inline-label', text: 'play on ' }), radios('listen', [['hover', 'hover'], ['click', 'click'], ['off', 'off']], state.listen, (v) => this.onChange({ listen: v })));
    // Taggram-only choices hide themselves for a model without tags (VGGish: embeddings only).
    const tags = this.tagsOf(fix?.model ?? state.model);
    for (const select of [this.color, this.hl]) for (const o of select.options) if (o.value === 'tag') o.hidden = o.disabled = !tags.length;
    if (!tags.length && state.color === 'tag') fix = { ...fix, color: 'track' };
    if (!tags.length && state.hl === 'tag') fix = { ...fix, hl: '', hlv: '' };
    const color = fix?.color ?? state.color;
    const hl = fix?.hl ?? state.hl;
    show(this.color, color);
    datalist('model-tags', tags);
    this.ctag.setAttribute('list', 'model-tags');
    show(this.ctag, state.ctag);
    this.ctag.closest('.field').hidden = color !== 'tag';
    show(this.hl, hl);
    show(this.hlv, fix?.hlv ?? state.hlv);
    this.hlv.closest('.field').hidden = !hl;
    this.logx.checked = !!state.logx;
    this.logy.checked = !!state.logy;
    return fix && Object.keys(fix).length ? fix : null;
  }
}
