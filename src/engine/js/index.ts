/** The js engine: the Wasm engine's exports, written the way a user would without this project. */
import type { EngineExports } from '../exports.ts';
import { makeBitmapOps } from './bitmap.ts';
import { makeCollectOps } from './collect.ts';
import { makeRingOps } from './dirty_ring.ts';
import { makeFaultOps } from './fault.ts';
import { viewsOf } from './views.ts';
import { makeWorkloadOps } from './workload.ts';

export function createJsEngine(memory: WebAssembly.Memory): EngineExports {
  const views = viewsOf(memory);
  const bitmaps = makeBitmapOps(views);
  const rings = makeRingOps(views, bitmaps);
  const faults = makeFaultOps(views, bitmaps, rings);
  const { testAndDisarm: _t, setBit: _s, orMask32: _o, ...bitmapExports } = bitmaps;
  return { ...bitmapExports, ...rings, ...faults, ...makeCollectOps(views), ...makeWorkloadOps(views, faults) };
}
