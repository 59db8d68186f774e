// The analysis dock's size: dragged by its top edge, collapsed to its tab row, and always leaving
// the maps a sane shape. A map squashed into a wide, short strip distorts every distance on it,
// so the dock never takes more height than leaves the maps MAX_ASPECT wide per unit of height.

import { el } from './dom.js';

export const MAX_ASPECT = 2.2; // widest map shape (width / height) the dock may cause
export const MIN_MAP_PX = 220; // and never less map height than this
const MIN_DOCK_PX = 120;
const DEFAULT_DOCK_PX = 300;
const STORE_KEY = 'tagscape.dockHeight';

// The dock's height for a wanted one: within [MIN_DOCK_PX, what leaves the maps their shape].
// stage: px height of the maps + dock; mapsWidth: px width of one map; chrome: px of the maps'
// titles, axis titles and padding (they take height but are not map).
export function clampDockHeight({ wanted, stage, mapsWidth, chrome }) {
  const mapNeeds = Math.max(MIN_MAP_PX, mapsWidth / MAX_ASPECT) + chrome;
  const most = Math.max(MIN_DOCK_PX, stage - mapNeeds);
  return Math.round(Math.max(MIN_DOCK_PX, Math.min(wanted, most)));
}

export class DockSizer {
  // dock: the dock element; stage: the element that holds maps and dock; plots: the maps' area.
  constructor({ dock, stage, plots }) {
    this.dock = dock;
    this.stage = stage;
    this.plots = plots;
    this.collapsed = false;
    this.wanted = Number(readStored()) || DEFAULT_DOCK_PX;
    this.handle = el('div', { class: 'dock-handle', id: 'dock-handle', title: 'drag to resize', role: 'separator', 'aria-orientation': 'horizontal' });
    this.toggle = el('button', { type: 'button', id: 'collapse-dock', class: 'dock-collapse', title: 'collapse', text: '▾', onclick: () => this.setCollapsed(!this.collapsed) });
    this.handle.addEventListener('pointerdown', (event) => this.startDrag(event));
    // Again when the window changes; the explorer calls apply() when maps come or go (compare on
    // or off: one map twice as wide may need a lower dock).
    new ResizeObserver(() => this.apply()).observe(stage);
  }

  startDrag(event) {
    event.preventDefault();
    this.handle.setPointerCapture(event.pointerId);
    const startY = event.clientY;
    const startHeight = this.dock.getBoundingClientRect().height;
    if (this.collapsed) this.setCollapsed(false);
    const move = (e) => {
      this.wanted = startHeight + (startY - e.clientY);
      this.apply();
    };
    const up = () => {
      this.handle.removeEventListener('pointermove', move);
      this.handle.removeEventListener('pointerup', up);
      this.wanted = this.dock.getBoundingClientRect().height; // what the clamp allowed
      writeStored(String(Math.round(this.wanted)));
    };
    this.handle.addEventListener('pointermove', move);
    this.handle.addEventListener('pointerup', up);
  }

  setCollapsed(collapsed) {
    this.collapsed = collapsed;
    this.dock.classList.toggle('collapsed', collapsed);
    this.toggle.textContent = collapsed ? '▴' : '▾';
    this.toggle.title = collapsed ? 'expand' : 'collapse';
    this.apply();
  }

  // Size the dock for the space there is now (also after a window resize or compare on/off).
  apply() {
    if (this.dock.hidden || this.collapsed) {
      this.dock.style.height = '';
      return;
    }
    const stage = this.stage.getBoundingClientRect().height - this.otherHeight();
    const plot = this.plots.querySelector('.frame');
    const plotBox = this.plots.querySelector('.plot')?.getBoundingClientRect();
    const frameBox = plot?.getBoundingClientRect();
    const chrome = plotBox && frameBox ? plotBox.height - frameBox.height + 16 : 60; // titles, axis title, padding
    const mapsWidth = frameBox?.width || this.plots.getBoundingClientRect().width;
    this.dock.style.height = `${clampDockHeight({ wanted: this.wanted, stage, mapsWidth, chrome })}px`;
  }

  // Height in the stage that is neither maps nor dock (the player bar).
  otherHeight() {
    let other = 0;
    for (const child of this.stage.children) if (child !== this.dock && child !== this.plots) other += child.getBoundingClientRect().height;
    return other;
  }
}

// localStorage may be absent or refuse (private windows, file://): the size then lasts the page.
function readStored() {
  try {
    return window.localStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

function writeStored(value) {
  try {
    window.localStorage.setItem(STORE_KEY, value);
  } catch {
    // not kept
  }
}
