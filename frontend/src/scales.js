// Axis transforms (linear, log) and the mapping of data values to the plot's [-1, 1] square.

export function linearScale(domain = [-1, 1], range = [0, 1]) {
  let d = [...domain];
  let r = [...range];
  const scale = (v) => r[0] + ((v - d[0]) / (d[1] - d[0])) * (r[1] - r[0]);
  scale.domain = (next) => (next === undefined ? [...d] : ((d = [...next]), scale));
  scale.range = (next) => (next === undefined ? [...r] : ((r = [...next]), scale));
  scale.invert = (px) => d[0] + ((px - r[0]) / (r[1] - r[0])) * (d[1] - d[0]);
  scale.copy = () => linearScale(d, r);
  return scale;
}

// One axis: value -> t (log10 when asked and every value is positive, else a symmetric log) -> [-1, 1].
// spread (optional, same length as values): each value stands for [v - spread, v + spread] (the
// circles of track averages), so the axis covers those ends too and no circle is cut off.
export class Axis {
  constructor(values, { log = false, spread = null } = {}) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.log = log ? (min > 0 ? 'log' : 'symlog') : null;
    this.c = Math.max(Math.abs(min), Math.abs(max), 1e-12) * 1e-3; // symlog's linear zone
    let lo = values.length ? this.forward(min) : 0;
    let hi = values.length ? this.forward(max) : 1;
    if (spread) {
      for (let i = 0; i < values.length; i++) {
        const s = Math.abs(spread[i]) || 0;
        // on a log axis a circle's lower end may be <= 0: it cannot be shown, its centre can
        if (this.log !== 'log' || values[i] - s > 0) lo = Math.min(lo, this.forward(values[i] - s));
        hi = Math.max(hi, this.forward(values[i] + s));
      }
    }
    const span = hi - lo || Math.abs(hi) || 1;
    this.lo = lo - span * 0.05;
    this.hi = hi + span * 0.05;
  }

  forward(v) {
    if (this.log === 'log') return Math.log10(v);
    if (this.log === 'symlog') return Math.sign(v) * Math.log10(1 + Math.abs(v) / this.c);
    return v;
  }

  inverse(t) {
    if (this.log === 'log') return 10 ** t;
    if (this.log === 'symlog') return Math.sign(t) * this.c * (10 ** Math.abs(t) - 1);
    return t;
  }

  normalise(values) {
    const out = new Float32Array(values.length);
    const k = 2 / (this.hi - this.lo);
    if (!this.log) {
      for (let i = 0; i < values.length; i++) out[i] = (values[i] - this.lo) * k - 1;
    } else {
      for (let i = 0; i < values.length; i++) out[i] = (this.forward(values[i]) - this.lo) * k - 1;
    }
    return out;
  }

  toData(n) {
    return this.inverse(this.lo + ((n + 1) / 2) * (this.hi - this.lo));
  }

  toNorm(v) {
    return ((this.forward(v) - this.lo) / (this.hi - this.lo)) * 2 - 1;
  }

  // Tick values (data units) between two normalised positions.
  ticks(n0, n1, count = 6) {
    const t0 = this.lo + ((n0 + 1) / 2) * (this.hi - this.lo);
    const t1 = this.lo + ((n1 + 1) / 2) * (this.hi - this.lo);
    if (this.log === 'log') {
      const a = Math.floor(t0);
      const b = Math.ceil(t1);
      const mantissas = b - a <= 2 ? [1, 2, 5] : [1];
      const step = Math.max(1, Math.ceil((b - a) / count));
      const out = [];
      for (let e = a; e <= b; e += step) for (const m of mantissas) if (Math.log10(m * 10 ** e) >= t0 && Math.log10(m * 10 ** e) <= t1) out.push(m * 10 ** e);
      return out;
    }
    if (this.log === 'symlog') {
      // Nice positions in the transformed space, labelled with one significant digit.
      const values = niceTicks(t0, t1, count).map((t) => Number(this.inverse(t).toPrecision(1)));
      return [...new Set(values)];
    }
    return niceTicks(t0, t1, count);
  }
}

export function niceTicks(a, b, count) {
  if (!(b > a)) return [];
  const raw = (b - a) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function formatTick(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}
