// A new file on the maps (POST /api/place): dropped on the explorer or picked with a button,
// uploaded with progress, analysed by the models of the maps shown and placed into each. It is
// drawn as its own trajectory (a white dashed line, numbered segments), its nearest tracks are
// listed and ringed, its segments play on hover or click like any point (clips of
// /api/place/<token>/audio), and the whole file plays as a continuous audition. Remove forgets it
// on the server (DELETE). A new map on screen places the kept file again.

import './listen.css';
import { el, formatTime } from './dom.js';
import { checkFile, displayName, formatBytes, mapSpec, matchMaps, uploadMessage } from './placed.js';
import { plotSpec } from './state.js';

const LINE = '#ffffff';
const NEIGHBOUR = '#3ad1ff';
const HIT = 9; // pixels: a placed segment under the pointer
const LABELS_UP_TO = 40; // segments numbered one by one up to this many, then every few
const NEEDS_SERVER = 'Placing a file needs a tagscape server: this page reads data exported without one.';

export class PlacePanel {
  // explorer: the Explorer (its plots, state, player, audition, tooltip).
  constructor(container, explorer) {
    this.explorer = explorer;
    this.placement = null; // the server's answer
    this.sent = []; // the map specs it answered for, in order
    this.file = null; // the File, kept to place it on other maps
    this.request = null;
    this.hovered = null; // {plot, segment}
    this.input = el('input', { type: 'file', id: 'place-file', accept: 'audio/*,video/*,.mp3,.flac,.ogg,.oga,.opus,.wav,.aif,.aiff,.m4a,.aac,.wma,.mka,.webm', hidden: true,
      onchange: () => {
        if (this.input.files.length) this.place(this.input.files[0], this.input.files.length);
        this.input.value = '';
      } });
    this.pick = el('button', { type: 'button', id: 'place-pick', text: 'place a file…', onclick: () => this.input.click() });
    this.progress = el('progress', { id: 'place-progress', max: 1, value: 0, hidden: true });
    this.status = el('div', { class: 'hint', id: 'place-status', text: 'or drop an audio file on the map: it is analysed and placed on the maps shown (not added to the collection).' });
    this.error = el('div', { class: 'error-text', id: 'place-error', role: 'alert', hidden: true });
    this.playAll = el('button', { type: 'button', id: 'place-play', text: '▶ play it through', disabled: true, onclick: () => this.audition() });
    this.remove = el('button', { type: 'button', id: 'place-remove', text: 'remove', disabled: true, onclick: () => this.forget() });
    this.info = el('div', { class: 'place-info', id: 'place-info' });
    this.lists = el('div', { class: 'place-neighbours', id: 'place-neighbours' });
    this.section = el('section', { class: 'ctl', id: 'place' }, el('h2', { text: 'Place a new file' }), el('div', { class: 'sim-row' }, this.pick, this.input, this.playAll, this.remove),
      this.progress, this.status, this.error, this.info, this.lists);
    container.append(this.section);
    // Only a tagscape server analyses files (not a static export, not a notebook widget): said, never a broken control.
    this.available = explorer.source?.kind === 'server';
    if (!this.available) {
      this.pick.disabled = true;
      this.status.textContent = NEEDS_SERVER;
    }
    this.dropCover = el('div', { class: 'drop-cover', id: 'drop-cover', hidden: true }, el('div', { text: 'Drop an audio file to place it on the map' }));
    document.body.append(this.dropCover);
    this.listenForDrops();
  }

  // -- dropping --------------------------------------------------------------------------

  // A file dropped anywhere on the page is placed (never opened by the browser in place of the explorer).
  listenForDrops() {
    let depth = 0;
    const hasFiles = (event) => Array.from(event.dataTransfer?.types || []).includes('Files');
    // A link or text dropped outside a text box would make the browser leave the explorer for it.
    const editable = (event) => event.target instanceof Element && !!event.target.closest('input, textarea, [contenteditable]');
    window.addEventListener('dragenter', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      this.dropCover.hidden = false;
    });
    window.addEventListener('dragover', (event) => {
      if (!hasFiles(event)) {
        if (!editable(event)) event.preventDefault();
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    });
    window.addEventListener('dragleave', (event) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) this.dropCover.hidden = true;
    });
    window.addEventListener('drop', (event) => {
      if (!hasFiles(event)) {
        if (!editable(event)) event.preventDefault();
        return;
      }
      event.preventDefault();
      depth = 0;
      this.dropCover.hidden = true;
      const files = event.dataTransfer.files;
      if (event.dataTransfer.items?.[0]?.webkitGetAsEntry?.()?.isDirectory) this.showError('A folder: drop one audio file from it.');
      else if (files.length) this.place(files[0], files.length);
      else this.showError('Nothing to place: drop a file (not a folder or a link).');
    });
  }

  // -- placing ---------------------------------------------------------------------------

  shownSpecs() {
    const { plots, state } = this.explorer;
    return plots.map((plot, i) => mapSpec(plotSpec(state, i), plot.data?.meta));
  }

  async place(file, count = 1) {
    const problem = this.available ? checkFile(file) : NEEDS_SERVER;
    if (problem) {
      this.showError(problem);
      return;
    }
    if (this.request) this.request.abort();
    this.section.scrollIntoView({ block: 'nearest' }); // a file dropped on the map: its progress and answer in sight
    const specs = this.shownSpecs();
    const old = this.placement;
    this.file = file;
    this.showError('');
    this.progress.hidden = false;
    this.progress.removeAttribute('value');
    this.status.textContent = `${count > 1 ? `One file at a time: placing ${displayName(file.name)}. ` : ''}Uploading ${displayName(file.name)} (${formatBytes(file.size)})…`;
    this.pick.disabled = true;
    this.remove.disabled = false;
    this.remove.textContent = 'cancel';
    let body;
    try {
      body = await this.upload(file, specs);
    } catch (error) {
      if (error.name === 'AbortError') return;
      this.endUpload();
      this.remove.disabled = !this.placement;
      this.status.textContent = '';
      this.showError(error.message);
      return;
    }
    this.endUpload();
    if (old?.token && old.token !== body.token) {
      this.stopHearing(old.token); // its clips are about to go
      fetch(old.url, { method: 'DELETE' }).catch(() => {});
    }
    this.placement = body;
    this.sent = specs;
    this.show();
    this.mapsChanged(); // the maps may have changed while it was being placed
  }

  endUpload() {
    this.progress.hidden = true;
    this.pick.disabled = !this.available;
    this.remove.textContent = 'remove';
  }

  // POST /api/place with upload progress (XMLHttpRequest: fetch reports none) -> the answer, or
  // an Error with what to tell the user.
  upload(file, specs) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const form = new FormData();
      form.append('maps', JSON.stringify(specs));
      form.append('file', file, file.name || 'upload');
      this.request = { abort: () => xhr.abort() };
      xhr.open('POST', '/api/place?k=10');
      xhr.responseType = 'json';
      xhr.upload.onprogress = (event) => {
        if (!event.lengthComputable) return;
        this.progress.value = event.loaded / event.total;
        if (event.loaded >= event.total) this.status.textContent = `Analysing ${displayName(file.name)} with ${specs.length > 1 ? 'the maps\' models' : 'the map\'s model'}…`;
        else this.status.textContent = `Uploading ${displayName(file.name)}: ${Math.round((100 * event.loaded) / event.total)} % of ${formatBytes(event.total)}`;
      };
      xhr.upload.onload = () => {
        this.progress.removeAttribute('value');
        this.status.textContent = `Analysing ${displayName(file.name)}…`;
      };
      xhr.onload = () => {
        this.request = null;
        if (xhr.status === 200 && xhr.response?.maps) resolve(xhr.response);
        else reject(new Error(uploadMessage(xhr.status, xhr.response?.message, file.name, file.size)));
      };
      xhr.onerror = () => {
        this.request = null;
        reject(new Error(uploadMessage(0, '', file.name, file.size)));
      };
      xhr.onabort = () => {
        const error = new Error('aborted');
        error.name = 'AbortError';
        reject(error);
      };
      xhr.send(form);
    });
  }

  // The maps on screen changed (explorer: a map drew new points): place the kept file on maps it
  // is not on yet.
  mapsChanged() {
    if (!this.placement || !this.file || this.request) return;
    const missing = matchMaps(this.sent, this.shownSpecs()).some((k, i) => k < 0 && this.explorer.plots[i]?.data?.x.length);
    if (missing) {
      clearTimeout(this.again);
      this.again = setTimeout(() => this.place(this.file), 300);
    }
    this.redraw();
  }

  // Remove the placed file, or cancel the upload under way.
  async forget() {
    const placement = this.placement;
    if (this.request) {
      this.request.abort();
      this.request = null;
      this.endUpload();
    }
    this.placement = null;
    this.file = null;
    this.sent = [];
    this.hovered = null;
    this.show();
    if (placement) {
      this.stopHearing(placement.token);
      const response = await fetch(placement.url, { method: 'DELETE' }).catch(() => null);
      if (response && !response.ok && response.status !== 404) this.showError(`The server did not forget ${displayName(placement.name)} (HTTP ${response.status}).`);
    }
  }

  // In the panel, and at the top of the page (the panel may be scrolled away from a drop).
  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
    if (message) {
      this.section.scrollIntoView({ block: 'nearest' });
      this.explorer.showError(message);
    }
  }

  // -- what it shows ---------------------------------------------------------------------

  show() {
    const p = this.placement;
    this.playAll.disabled = this.remove.disabled = !p;
    if (!p) {
      this.status.textContent = !this.available ? NEEDS_SERVER : 'Drop an audio file on the map, or pick one: it is analysed and placed on the maps shown (not added to the collection).';
      this.info.replaceChildren();
      this.lists.replaceChildren();
      this.redraw();
      return;
    }
    this.status.textContent = '';
    this.info.replaceChildren(el('b', { text: displayName(p.name) }), ` · ${formatTime(p.duration_seconds)} · ${p.maps[0]?.n_segments ?? 0} segments`,
      ...p.maps.map((m, i) => el('div', { class: 'muted place-how' }, `${p.maps.length > 1 ? `map ${i + 1}: ` : ''}${m.model} · ${m.layer} · ${m.projection}: ${m.placement}`,
        m.note ? el('span', { class: 'place-note', text: ` (${m.note})` }) : '')));
    this.lists.replaceChildren(...p.maps.map((m, i) => el('div', {},
      el('div', { class: 'place-list-title', text: `nearest tracks${p.maps.length > 1 ? ` (map ${i + 1}: ${m.model} · ${m.layer})` : ` (${m.layer})`}` }),
      el('ol', { class: 'sim-list place-list', dataset: { map: String(i) } }, ...m.neighbours.map((n) => el('li', { dataset: { track: String(n.track_id) } },
        el('button', { type: 'button', class: 'sim-play', title: 'play the track', text: '▶', onclick: () => this.playTrack(n, m.model) }),
        el('span', { class: 'sim-score', text: n.similarity.toFixed(3) }),
        el('span', { class: 'sim-title', text: n.title || `track ${n.track_id}` }),
        el('span', { class: 'muted', text: n.artist ? ` — ${n.artist}` : '' })))))));
    this.redraw();
  }

  playTrack(n, model) {
    this.explorer.audition?.stop();
    this.explorer.player.play({ trackId: n.track_id, segment: null, start: 0, end: null, model, info: { trackId: n.track_id, title: n.title, artist: n.artist } });
  }

  redraw() {
    for (const plot of this.explorer.plots) plot.scheduleOverlay();
  }

  // The answer's map drawn on plot `plot`, or null (another map is on screen).
  mapOn(plot) {
    if (!this.placement || !plot.data || !plot.axes) return null;
    const k = matchMaps(this.sent, [this.shownSpecs()[plot.index]])[0];
    return k >= 0 ? this.placement.maps[k] : null;
  }

  // Segment s of the placed file on a plot's canvas (CSS pixels), or null when not on this map.
  position(plot, s) {
    const m = this.mapOn(plot);
    if (!m || s < 0 || s >= m.n_segments) return null;
    return [plot.xScale(plot.axes.x.toNorm(m.segments.x[s])), plot.yScale(plot.axes.y.toNorm(m.segments.y[s]))];
  }

  // Segment s of a placed map (maps' models may cut segments of different lengths), in seconds.
  // Where the file is at `seconds` on a plot: its segment there (another model cuts other segments).
  positionAt(plot, seconds) {
    const m = this.mapOn(plot);
    if (!m || !m.n_segments) return null;
    return this.position(plot, Math.min(m.n_segments - 1, Math.floor((seconds + 1e-6) / m.segment_seconds)));
  }

  segmentSpan(s, m = this.placement.maps[0]) {
    const start = m.segments.start[s];
    return [start, Math.min(start + m.segment_seconds, this.placement.duration_seconds)];
  }

  // The file's segments as audition items (audition.js).
  items() {
    const p = this.placement;
    if (!p) return [];
    return p.maps[0].segments.x.map((_, s) => {
      const [start, end] = this.segmentSpan(s);
      return { url: `${p.audio_url}?start=${start.toFixed(3)}&end=${end.toFixed(3)}`, label: displayName(p.name), detail: `· segment ${s + 1} · ${start.toFixed(1)}–${end.toFixed(1)} s`,
        placed: s, locate: (plot) => this.positionAt(plot, start) };
    });
  }

  audition() {
    if (!this.placement) return;
    this.explorer.audition.play(this.items(), `${displayName(this.placement.name)}, segment by segment`);
    this.heard = { token: this.placement.token, run: this.explorer.audition.run };
  }

  // Stop the continuous audition of a placement that is going away (not another audition).
  stopHearing(token) {
    const { audition } = this.explorer;
    if (this.heard?.token === token && audition?.run && audition.run === this.heard.run) audition.stop();
    this.heard = null;
  }

  // -- pointer ---------------------------------------------------------------------------

  // The placed segment under the pointer at (x, y) on a plot's canvas, or -1.
  hit(plot, x, y) {
    const m = this.mapOn(plot);
    if (!m) return -1;
    let best = -1;
    let bestD = HIT * HIT;
    for (let s = 0; s < m.n_segments; s++) {
      const [px, py] = this.position(plot, s);
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = s;
      }
    }
    return best;
  }

  // Hover and click on a plot (explorer: a listener on its frame, before the points' own).
  // Returns whether a placed segment is under the pointer (the point beneath is then not played).
  pointer(plot, event, kind) {
    if (!this.placement) return false;
    const box = plot.frame.getBoundingClientRect();
    const s = this.hit(plot, event.clientX - box.left, event.clientY - box.top);
    const { tooltip } = this.explorer.layout;
    if (s < 0) {
      if (this.hovered) {
        this.hovered = null;
        tooltip.hidden = true;
        plot.scheduleOverlay();
      }
      return false;
    }
    const listen = this.explorer.state.listen;
    if (kind === 'move' && this.hovered?.segment !== s) {
      this.hovered = { plot: plot.index, segment: s };
      const [start, end] = this.segmentSpan(s, this.mapOn(plot));
      tooltip.replaceChildren(el('b', { text: displayName(this.placement.name) }), el('div', { text: 'the placed file' }),
        el('div', { class: 'tt-time', text: `segment ${s + 1} · ${start.toFixed(2)}–${end.toFixed(2)} s` }));
      tooltip.style.left = `${event.pageX + 12}px`;
      tooltip.style.top = `${event.pageY + 12}px`;
      tooltip.hidden = false;
      plot.scheduleOverlay();
      if (listen === 'hover') this.playSegment(s, this.mapOn(plot));
    }
    if (kind === 'click' && listen === 'click') this.playSegment(s, this.mapOn(plot));
    return true;
  }

  playSegment(s, m) {
    if (this.explorer.audition?.active) return;
    const p = this.placement;
    const [start, end] = this.segmentSpan(s, m);
    this.explorer.player.play({ trackId: `placed-${p.token}`, segment: s, start, end, model: m.model,
      url: `${p.audio_url}?start=${start.toFixed(3)}&end=${end.toFixed(3)}`, info: { title: displayName(p.name), artist: 'the placed file' } });
  }

  // -- drawing ---------------------------------------------------------------------------

  // The placed file and its nearest tracks on one map (called by the plot's overlay).
  draw(ctx, plot, width, height) {
    plot.placedDrawn = 0;
    plot.placedNeighbours = 0;
    const m = this.mapOn(plot);
    if (!m) return;
    const pts = m.segments.x.map((_, s) => this.position(plot, s));
    this.drawNeighbours(ctx, plot, m, pts, width, height);
    ctx.save();
    ctx.lineJoin = 'round';
    ctx.beginPath();
    pts.forEach(([x, y], s) => (s ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.75)';
    ctx.lineWidth = 4;
    ctx.stroke();
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = LINE;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.setLineDash([]);
    const every = pts.length <= LABELS_UP_TO ? 1 : Math.ceil(pts.length / LABELS_UP_TO);
    ctx.font = 'bold 10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    pts.forEach(([x, y], s) => {
      const hovered = this.hovered?.plot === plot.index && this.hovered.segment === s;
      const labelled = s % every === 0 || s === pts.length - 1;
      const r = hovered ? 9 : labelled ? 7 : 3;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = hovered ? '#ffe14d' : LINE;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#10151c';
      ctx.stroke();
      if (labelled) {
        ctx.fillStyle = '#10151c';
        ctx.fillText(String(s + 1), x, y + 0.5);
      }
      if (x > -10 && x < width + 10 && y > -10 && y < height + 10) plot.placedDrawn += 1;
    });
    // The file's name beside its first segment.
    const [x0, y0] = pts[0] || [0, 0];
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'left';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.8)';
    const label = displayName(this.placement.name).slice(0, 40);
    ctx.strokeText(label, x0 + 10, y0 - 12);
    ctx.fillStyle = LINE;
    ctx.fillText(label, x0 + 10, y0 - 12);
    ctx.restore();
  }

  // Rings on the nearest tracks' points, each numbered by rank at its point nearest the file.
  drawNeighbours(ctx, plot, m, pts, width, height) {
    if (!plot.trackIndex) return;
    const cx = pts.reduce((a, [x]) => a + x, 0) / pts.length;
    const cy = pts.reduce((a, [, y]) => a + y, 0) / pts.length;
    ctx.save();
    ctx.strokeStyle = NEIGHBOUR;
    ctx.fillStyle = NEIGHBOUR;
    ctx.font = 'bold 11px system-ui, sans-serif';
    m.neighbours.forEach((n, rank) => {
      const t = plot.trackIndex.get(n.track_id);
      if (t === undefined) return;
      plot.placedNeighbours += 1;
      let near = null;
      let nearD = Infinity;
      for (let i = plot.trackStart[t]; i < plot.trackStart[t + 1]; i++) {
        const [x, y] = plot.screenPosition(i);
        if (x < -20 || x > width + 20 || y < -20 || y > height + 20) continue;
        ctx.globalAlpha = 0.45;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.arc(x, y, 4.5, 0, 2 * Math.PI);
        ctx.stroke();
        const d = (x - cx) ** 2 + (y - cy) ** 2;
        if (d < nearD) {
          nearD = d;
          near = [x, y];
        }
      }
      if (!near) return;
      ctx.globalAlpha = 1;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(near[0], near[1], 7, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillText(String(rank + 1), near[0] + 8, near[1] - 8);
    });
    ctx.restore();
  }
}
