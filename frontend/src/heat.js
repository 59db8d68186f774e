// Heatmap helpers shared by the track view, the tag view and the correlation matrix: colour
// scales as RGB tables, painting a matrix into a canvas one pixel per cell, and time labels.

import { VIRIDIS_GRADIENT } from './colors.js';

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const VIRIDIS_RGB = VIRIDIS_GRADIENT.map(rgb);

// Activations in [0, 1] -> viridis.
export function viridis(v) {
  if (v === null || !Number.isFinite(v)) return [60, 63, 71];
  return VIRIDIS_RGB[Math.max(0, Math.min(255, Math.round(v * 255)))];
}

// Correlations in [-1, 1] -> blue (negative), the plot background (0), orange-red (positive).
const NEG = [59, 125, 221];
const ZERO = [16, 21, 27];
const POS = [232, 85, 63];
export function diverging(r) {
  if (r === null || !Number.isFinite(r)) return [70, 70, 70];
  const t = Math.min(1, Math.abs(r));
  const end = r < 0 ? NEG : POS;
  return ZERO.map((z, j) => z + (end[j] - z) * Math.sqrt(t));
}

// Paint rows x cols values into a canvas of the same size (one pixel per cell); the caller
// scales it up with imageSmoothingEnabled = false.
export function paintCells(rows, cols, valueAt, colour) {
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, cols);
  canvas.height = Math.max(1, rows);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(canvas.width, canvas.height);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [red, green, blue] = colour(valueAt(r, c));
      const k = (r * cols + c) * 4;
      image.data[k] = red;
      image.data[k + 1] = green;
      image.data[k + 2] = blue;
      image.data[k + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

// A canvas sized in CSS pixels, sharp on high-DPI screens; returns its 2D context.
export function sizeCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export function clock(seconds) {
  const m = Math.floor(seconds / 60);
  const s = Math.floor(seconds - m * 60);
  return `${m}:${String(s).padStart(2, '0')}`;
}

export function fmt(value, digits = 2) {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}
