// Ground truth: per model tag that maps to the collection's own tags (MTG-Jamendo genre,
// instrument and mood tags, or the files' genre), ROC-AUC and PR-AUC of the tracks' mean activation.

import { el } from './dom.js';
import { fmt } from './heat.js';

export class TruthView {
  constructor({ source, onTag }) {
    this.source = source; // the data source (api.js)
    this.onTag = onTag;
    this.key = '';
    this.message = el('div', { class: 'muted' });
    this.table = el('table', { class: 'gt-table', id: 'ground-truth' });
    this.unmapped = el('details', { class: 'muted' });
    this.root = el('div', { class: 'truthview' }, this.message, this.table, this.unmapped,
      el('p', { class: 'muted explain', text: 'Each track is scored by the mean of the tag over its segments. A model tag is evaluated over the tracks that carry at least one tag of the same kind '
        + '(genre, instrument or mood): a track without any genre is unknown, not a negative. ROC-AUC: the chance that a random positive track scores above a random negative one (0.5 = chance). '
        + 'PR-AUC (average precision): precision averaged over the positives in score order; compare it with the share of positives, its chance level. The mapping covers obvious pairs only (e.g. Jamendo genre---rock ↔ rock, instrument---piano ↔ piano); file genres are matched after case-folding and removing spaces and punctuation (Hip-Hop ↔ hiphop).' }));
  }

  async show(model) {
    if (model === this.key) return;
    this.key = model;
    this.table.replaceChildren();
    this.unmapped.replaceChildren();
    this.message.textContent = 'Loading…';
    try {
      const data = await this.source.json('ground-truth', { model });
      if (model !== this.key) return;
      this.render(data);
    } catch (error) {
      if (model === this.key) this.message.replaceChildren(el('span', { class: 'error-text', text: error.message }));
    }
  }

  render(data) {
    const annotated = Object.entries(data.annotated_tracks).filter(([, n]) => n > 0).map(([kind, n]) => `${n} with a ${kind}`).join(', ');
    this.message.textContent = data.message || `${data.model} (${data.dataset} tags) against the collection's tags: ${data.labels_found} distinct labels; tracks: ${annotated}.`;
    if (!data.tags.length) return;
    this.table.replaceChildren(
      el('thead', {}, el('tr', {}, ['model tag', 'collection labels', 'tracks', 'positives', 'ROC-AUC', 'PR-AUC', 'chance PR-AUC'].map((h) => el('th', { text: h })))),
      el('tbody', {}, data.tags.map((row) => el('tr', { dataset: { tag: row.tag }, class: row.roc_auc === null ? 'muted' : '' },
        el('td', {}, el('a', { href: '#', text: row.tag, onclick: (event) => {
          event.preventDefault();
          this.onTag(row.tag);
        } })),
        el('td', { text: row.labels.join(', ') }),
        el('td', { class: 'num', text: String(row.n_tracks) }),
        el('td', { class: 'num', text: String(row.n_positive) }),
        el('td', { class: 'num', text: fmt(row.roc_auc, 3) }),
        el('td', { class: 'num', text: fmt(row.pr_auc, 3) }),
        el('td', { class: 'num', text: fmt(row.positive_rate, 3) })))));
    this.unmapped.replaceChildren(el('summary', { text: `${data.unmapped.length + data.unlabelled.length} tags of ${data.model} are not evaluated` }),
      el('div', { text: `no mapping: ${data.unmapped.join(', ') || 'none'}` }),
      el('div', { text: `mapped, but no track carries that kind of tag: ${data.unlabelled.join(', ') || 'none'}` }));
  }
}
