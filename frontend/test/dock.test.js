// The dock never squashes the maps into a wide, short strip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ASPECT, MIN_MAP_PX, clampDockHeight } from '../src/dock.js';

test('the dock takes what it asks for while the maps keep their shape', () => {
  assert.equal(clampDockHeight({ wanted: 250, stage: 800, mapsWidth: 700, chrome: 60 }), 250);
});

test('it never leaves the maps wider than MAX_ASPECT or lower than MIN_MAP_PX', () => {
  for (const stage of [500, 700, 900, 1400]) {
    for (const mapsWidth of [300, 700, 1200]) {
      for (const wanted of [0, 200, 600, 5000]) {
        const dock = clampDockHeight({ wanted, stage, mapsWidth, chrome: 60 });
        const map = stage - dock - 60;
        if (dock > 120) assert.ok(map >= Math.max(MIN_MAP_PX, mapsWidth / MAX_ASPECT) - 1, `${stage} ${mapsWidth} ${wanted}: map ${map}`);
        assert.ok(dock >= 120);
      }
    }
  }
});
