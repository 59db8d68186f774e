// The 2D canvas over the WebGL points: axis ticks, trajectories and the circles of averages.
// It is redrawn (at most once per frame) whenever the view moves.

import { formatTick } from './scales.js';

export const TRAJECTORY_LIMIT = 150000; // segments whose trajectories are drawn at once
const BUCKETS = 8; // opacity steps along a trajectory: faint at the start, solid at the end

function visibleRange(scale) {
  const [a, b] = scale.domain();
  return [Math.min(a, b), Math.max(a, b)];
}

export function drawTicks(ctx, plot, width, height) {
  const { axes, xScale, yScale } = plot;
  if (!axes) return;
  ctx.save();
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = 'rgba(220, 226, 235, 0.75)';
  ctx.strokeStyle = 'rgba(220, 226, 235, 0.08)';
  ctx.lineWidth = 1;
  const [x0, x1] = visibleRange(xScale);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  for (const v of axes.x.ticks(x0, x1, Math.max(2, Math.floor(width / 110)))) {
    const px = Math.round(xScale(axes.x.toNorm(v))) + 0.5;
    if (px < 30 || px > width - 10) continue;
    ctx.beginPath();
    ctx.moveTo(px, 0);
    ctx.lineTo(px, height);
    ctx.stroke();
    ctx.fillText(formatTick(v), px, height - 2);
  }
  const [y0, y1] = visibleRange(yScale);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const v of axes.y.ticks(y0, y1, Math.max(2, Math.floor(height / 80)))) {
    const py = Math.round(yScale(axes.y.toNorm(v))) + 0.5;
    if (py < 10 || py > height - 20) continue;
    ctx.beginPath();
    ctx.moveTo(0, py);
    ctx.lineTo(width, py);
    ctx.stroke();
    ctx.fillText(formatTick(v), 3, py);
  }
  ctx.restore();
}

// Which tracks get a trajectory: all when the segments are few enough, else the selected and
// highlighted tracks (up to the limit). Returns [track indices, note for the user or ''].
export function trajectoryTracks(plot) {
  const { data, mask, selectedTracks } = plot;
  const tracks = data.meta.tracks;
  const count = tracks.track_id.length;
  if (data.x.length <= TRAJECTORY_LIMIT) return [Array.from({ length: count }, (_, t) => t), ''];
  const wanted = new Set(selectedTracks || []);
  if (mask) {
    for (let t = 0; t < count; t++) if (mask[plot.trackStart[t]]) wanted.add(t);
  }
  const out = [];
  let segments = 0;
  for (const t of [...wanted].sort((a, b) => a - b)) {
    segments += tracks.n_segments[t];
    if (segments > TRAJECTORY_LIMIT) break;
    out.push(t);
  }
  const note = `${data.x.length.toLocaleString()} segments: trajectories are drawn for up to ${TRAJECTORY_LIMIT.toLocaleString()} at once; `
    + (out.length ? `showing the ${out.length} selected or highlighted tracks` : 'select or highlight tracks to see theirs');
  return [out, note];
}

// Returns how many trajectories were drawn.
export function drawTrajectories(ctx, plot, tracks, width, height) {
  const { nx, ny, xScale, yScale, trackStart, colors, mask } = plot;
  const paths = new Map(); // colour -> [Path2D per bucket]
  const starts = new Map(); // colour -> Path2D of start markers
  const margin = 50;
  let drawn = 0;
  for (const t of tracks) {
    const first = trackStart[t];
    const last = trackStart[t + 1] - 1;
    if (last <= first) continue;
    drawn += 1;
    const color = mask && !mask[first] ? colors.palette[colors.grey] : colors.trackColor(t);
    if (!paths.has(color)) {
      paths.set(color, Array.from({ length: BUCKETS }, () => new Path2D()));
      starts.set(color, new Path2D());
    }
    const buckets = paths.get(color);
    const length = last - first;
    let px = xScale(nx[first]);
    let py = yScale(ny[first]);
    if (px > -margin && px < width + margin && py > -margin && py < height + margin) {
      starts.get(color).moveTo(px + 3.5, py);
      starts.get(color).arc(px, py, 3.5, 0, 2 * Math.PI);
    }
    for (let i = first; i < last; i++) {
      const qx = xScale(nx[i + 1]);
      const qy = yScale(ny[i + 1]);
      const outside = (px < -margin && qx < -margin) || (px > width + margin && qx > width + margin)
        || (py < -margin && qy < -margin) || (py > height + margin && qy > height + margin);
      if (!outside) {
        const b = Math.min(BUCKETS - 1, Math.floor(((i - first) / length) * BUCKETS));
        buckets[b].moveTo(px, py);
        buckets[b].lineTo(qx, qy);
      }
      px = qx;
      py = qy;
    }
  }
  ctx.save();
  ctx.lineWidth = 1.3;
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  for (const [color, buckets] of paths) {
    ctx.strokeStyle = color;
    buckets.forEach((path, b) => {
      ctx.globalAlpha = 0.12 + (0.78 * (b + 1)) / BUCKETS;
      ctx.stroke(path);
    });
    ctx.globalAlpha = 0.9;
    ctx.lineWidth = 1.5;
    ctx.stroke(starts.get(color));
    ctx.lineWidth = 1.3;
  }
  ctx.restore();
  return drawn;
}

// One circle per track around its mean, its radius the spread of its segments (RMS distance).
// Returns how many circles are on screen.
export function drawAverages(ctx, plot, width, height) {
  const { data, axes, xScale, yScale, colors, mask } = plot;
  const n = data.x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => data.spread[b] - data.spread[a]);
  let drawn = 0;
  ctx.save();
  ctx.lineWidth = 1;
  for (const i of order) {
    const cx = xScale(axes.x.toNorm(data.x[i]));
    const cy = yScale(axes.y.toNorm(data.y[i]));
    const rx = Math.abs(xScale(axes.x.toNorm(data.x[i] + data.spread[i])) - cx);
    const ry = Math.abs(yScale(axes.y.toNorm(data.y[i] + data.spread[i])) - cy);
    if (!Number.isFinite(rx) || !Number.isFinite(ry)) continue;
    if (cx + rx < 0 || cx - rx > width || cy + ry < 0 || cy - ry > height) continue;
    const color = mask && !mask[i] ? colors.palette[colors.grey] : colors.legend.kind === 'gradient' ? colors.palette[colors.z[i]] : colors.trackColor(data.track[i]);
    ctx.beginPath();
    ctx.ellipse(cx, cy, Math.max(rx, 1), Math.max(ry, 1), 0, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.13;
    ctx.fill();
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.7;
    ctx.stroke();
    drawn += 1;
  }
  ctx.restore();
  return drawn;
}
