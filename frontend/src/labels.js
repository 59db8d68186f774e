// Where a map's cluster names go: greedy placement with collision boxes. The biggest cluster
// places its name first; each next name takes the first of a few spots around its anchor (on it,
// above, below, right, left; slid inside the map where it would stick out) that overlaps no name
// placed before;
// a name with no such spot is hidden (zooming in makes room). Pure: the tests run it in node.

// The spots tried for a label of size w x h anchored at (x, y), as top-left corners: centred on
// the anchor first (the name sits on its points), then just above, below, right and left of it;
// `beside`: a small cluster, whose points a centred name would hide, tries above first.
export function spots(x, y, w, h, { gap = 3, beside = false } = {}) {
  const on = [x - w / 2, y - h / 2];
  const around = [
    [x - w / 2, y - h / 2 - gap - h], // just clear of the centred spot
    [x - w / 2, y + h / 2 + gap],
    [x + gap + 8, y - h / 2],
    [x - w - gap - 8, y - h / 2],
  ];
  return beside ? [...around, on] : [on, ...around];
}

function overlaps(a, b, margin) {
  return a.left < b.left + b.w + margin && b.left < a.left + a.w + margin && a.top < b.top + b.h + margin && b.top < a.top + a.h + margin;
}

// items: [{id, x, y, w, h, priority, beside}] (screen pixels: the anchor and the label's size);
// -> [{id, left, top, w, h, shown}] in the items' order; shown labels never overlap (margin
// pixels apart) and lie within [0, width] x [0, height]. An anchor off the map hides its label.
export function placeLabels(items, { width, height, margin = 2 }) {
  const order = items.map((item, k) => k).sort((a, b) => (items[b].priority - items[a].priority) || (a - b));
  const placed = [];
  const out = items.map((item) => ({ id: item.id, left: 0, top: 0, w: item.w, h: item.h, shown: false }));
  for (const k of order) {
    const { x, y, w, h, beside = false } = items[k];
    if (!(x >= 0 && x <= width && y >= 0 && y <= height) || !(w > 0 && h > 0)) continue;
    if (w > width || h > height) continue;
    for (const [x0, y0] of spots(x, y, w, h, { beside })) {
      // a name near an edge slides inside the map
      const left = Math.max(0, Math.min(width - w, x0));
      const top = Math.max(0, Math.min(height - h, y0));
      const box = { left, top, w, h };
      if (placed.some((other) => overlaps(box, other, margin))) continue;
      placed.push(box);
      Object.assign(out[k], { left, top, shown: true });
      break;
    }
  }
  return out;
}
