// Semantic zoom in the averages mode (issue 16): zoomed out, one circle per track; zoomed in past
// OPEN_BELOW, the circles in view open into their tracks' segments (the same map's segments,
// asked of the server once, when first needed), each dot in its track's colour. An opened
// segment answers the pointer as a point does: its tooltip, and its sound on hover or click.

const OPEN_BELOW = 0.45; // camera distance (1: the whole map) below which averages open
const MAX_DOTS = 200_000;
const HIT_RADIUS = 6; // CSS pixels from a dot's centre that still hover it

// The drawn dot nearest (x, y) within HIT_RADIUS, as its index into the segments, or -1.
export function nearestDot(hits, x, y, radius = HIT_RADIUS) {
  let best = -1;
  let bestD = radius * radius;
  for (let k = 0; k < hits.n; k++) {
    const dx = hits.x[k] - x;
    const dy = hits.y[k] - y;
    const d = dx * dx + dy * dy;
    if (d <= bestD) {
      bestD = d;
      best = hits.segment[k];
    }
  }
  return best;
}

// The segments of tracks whose circle (mean ± spread) reaches into the view, as screen dots.
// -> {tracks, dots, trackIds}; draws nothing past MAX_DOTS.
function drawSegments(ctx, plot, segments, width, height) {
  const { data, axes, xScale, yScale, colors, mask } = plot;
  const trackIds = [];
  let dots = 0;
  const hits = { x: [], y: [], segment: [], n: 0 }; // where each dot was drawn, for the pointer
  ctx.save();
  for (let i = 0; i < data.x.length && dots < MAX_DOTS; i++) {
    const cx = xScale(axes.x.toNorm(data.x[i]));
    const cy = yScale(axes.y.toNorm(data.y[i]));
    const rx = Math.abs(xScale(axes.x.toNorm(data.x[i] + data.spread[i])) - cx) || 0;
    const ry = Math.abs(yScale(axes.y.toNorm(data.y[i] + data.spread[i])) - cy) || 0;
    if (cx + rx < 0 || cx - rx > width || cy + ry < 0 || cy - ry > height) continue;
    const t = segments.trackIndex.get(data.trackIdOf(i));
    if (t === undefined) continue;
    const color = mask && !mask[i] ? colors.palette[colors.grey] : colors.legend.kind === 'gradient' ? colors.palette[colors.z[i]] : colors.trackColor(data.track[i]);
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.9;
    const start = segments.trackStart[t];
    const end = segments.trackStart[t + 1];
    for (let j = start; j < end; j++) {
      const sx = xScale(axes.x.toNorm(segments.x[j]));
      const sy = yScale(axes.y.toNorm(segments.y[j]));
      ctx.beginPath();
      ctx.arc(sx, sy, 2.5, 0, 2 * Math.PI);
      ctx.fill();
      hits.x.push(sx);
      hits.y.push(sy);
      hits.segment.push(j);
    }
    trackIds.push(data.trackIdOf(i));
    dots += end - start;
  }
  ctx.restore();
  hits.n = hits.segment.length;
  return { tracks: trackIds.length, dots, trackIds, hits };
}

export class SemanticZoom {
  // source: the data source; client: the page's id; onBusy(delta); onLoaded(plot): redraw it.
  // onSegment(plot, segments, j, kind): an opened segment under the pointer ('move' or 'click');
  // onLeave(plot): the pointer left the opened segments.
  constructor({ source, client, onBusy, onSegment = () => {}, onLeave = () => {} }) {
    this.source = source;
    this.client = client;
    this.onBusy = onBusy;
    this.onSegment = onSegment;
    this.onLeave = onLeave;
    this.segments = new WeakMap(); // averages Points -> {status, data}
    this.hovered = null; // {plot, segment}: an opened segment under the pointer (points beneath it stay quiet)
  }

  // The pointer over a plot (listened to before the map's points): an opened segment answers it.
  // -> whether one did.
  pointer(plot, event, kind) {
    const hits = this.opened(plot) ? plot.opened?.hits : null; // drawn segments, not circles
    const box = plot.frame.getBoundingClientRect();
    const j = hits ? nearestDot(hits, event.clientX - box.left, event.clientY - box.top) : -1;
    if (j < 0) {
      if (this.hovered) { // off the dots, or on another map: the points beneath answer again
        this.hovered = null;
        this.onLeave(plot);
      }
      return false;
    }
    if (kind === 'click' || this.hovered?.plot !== plot.index || this.hovered.segment !== j) {
      this.hovered = { plot: plot.index, segment: j };
      this.onSegment(plot, this.segments.get(plot.data).data, j, kind, event);
    }
    return true;
  }

  zoomedIn(plot) {
    return plot.mode === 'averages' && !!plot.data?.spread && plot.scatterplot.get('cameraDistance') < OPEN_BELOW;
  }

  // Whether a plot shows segments instead of circles now (plot.js then draws no circles).
  opened(plot) {
    return this.zoomedIn(plot) && this.segments.get(plot.data)?.status === 'ready';
  }

  // Called with a plot's overlay: opens the circles in view when zoomed in (asking for the
  // segments the first time).
  draw(ctx, plot, width, height) {
    plot.opened = { tracks: 0, dots: 0, trackIds: [], hits: null };
    if (!this.zoomedIn(plot)) {
      if (this.hovered?.plot === plot.index) this.hovered = null;
      return;
    }
    const entry = this.segments.get(plot.data);
    if (!entry) this.load(plot, plot.data);
    else if (entry.status === 'ready') plot.opened = drawSegments(ctx, plot, entry.data, width, height);
  }

  async load(plot, data) {
    const entry = { status: 'pending', data: null };
    this.segments.set(data, entry);
    if (!data.requestParams) return;
    const params = { ...data.requestParams };
    delete params.mode; // the same map's segments
    this.onBusy(1);
    try {
      entry.data = await this.source.points({ ...params, client: `${this.client}-${plot.index}-segments` });
      entry.status = 'ready';
    } catch (error) {
      entry.status = 'error';
      entry.error = error.message;
    } finally {
      this.onBusy(-1);
    }
    if (plot.data === data) plot.scheduleOverlay();
  }
}
