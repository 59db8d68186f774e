// Continuous audition: a list of segments (a track's trajectory, a selection, a path, a placed
// file) played back to back with the Web Audio API. Each clip is fetched and decoded a few ahead
// (decodeAudioData), scheduled on the audio clock (source.start(when)) to begin as the one before
// ends, overlapping by a short crossfade (gain ramps, schedule.js); a ring on every map marks the
// segment that sounds. Pause (the clock stops), skip, stop.
//
// An item: {url, offset?, length?, label, detail, locate(plot) -> [x, y] on the plot's canvas, or
// null}: the audio at url (decoded once per url), or `length` seconds of it from `offset` (a
// static export's whole file, seeked into); url null: no audio for it here (left out, said).
// window.tagscape.audition.log holds, per clip, what was scheduled and when it ended (the tests
// measure the gaps from it).

import './listen.css';
import { audioFor } from './api.js';
import { el } from './dom.js';
import { FADE, LEAD, alongMap, envelope, inTimeOrder, nextStart, soundingAt, startTime, toFetch } from './schedule.js';

export const MAX_ITEMS = 500; // segments one audition plays (about 25 minutes of 3 s segments)
const PREFETCH = 4; // clips fetched and decoded ahead of the one sounding
const SCHEDULED_AHEAD = 2; // clips handed to the audio clock ahead (a skip or stop cancels them)
const RING = '#ffffff';

export class Audition {
  constructor(container, { plots, onStart }) {
    this.plots = plots;
    this.onStart = onStart;
    this.ctx = null;
    this.run = null; // the audition under way
    this.log = [];
    this.ringLog = [];
    this.title = el('span', { class: 'au-title' });
    this.what = el('span', { class: 'au-what', id: 'audition-now' });
    this.pauseButton = el('button', { type: 'button', id: 'audition-pause', text: 'pause', onclick: () => this.togglePause() });
    this.skipButton = el('button', { type: 'button', id: 'audition-skip', text: 'skip ›', onclick: () => this.skip() });
    this.stopButton = el('button', { type: 'button', id: 'audition-stop', text: 'stop', onclick: () => this.stop() });
    this.message = el('span', { class: 'au-message error-text', role: 'alert' });
    this.bar = el('div', { class: 'audition', id: 'audition', hidden: true },
      el('div', { class: 'au-head' }, el('span', { class: 'au-label', text: 'listening through ' }), this.title, ' ', this.message),
      el('div', { class: 'au-buttons' }, this.pauseButton, this.skipButton, this.stopButton), this.what);
    container.append(this.bar);
  }

  get active() {
    return !!this.run;
  }

  // Play `items` back to back; `title` says what they are (a path, a selection...).
  async play(items, title) {
    this.stop();
    const list = items.slice(0, MAX_ITEMS);
    if (!list.length) return;
    this.onStart?.();
    if (!this.ctx) this.ctx = new AudioContext({ latencyHint: 'playback' });
    const run = { items: list, title, asked: new Set(), buffers: new Map(), decoded: new Map(), next: 0, scheduled: [], entries: [], current: -1, abort: new AbortController(), done: false };
    this.run = run;
    this.log = run.entries;
    this.ringLog = [];
    this.title.textContent = items.length > MAX_ITEMS ? `${title} (the first ${MAX_ITEMS} of ${items.length} segments)` : title;
    this.message.textContent = '';
    this.pauseButton.textContent = 'pause';
    this.bar.hidden = false;
    if (this.ctx.state === 'suspended') await this.ctx.resume().catch(() => {});
    if (this.run !== run) return; // stopped or replaced meanwhile
    this.pump(run);
    this.watch(run);
  }

  // Fetch ahead, and hand the next decoded clips to the audio clock.
  pump(run) {
    if (this.run !== run) return;
    const position = Math.max(run.next, 0);
    for (const i of toFetch(position, run.items.length, run.asked, PREFETCH)) this.fetchClip(run, i);
    while (run.next < run.items.length && this.ahead(run) < SCHEDULED_AHEAD) {
      const buffer = run.buffers.get(run.next);
      if (buffer === undefined) return; // still coming: fetchClip pumps again
      if (buffer === null) { // could not be fetched or decoded: left out, said
        run.next += 1;
        continue;
      }
      this.schedule(run, run.next, buffer);
      run.next += 1;
      for (const i of toFetch(run.next, run.items.length, run.asked, PREFETCH)) this.fetchClip(run, i);
    }
    if (run.next >= run.items.length && !this.ahead(run) && !run.done) this.finish(run);
  }

  // Clips scheduled that have not ended yet.
  ahead(run) {
    return run.scheduled.filter((s) => !s.ended).length;
  }

  fetchClip(run, i) {
    run.asked.add(i);
    const { url } = run.items[i];
    if (!url) {
      run.buffers.set(i, null);
      this.message.textContent = `no audio of segment ${i + 1} here: skipped`;
      queueMicrotask(() => this.pump(run));
      return;
    }
    // One fetch and decode per url (a static export's whole file serves all its segments).
    if (!run.decoded.has(url)) {
      run.decoded.set(url, fetch(url, { signal: run.abort.signal })
        .then((response) => {
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return response.arrayBuffer();
        })
        .then((bytes) => this.ctx.decodeAudioData(bytes)));
    }
    run.decoded.get(url)
      .then((buffer) => {
        run.buffers.set(i, buffer);
      })
      .catch((error) => {
        if (error.name === 'AbortError') return;
        run.buffers.set(i, null);
        this.message.textContent = `segment ${i + 1} could not be played (${error.message}): skipped`;
      })
      .finally(() => this.pump(run));
  }

  schedule(run, index, buffer) {
    const { ctx } = this;
    const previous = run.scheduled[run.scheduled.length - 1];
    const planned = previous && !previous.cancelled ? nextStart(previous.when, previous.duration, FADE) : ctx.currentTime + LEAD;
    const scheduledAt = ctx.currentTime;
    const when = startTime(planned, scheduledAt);
    const item = run.items[index];
    const offset = Math.min(item.offset ?? 0, buffer.duration);
    const duration = Math.max(0, Math.min(item.length ?? buffer.duration, buffer.duration - offset));
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    const gain = ctx.createGain();
    const [first, ...ramp] = envelope(when, duration, FADE);
    gain.gain.setValueAtTime(first[1], first[0]);
    for (const [t, g] of ramp) gain.gain.linearRampToValueAtTime(g, t);
    source.connect(gain).connect(ctx.destination);
    const entry = { index, when, planned, duration, scheduledAt, endedAt: null, source, gain, ended: false, cancelled: false };
    source.onended = () => {
      entry.ended = true;
      entry.endedAt = ctx.currentTime;
      source.disconnect();
      gain.disconnect();
      // Heard: its decoded audio goes (about 1 MB per 3 s), unless a later item plays from the same file.
      run.buffers.delete(index);
      if (!run.items.slice(index + 1).some((later) => later.url === item.url)) run.decoded.delete(item.url);
      this.pump(run);
    };
    source.start(when, offset, duration);
    run.scheduled.push(entry);
    run.entries.push(entry);
  }

  // Each animation frame while it plays: which clip sounds, the ring and the line that say so.
  watch(run) {
    const frame = () => {
      if (this.run !== run) return;
      const live = run.scheduled.filter((s) => !s.cancelled);
      const k = soundingAt(live, this.ctx.currentTime);
      const index = k < 0 ? -1 : live[k].index;
      if (index !== run.current && index >= 0) {
        run.current = index;
        this.ringLog.push({ index, at: this.ctx.currentTime, when: live[k].when, ring: this.ringPositions(run.items[index]) });
        this.showNow(run, index);
        for (const plot of this.plots()) plot.scheduleOverlay();
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  ringPositions(item) {
    return this.plots().map((plot) => (plot.data ? item.locate(plot) : null));
  }

  showNow(run, index) {
    const item = run.items[index];
    this.what.replaceChildren(el('b', { text: `${index + 1} / ${run.items.length}` }), ' ', item.label, item.detail ? el('span', { class: 'muted', text: ` ${item.detail}` }) : '');
  }

  togglePause() {
    if (!this.run || !this.ctx) return;
    if (this.ctx.state === 'running') {
      this.ctx.suspend();
      this.pauseButton.textContent = 'resume';
    } else {
      this.ctx.resume();
      this.pauseButton.textContent = 'pause';
    }
  }

  // What was scheduled and heard, as plain data (tests, bench): the clips in the order they were
  // handed to the clock, and where the ring went.
  report() {
    return {
      active: this.active, state: this.ctx?.state ?? null, now: this.ctx?.currentTime ?? null, current: this.run?.current ?? -1,
      entries: this.log.map(({ index, when, planned, duration, scheduledAt, endedAt, cancelled }) => ({ index, when, planned, duration, scheduledAt, endedAt, cancelled })),
      rings: this.ringLog,
      finished: this.lastFinished ?? null,
    };
  }

  get paused() {
    return !!this.run && this.ctx?.state === 'suspended';
  }

  // On to the segment after the one sounding (or the next to come).
  skip() {
    const run = this.run;
    if (!run) return;
    const from = run.current >= 0 ? run.current + 1 : run.next;
    this.cancelScheduled(run);
    run.next = from;
    if (this.ctx.state === 'suspended') this.togglePause();
    this.pump(run);
  }

  cancelScheduled(run) {
    for (const s of run.scheduled) {
      if (s.ended) continue;
      s.cancelled = true;
      s.ended = true;
      s.source.onended = null;
      try {
        s.source.stop();
      } catch {
        // never started: nothing to stop
      }
      s.source.disconnect();
      s.gain.disconnect();
    }
    run.scheduled = [];
  }

  stop() {
    const run = this.run;
    if (!run) return;
    this.cancelScheduled(run);
    run.abort.abort();
    this.run = null;
    if (this.ctx?.state === 'suspended') this.ctx.resume();
    this.bar.hidden = true;
    for (const plot of this.plots()) plot.scheduleOverlay();
  }

  finish(run) {
    run.done = true;
    this.run = null;
    this.bar.hidden = true;
    this.lastFinished = { title: run.title, played: run.entries.length };
    for (const plot of this.plots()) plot.scheduleOverlay();
  }

  // The ring of the segment that sounds, on one map (called by the plot's overlay).
  draw(ctx, plot) {
    const run = this.run;
    if (!run || run.current < 0) return;
    const at = run.items[run.current].locate(plot);
    if (!at) return;
    const [x, y] = at;
    ctx.save();
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.7)';
    ctx.beginPath();
    ctx.arc(x, y, 11, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.lineWidth = 2;
    ctx.strokeStyle = RING;
    ctx.beginPath();
    ctx.arc(x, y, 11, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.restore();
  }
}

// The items of a collection track's segments (a trajectory), or of given segments of tracks:
// segments [{trackId, segment, title, artist}], played from /api/audio/<id>?start=&end=.
export function segmentItems(segments, segmentSeconds) {
  return segments.map(({ trackId, segment, title, artist }) => {
    const start = segment * segmentSeconds;
    const end = start + segmentSeconds;
    const where = audioFor(trackId, start, end); // the server's clip, or a static export's file seeked into
    return {
      url: where?.url ?? null,
      offset: where?.seek ? start : undefined,
      length: where?.seek ? segmentSeconds : undefined,
      label: title || `track ${trackId}`,
      detail: `${artist ? `— ${artist} ` : ''}· ${start.toFixed(1)}–${end.toFixed(1)} s`,
      trackId,
      segment,
      // On every map the segment sounding now: by time, as another model cuts other segments.
      locate: (plot) => {
        if (!plot.data) return null;
        const i = plot.indexOf(trackId, plot.data.averages ? 0 : Math.floor((start + 1e-6) / plot.data.segmentSeconds));
        return i >= 0 && plot.onScreen(i) ? plot.screenPosition(i) : null;
      },
    };
  });
}

// The side panel's "listen through" buttons: the track of the point last clicked, and the
// selection (in time order, or along the map).
export class ListenPanel {
  constructor(container, explorer) {
    this.explorer = explorer;
    this.clicked = null; // {plot, index}
    this.track = el('button', { type: 'button', id: 'listen-track', text: '▶ the clicked track', disabled: true, onclick: () => this.playTrack() });
    this.byTime = el('button', { type: 'button', id: 'listen-selection-time', text: '▶ selection, in time', onclick: () => this.playSelection('time') });
    this.byMap = el('button', { type: 'button', id: 'listen-selection-map', text: '▶ along the map', onclick: () => this.playSelection('map') });
    this.info = el('div', { class: 'hint', id: 'listen-info', text: 'Segments back to back; a white ring on the map follows the sound. A cluster: click its name on the map to select it.' });
    container.append(el('section', { class: 'ctl', id: 'listen-through' }, el('h2', { text: 'Listen through' }),
      el('div', { class: 'listen-row' }, this.track), el('div', { class: 'listen-row' }, this.byTime, this.byMap), this.info));
  }

  setClicked(plot, index) {
    this.clicked = { plot, index };
    this.track.disabled = false;
  }

  // Every segment of a track, in time order (the track's trajectory).
  playTrack() {
    const { plot, index } = this.clicked || {};
    if (!plot?.data || !plot.onScreen(index)) return;
    const { data } = plot;
    const t = data.track[index];
    const tracks = data.meta.tracks;
    const segments = Array.from({ length: tracks.n_segments[t] }, (_, segment) => ({ trackId: tracks.track_id[t], segment, title: tracks.title[t], artist: tracks.artist[t] }));
    this.explorer.audition.play(segmentItems(segments, data.segmentSeconds), `${tracks.title[t] || `track ${tracks.track_id[t]}`}, its trajectory`);
  }

  playSelection(order) {
    const plot = this.explorer.plots.find((p) => p.selected.length);
    if (!plot || plot.data.averages) {
      this.info.textContent = plot ? 'A selection of track averages: choose the segments mode to hear it segment by segment.' : 'Select some points first (shift+drag, or the lasso tool).';
      return;
    }
    const { data } = plot;
    const points = plot.selected.slice(0, MAX_ITEMS); // the order is O(n^2) along the map
    const ids = data.meta.tracks.track_id;
    const order_ = order === 'time'
      ? inTimeOrder(points.map((i) => ({ track: data.track[i], segment: data.segment[i] })))
      : alongMap(...[0, 1].map((k) => points.map((i) => plot.screenPosition(i)[k]))); // as the map is seen (its axes scale differently)
    const segments = order_.map((k) => points[k]).map((i) => ({ trackId: ids[data.track[i]], segment: data.segment[i], title: data.meta.tracks.title[data.track[i]], artist: data.meta.tracks.artist[data.track[i]] }));
    this.info.textContent = plot.selected.length > MAX_ITEMS ? `The first ${MAX_ITEMS} of ${plot.selected.length} selected segments.` : '';
    this.explorer.audition.play(segmentItems(segments, data.segmentSeconds), `the selection, ${order === 'time' ? 'in time order' : 'along the map'}`);
  }
}
