// Tag-expression axes (issue 16): on the original projection of taggrams, each axis may be an
// expression over the model's tags ("rock - pop", "(guitar + rock) / 2", "0.5*happy - sad"), which
// the server parses (x_expr, y_expr of /api/points; never evaluated here). Kept in the URL (xexpr,
// yexpr; xexpr2, yexpr2 for the second map); the map's title then says r and rho of the two axes
// (the server's, shown where analysis.js shows them for two tags).
// An expression the server refuses (a 400) is dropped with a notice that quotes its message, so
// the map is drawn on the tag axes rather than not at all.

import { el } from './dom.js';
import { plotKey } from './state.js';

const AXES = [['x', 'xexpr', 'x_expr'], ['y', 'yexpr', 'y_expr']];

// Whether a plot's map takes expressions: the original projection of a layer with tag names.
function applies(state, index, layer) {
  return state[plotKey('proj', index)] === 'original' && !!layer?.labels;
}

// The /api/points parameters of a plot's expressions (none unless the map takes them).
export function expressionParams(state, index, layer) {
  const out = {};
  if (!applies(state, index, layer)) return out;
  for (const [, key, param] of AXES) {
    const text = String(state[plotKey(key, index)] || '').trim();
    if (text) out[param] = text;
  }
  return out;
}

export class ExpressionControls {
  // maps: the panel's MapControls (controls.js), each with its axisBox; catalog: /api/models;
  // onChange(patch): as every control.
  constructor(maps, catalog, onChange) {
    this.catalog = catalog;
    this.onChange = onChange;
    this.boxes = maps.map((map, index) => {
      const inputs = AXES.map(([axis, key]) => {
        const input = el('input', { id: `${axis}expr${index === 0 ? '' : '2'}`, type: 'search', autocomplete: 'off', spellcheck: false,
          placeholder: axis === 'x' ? 'e.g. rock - pop' : 'e.g. 0.5*happy - sad', title: 'tags, numbers, + - * / and parentheses' });
        input.addEventListener('change', () => onChange({ [plotKey(key, index)]: input.value.trim() }));
        input.addEventListener('input', () => input.setCustomValidity(''));
        return input;
      });
      const box = el('div', { class: 'expr-box', dataset: { plot: String(index) } },
        ...inputs.map((input, k) => el('label', { class: 'field' }, el('span', { text: `${AXES[k][0].toUpperCase()} = ` }), input)),
        el('div', { class: 'hint', text: 'An expression per axis over the tags replaces the tag above; empty: the tag.' }));
      map.axisBox.after(box);
      return { box, inputs };
    });
  }

  layerOf(state, index) {
    const model = this.catalog.models.find((m) => m.model_id === state[plotKey('model', index)]);
    return model?.layers.find((l) => l.name === state[plotKey('layer', index)]) || null;
  }

  params(state, index) {
    return expressionParams(state, index, this.layerOf(state, index));
  }

  render(state) {
    this.boxes.forEach(({ box, inputs }, index) => {
      box.hidden = !applies(state, index, this.layerOf(state, index));
      inputs.forEach((input, k) => {
        if (document.activeElement !== input) input.value = state[plotKey(AXES[k][1], index)] || '';
      });
    });
  }

  // The server refused a map's expressions (a 400): -> the patch that drops the one its message
  // quotes (both when it quotes neither or both), and the notice.
  refused(state, index, message) {
    const given = AXES.map(([axis, key], k) => ({ axis, key: plotKey(key, index), text: String(state[plotKey(key, index)] || '').trim(), k })).filter((a) => a.text);
    const quoted = given.filter((a) => message.includes(a.text));
    const dropped = quoted.length === 1 ? quoted : given;
    const patch = {};
    const said = [];
    for (const { axis, key, text, k } of dropped) {
      patch[key] = '';
      said.push(`${axis.toUpperCase()} = '${text}'`);
      this.boxes[index]?.inputs[k].setCustomValidity(message);
    }
    return { patch, notice: `The axis expression ${said.join(' / ')} cannot be drawn: ${message}. Showing the tag axes.` };
  }
}
