/**
 * Load an engine over a shared memory, in whichever thread calls this. The Wasm module is
 * compiled once per thread (or received from another thread: a WebAssembly.Module is
 * structured-cloneable) and instantiated over the one memory. Instantiation writes no arena
 * bytes: the module has no data segments, so a late worker cannot wipe shared state.
 */
import { readFile } from 'node:fs/promises';
import { ABI } from '../layout.ts';
import type { EngineExports, EngineKind } from './exports.ts';
import { createJsEngine } from './js/index.ts';

export const WASM_URL = new URL('../../build/engine.wasm', import.meta.url);

let compiled: Promise<WebAssembly.Module> | undefined;

export function compileEngine(): Promise<WebAssembly.Module> {
  compiled ??= readFile(WASM_URL).then(
    (bytes) => WebAssembly.compile(bytes),
    (err: unknown) => {
      compiled = undefined;
      throw new Error(`cannot read the Wasm engine at ${WASM_URL.pathname}: run \`npm run build:wasm\``, { cause: err });
    },
  );
  return compiled;
}

interface WasmInstanceExports extends EngineExports {
  heapBase(): number;
}

export function loadEngineSync(kind: EngineKind, memory: WebAssembly.Memory, module: WebAssembly.Module | undefined): EngineExports {
  if (kind === 'js') return createJsEngine(memory);
  if (!module) throw new Error('the wasm engine needs its compiled module: await compileEngine() first');
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmInstanceExports;
  if (exports.heapBase() > ABI.REGIONS_BASE) {
    throw new Error(`engine static data ends at ${exports.heapBase()}, past REGIONS_BASE ${ABI.REGIONS_BASE}: raise REGIONS_BASE in src/layout.ts`);
  }
  return exports;
}

export async function loadEngine(kind: EngineKind, memory: WebAssembly.Memory, module?: WebAssembly.Module): Promise<EngineExports> {
  return loadEngineSync(kind, memory, kind === 'wasm' ? (module ?? (await compileEngine())) : undefined);
}
