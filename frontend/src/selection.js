// The selection panel: what a lasso or box selected (tracks and segments), with M3U and CSV exports.

import { ApiError } from './api.js';
import { download, el, formatTime, plural } from './dom.js';

const MAX_ROWS = 300;

// Exported for the tests (tests/web/test_hostile_http.py runs it under Node).
export function csvCell(value) {
  const text = value === null || value === undefined ? '' : String(value);
  // A text cell starting with = + - @ would be a formula in a spreadsheet, and so would one
  // starting with a tab or carriage return before them (spreadsheets skip those; OWASP's list):
  // quote it as text. Numbers (negative coordinates) stay numbers.
  const safe = typeof value === 'string' && /^[=+\-@\t\r\n]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export class SelectionPanel {
  constructor(container, { onClear }) {
    this.summary = el('div', { class: 'sel-summary', text: 'Nothing selected. Shift+drag (or the lasso / box tool) to select.' });
    this.list = el('ol', { class: 'sel-list' });
    this.m3u = el('button', { type: 'button', id: 'export-m3u', text: 'M3U playlist', disabled: true, onclick: () => this.exportM3U() });
    this.csv = el('button', { type: 'button', id: 'export-csv', text: 'CSV', disabled: true, onclick: () => this.exportCSV() });
    this.clear = el('button', { type: 'button', id: 'clear-selection', text: 'clear', disabled: true, onclick: () => onClear() });
    container.append(el('div', { class: 'selection', id: 'selection' }, this.summary, el('div', { class: 'sel-actions' }, 'export: ', this.m3u, this.csv, this.clear), this.list));
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

  async exportM3U() {
    const response = await fetch('/api/playlist.m3u', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ids: this.trackIds() }) });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new ApiError(response.status, body);
    }
    download('tagscape-selection.m3u', await response.blob());
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
