// Semantic zoom in the averages mode (issue 16): zoomed out, one circle per track; zoomed in past
// OPEN_BELOW, the circles in view open into their tracks' segments (the same map's segments,
// asked of the server once, when first needed), each dot in its track's colour.

const OPEN_BELOW = 0.45; // camera distance (1: the whole map) below which averages open
const MAX_DOTS = 200_000;

// The segments of tracks whose circle (mean ± spread) reaches into the view, as screen dots.
// -> {tracks, dots, trackIds}; draws nothing past MAX_DOTS.
function drawSegments(ctx, plot, segments, width, height) {
  const { data, axes, xScale, yScale, colors, mask } = plot;
  const trackIds = [];
  let dots = 0;
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
      ctx.beginPath();
      ctx.arc(xScale(axes.x.toNorm(segments.x[j])), yScale(axes.y.toNorm(segments.y[j])), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
    trackIds.push(data.trackIdOf(i));
    dots += end - start;
  }
  ctx.restore();
  return { tracks: trackIds.length, dots, trackIds };
}

export class SemanticZoom {
  // source: the data source; client: the page's id; onBusy(delta); onLoaded(plot): redraw it.
  constructor({ source, client, onBusy }) {
    this.source = source;
    this.client = client;
    this.onBusy = onBusy;
    this.segments = new WeakMap(); // averages Points -> {status, data}
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
    plot.opened = { tracks: 0, dots: 0, trackIds: [] };
    if (!this.zoomedIn(plot)) return;
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
