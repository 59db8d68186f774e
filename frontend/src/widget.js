// The notebook widget (anywidget; Python: src/tagscape/widget.py): one map of a static export,
// with hover-to-sound and a lasso whose points go back to Python as `widget.selection`.
// The export's files come through the widget's own channel to the kernel (model.send / a reply
// with the bytes as a buffer), not over HTTP: that works wherever the notebook's kernel works
// (JupyterLab, Notebook, VS Code, a remote hub), where a local web server would not be reachable.
// The map is drawn by the explorer's own Plot, in a shadow root so that the explorer's page
// styles neither leak into the notebook nor get the notebook's.

import css from './style.css?inline';
import { el } from './dom.js';
import { Plot } from './plot.js';
import { DEFAULTS } from './state.js';
import { staticSource } from './staticsource.js';

// Track files (Ogg Opus) kept as blob URLs while hovering back and forth.
const AUDIO_KEPT = 24;

// A fetchFile (staticsource.js) answered by the kernel: {type: 'file', id, path} out, and
// {type: 'file', id, status} with the file's bytes as its one buffer back.
export function kernelFiles(model) {
  let next = 0;
  const waiting = new Map();
  model.on('msg:custom', (message, buffers) => {
    if (message?.type !== 'file' || !waiting.has(message.id)) return;
    const resolve = waiting.get(message.id);
    waiting.delete(message.id);
    resolve(new Response(message.status === 200 ? buffers?.[0] ?? new Uint8Array(0) : null, { status: message.status }));
  });
  return (path, { signal } = {}) => new Promise((resolve, reject) => {
    next += 1;
    const id = next;
    waiting.set(id, resolve);
    signal?.addEventListener('abort', () => {
      waiting.delete(id);
      reject(new DOMException('aborted', 'AbortError'));
    });
    model.send({ type: 'file', id, path });
  });
}

// Plays one segment of a track from its exported file (a blob URL): seeks to it, stops at its end.
class HoverPlayer {
  constructor(container, { fetchFile, manifest }) {
    this.fetchFile = fetchFile;
    this.spans = manifest.audio.tracks;
    this.urls = new Map(); // track id -> Promise of a blob URL, the oldest first
    this.audio = el('audio', { class: 'tw-audio', controls: true, preload: 'auto' });
    this.label = el('span', { class: 'tw-now', text: manifest.audio.kind === 'none' ? 'this export has no audio' : 'hover a point to listen' });
    this.end = null;
    this.key = null;
    this.audio.addEventListener('timeupdate', () => {
      if (this.end !== null && this.audio.currentTime >= this.end) this.audio.pause();
    });
    container.append(el('div', { class: 'tw-player' }, this.audio, this.label));
  }

  trackURL(trackId) {
    let url = this.urls.get(trackId);
    if (!url) {
      url = this.fetchFile(`audio/${trackId}.opus`).then(async (response) => {
        if (!response.ok) throw new Error(`no audio for track ${trackId}`);
        return URL.createObjectURL(new Blob([await response.arrayBuffer()], { type: 'audio/ogg' }));
      });
      url.catch(() => this.urls.delete(trackId));
      this.urls.set(trackId, url);
      if (this.urls.size > AUDIO_KEPT) {
        const [oldest, promise] = this.urls.entries().next().value;
        this.urls.delete(oldest);
        promise.then((old) => old !== this.audio.src && URL.revokeObjectURL(old)).catch(() => {});
      }
    }
    return url;
  }

  async play({ trackId, title, start, end }) {
    const key = `${trackId}:${start}`;
    if (this.key === key) return;
    this.key = key;
    const span = this.spans[String(trackId)];
    const stop = end ?? span?.[1] ?? 0;
    this.label.textContent = `${title} · ${start.toFixed(1)}–${end === null ? 'end' : end.toFixed(1)} s`;
    this.audio.dataset.track = String(trackId);
    this.audio.dataset.start = start.toFixed(3);
    if (!span || start < span[0] || stop > span[1] + 0.05) {
      this.audio.pause();
      this.label.textContent += ' (not in the exported audio)';
      return;
    }
    let url;
    try {
      url = await this.trackURL(trackId);
    } catch (error) {
      this.label.textContent = error.message;
      return;
    }
    if (this.key !== key) return; // another point was hovered meanwhile
    this.end = end;
    const seek = () => {
      this.audio.currentTime = start - span[0];
      this.audio.play().catch(() => {
        this.label.textContent += ' (click the widget once to allow sound)';
      });
    };
    if (this.audio.src === url && this.audio.readyState >= 1) seek();
    else {
      this.audio.addEventListener('loadedmetadata', seek, { once: true });
      this.audio.src = url;
    }
  }
}

// The view the widget shows: {model, layer, projection, mode} from Python.
function pointsParams(view) {
  const params = { model: view.model, layer: view.layer, projection: view.projection, x: '0', y: '1' };
  if (view.mode === 'averages') params.mode = 'averages';
  return params;
}

async function render({ model, el: host }) {
  const root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  // The explorer's page styles, for this shadow root only (its :root and body are the host here).
  const style = el('style', { text: `${css.replaceAll(':root', ':host').replace(/html,\s*body\s*\{/, ':host {')}
    :host { display: block; } .tw { display: flex; flex-direction: column; height: ${Number(model.get('height')) || 520}px; background: var(--bg); }
    .tw .plots { flex: 1; display: flex; min-height: 0; } .tw .plot { flex: 1; } .tw-player { display: flex; gap: 10px; align-items: center; padding: 4px 8px; }
    .tw-player audio { height: 30px; } .tw-now, .tw-selected { color: var(--muted); font-size: 12px; }` });
  const plotArea = el('div', { class: 'plots' });
  const footer = el('div', { class: 'tw-foot' });
  const selected = el('span', { class: 'tw-selected', text: 'shift+drag: lasso' });
  const frame = el('div', { class: 'tw' }, plotArea, footer);
  root.append(style, frame);
  const fetchFile = kernelFiles(model);
  const source = await staticSource('', { fetchFile });
  const player = new HoverPlayer(footer, { fetchFile, manifest: source.manifest });
  footer.firstChild.append(selected);
  const state = { ...DEFAULTS, mode: model.get('view').mode || 'segments' };
  const plot = new Plot(plotArea, 0, {
    onHover: (p, i) => {
      const s = p.data.info(i);
      player.play({ trackId: s.trackId, title: s.title, start: s.start, end: s.end });
    },
    onOut: () => {},
    onSelect: (p, chosen) => {
      const points = chosen.map((i) => ({ track_id: p.data.trackIdOf(i), segment: p.data.segmentOf(i) }));
      selected.textContent = `${points.length} selected`;
      model.set('selection', points);
      model.save_changes();
    },
  });
  plot.setMouseMode('pan');
  host.tagscape = { plot, player, model }; // what the tests read (as window.tagscape on the page)
  const show = async () => {
    const view = model.get('view');
    try {
      const data = await source.points(pointsParams(view));
      plot.setTitle(`${data.meta.model} · ${data.meta.layer} · ${data.meta.projection}`);
      await plot.setData(data, { ...state, mode: view.mode || 'segments' });
      model.set('status', `${data.length} points`);
    } catch (error) {
      plot.showMessage(error.message, 'error');
      model.set('status', `error: ${error.message}`);
    }
    model.save_changes();
  };
  model.on('change:view', show);
  await show();
  return () => {
    plot.scatterplot.destroy();
    plot.resizeObserver?.disconnect();
  };
}

export default { render };
