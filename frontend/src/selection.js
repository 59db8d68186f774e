// The selection panel: what a lasso or box selected (tracks and segments), with M3U and CSV exports.
// The M3U points at this server's audio URLs, or at the collection's own files (absolute paths,
// or relative to a folder the user names: where the playlist will be saved).

import './selection.css';
import { ApiError } from './api.js';
import { csvCell } from './csv.js';
import { download, el, formatTime, options, plural } from './dom.js';

function readBase() {
  try {
    return localStorage.getItem(BASE_KEY) || '';
  } catch {
    return ''; // storage refused (a private window): nothing remembered
  }
}

function saveBase(value) {
  try {
    localStorage.setItem(BASE_KEY, value);
  } catch {
    // not remembered: the box still holds it for this page
  }
}

const MAX_ROWS = 300;
const PATH_STYLES = [['url', 'server URLs'], ['absolute', 'file paths'], ['relative', 'file paths relative to a folder']];
const BASE_KEY = 'tagscape.playlistBase'; // the folder last named, kept in this browser

export class SelectionPanel {
  constructor(container, { onClear }) {
    this.summary = el('div', { class: 'sel-summary', text: 'Nothing selected. Shift+drag (or the lasso / box tool) to select.' });
    this.list = el('ol', { class: 'sel-list' });
    this.m3u = el('button', { type: 'button', id: 'export-m3u', text: 'M3U playlist', disabled: true, onclick: () => this.exportM3U() });
    this.csv = el('button', { type: 'button', id: 'export-csv', text: 'CSV', disabled: true, onclick: () => this.exportCSV() });
    this.clear = el('button', { type: 'button', id: 'clear-selection', text: 'clear', disabled: true, onclick: () => onClear() });
    this.paths = options(el('select', { id: 'm3u-paths', title: 'what the playlist\'s entries point at', onchange: () => this.showBase() }), PATH_STYLES, 'url');
    this.base = el('input', { id: 'm3u-base', type: 'text', placeholder: 'folder, e.g. /home/me/Music', autocomplete: 'off', spellcheck: false,
      title: 'the absolute folder the paths start from (where you will save the playlist)', value: readBase() });
    this.base.addEventListener('change', () => saveBase(this.base.value.trim()));
    this.exportError = el('div', { class: 'error-text sel-error', id: 'm3u-error', role: 'alert', hidden: true });
    container.append(el('div', { class: 'selection', id: 'selection' }, this.summary, el('div', { class: 'sel-actions' }, 'export: ', this.m3u, this.csv, this.clear),
      el('div', { class: 'sel-paths' }, el('span', { text: 'M3U entries: ' }), this.paths, this.base), this.exportError, this.list));
    this.showBase();
    this.plot = null;
    this.points = [];
  }

  // The tracks of the selection, in order of appearance, with their selected segments.
  groups() {
    const { data } = this.plot;
    const byTrack = new Map();
    for (const i of this.points) {
      const t = data.track[i];
      if (!byTrack.has(t)) byTrack.set(t, []);
      byTrack.get(t).push(i);
    }
    return [...byTrack.entries()].sort((a, b) => a[0] - b[0]);
  }

  show(plot, points) {
    this.plot = plot;
    this.points = Array.from(points).sort((a, b) => a - b);
    const has = this.points.length > 0 && plot?.data;
    this.m3u.disabled = this.csv.disabled = this.clear.disabled = !has;
    this.list.replaceChildren();
    if (!has) {
      this.summary.textContent = 'Nothing selected. Shift+drag (or the lasso / box tool) to select.';
      return;
    }
    const { data } = plot;
    const tracks = data.meta.tracks;
    const groups = this.groups();
    const averages = data.meta.mode === 'averages';
    this.summary.textContent = averages
      ? `${plural(groups.length, 'track')} selected`
      : `${plural(groups.length, 'track')}, ${plural(this.points.length, 'segment')} selected`;
    for (const [t, indices] of groups.slice(0, MAX_ROWS)) {
      const seconds = data.meta.segment_seconds;
      const segments = averages ? '' : indices.length === tracks.n_segments[t] ? 'all segments' : indices.slice(0, 8).map((i) => formatTime(data.segment[i] * seconds)).join(', ') + (indices.length > 8 ? ` … (${indices.length})` : '');
      this.list.append(el('li', { dataset: { track: String(tracks.track_id[t]) } },
        el('span', { class: 'sel-title', text: tracks.title[t] }),
        el('span', { class: 'sel-artist', text: tracks.artist[t] ? ` — ${tracks.artist[t]}` : '' }),
        segments ? el('div', { class: 'sel-segments', text: segments }) : null));
    }
    if (groups.length > MAX_ROWS) this.list.append(el('li', { class: 'sel-more', text: `… and ${plural(groups.length - MAX_ROWS, 'more track', 'more tracks')} (all are in the exports)` }));
  }

  trackIds() {
    const tracks = this.plot.data.meta.tracks;
    return this.groups().map(([t]) => tracks.track_id[t]);
  }

  showBase() {
    this.base.hidden = this.paths.value !== 'relative';
  }

  // The playlist of the selected tracks, from the server (it alone knows the files' paths); a
  // refusal (a relative folder, say) is shown under the buttons.
  async exportM3U() {
    this.exportError.hidden = true;
    const search = new URLSearchParams({ paths: this.paths.value });
    if (this.paths.value === 'relative') search.set('base', this.base.value.trim());
    try {
      const response = await fetch(`/api/playlist.m3u?${search}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ids: this.trackIds() }) });
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
      download('tagscape-selection.m3u', await response.blob());
    } catch (error) {
      this.exportError.textContent = `No playlist: ${error.message}`;
      this.exportError.hidden = false;
    }
  }

  exportCSV() {
    const { data } = this.plot;
    const tracks = data.meta.tracks;
    const seconds = data.meta.segment_seconds;
    const [xLabel, yLabel] = data.meta.axis_labels;
    const averages = data.meta.mode === 'averages';
    const header = ['track_id', 'title', 'artist', 'album', 'genre', averages ? 'segments' : 'segment', 'start', 'end', `x: ${xLabel}`, `y: ${yLabel}`];
    const lines = [header.map(csvCell).join(',')];
    for (const i of this.points) {
      const t = data.track[i];
      const start = averages ? 0 : data.segment[i] * seconds;
      const end = averages ? tracks.duration[t] : start + seconds;
      lines.push([tracks.track_id[t], tracks.title[t], tracks.artist[t], tracks.album[t], tracks.genre[t],
        averages ? tracks.n_segments[t] : data.segment[i], start.toFixed(3), end === null ? '' : Number(end).toFixed(3), data.x[i], data.y[i]].map(csvCell).join(','));
    }
    download('tagscape-selection.csv', new Blob([`${lines.join('\r\n')}\r\n`], { type: 'text/csv' }));
  }
}
