// "About this collection": where the music comes from and under which licences, from the tracks'
// own tags (GET /api/collection). A button in the header opens it as a dialog.

import './about.css';
import { getJSON } from './api.js';
import { el, plural } from './dom.js';

// "2.4 h", "38 min", "45 s": hours of audio as a reader wants them.
export function duration(hours) {
  const seconds = Math.round(hours * 3600);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// A link that opens elsewhere, or plain text when there is no (http) address.
function link(text, url) {
  return url && /^https?:\/\//i.test(url) ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text }) : el('span', { text });
}

function table(head, rows) {
  return el('table', { class: 'about-table' }, el('thead', {}, el('tr', {}, head.map((h) => el('th', { text: h })))), el('tbody', {}, rows));
}

function sourceRow(s) {
  const copyright = s.copyright.length ? el('details', { class: 'about-copyright' }, el('summary', { text: 'copyright' }),
    el('ul', {}, s.copyright.map((line) => el('li', { text: line })), s.copyright_more ? el('li', { class: 'muted', text: `… and ${s.copyright_more} more` }) : null)) : null;
  return el('tr', { class: 'about-source', dataset: { source: s.source } },
    el('td', {}, link(s.source, s.url), copyright),
    el('td', { text: s.versions.join(', ') }),
    el('td', { class: 'num', text: String(s.tracks) }),
    el('td', { class: 'num', text: duration(s.hours) }),
    el('td', { class: 'about-licences', text: s.licences.map((l) => (s.licences.length > 1 ? `${l.name} (${l.tracks})` : l.name)).join(', ') }),
    el('td', { class: 'muted', text: s.styles.map((style) => style.name).join(', ') }));
}

function licenceRow(l) {
  return el('tr', { class: 'about-licence', dataset: { licence: l.licence } },
    el('td', {}, link(l.licence, l.url), l.name ? el('div', { class: 'muted', text: l.name }) : null),
    el('td', { class: 'num', text: String(l.tracks) }),
    el('td', { class: 'num', text: duration(l.hours) }),
    el('td', { text: l.sources.join(', ') }),
    el('td', { class: 'about-requires', text: l.requires || 'see the licence' }));
}

export class AboutPanel {
  constructor(container) {
    this.button = el('button', { type: 'button', id: 'about-open', class: 'about-open', text: 'about this collection', onclick: () => this.open() });
    this.body = el('div', { class: 'about-body' });
    this.dialog = el('dialog', { id: 'about', class: 'about' },
      el('button', { type: 'button', class: 'about-close', id: 'about-close', title: 'close', text: '×', onclick: () => this.dialog.close() }), this.body);
    // A click on the backdrop (outside the dialog's box) closes it too.
    this.dialog.addEventListener('click', (event) => {
      if (event.target === this.dialog) this.dialog.close();
    });
    container.append(this.button);
    document.body.append(this.dialog);
    this.data = null;
  }

  async open() {
    this.dialog.showModal();
    if (this.data) return;
    this.body.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    try {
      this.data = await getJSON('/api/collection');
      this.render(this.data);
    } catch (error) {
      this.body.replaceChildren(el('p', { class: 'error-text', text: `Cannot load the collection's sources: ${error.message}` }));
    }
  }

  render(about) {
    const summary = el('p', { class: 'about-summary', text: `${plural(about.tracks, 'track')}, ${duration(about.hours)} of audio${about.kind === 'jamendo' ? ' (an MTG-Jamendo list)' : ''}.` });
    const parts = [el('h2', { text: about.name }), summary];
    if (!about.sources.length && !about.licences.length) {
      parts.push(el('p', { class: 'muted', id: 'about-none', text: 'The tracks of this collection do not say where they come from or under which licence '
        + '(no source or licence tags in their files): ask their owners before reusing them.' }));
      this.body.replaceChildren(...parts);
      return;
    }
    if (about.sources.length) {
      parts.push(el('h3', { text: 'Sources' }), table(['source', 'version', 'tracks', 'audio', 'licences', 'styles'], about.sources.map(sourceRow)));
    }
    if (about.licences.length) {
      parts.push(el('h3', { text: 'Licences' }), table(['licence', 'tracks', 'audio', 'sources', 'reusing the music requires'], about.licences.map(licenceRow)));
    }
    const gaps = [];
    if (about.unlicensed_tracks) gaps.push(`${plural(about.unlicensed_tracks, 'track')} name no licence: ask their owners before reusing them.`);
    if (about.unsourced_tracks) gaps.push(`${plural(about.unsourced_tracks, 'track')} name no source.`);
    if (gaps.length) parts.push(el('p', { class: 'muted', id: 'about-gaps', text: gaps.join(' ') }));
    parts.push(el('p', { class: 'muted', text: 'Read from the tracks\' own tags (source, licence, copyright); the player names each track\'s licence and source as it plays.' }));
    this.body.replaceChildren(...parts);
  }
}
