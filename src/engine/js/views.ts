/** Typed views over the arena. The memory never grows, so they are made once per thread. */
export interface Views {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
}

export function viewsOf(memory: WebAssembly.Memory): Views {
  return { u8: new Uint8Array(memory.buffer), u32: new Uint32Array(memory.buffer) };
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
