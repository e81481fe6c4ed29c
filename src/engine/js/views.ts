/**
 * What every file of the js engine shares: typed views over the arena (made once per thread:
 * the memory never grows), word addressing of control-block fields, and popcount. This is
 * the js side of assembly/layout.generated.ts; the rest of js/ mirrors assembly/ file for file.
 */
import { ABI } from '../../layout.ts';
import { SLOT_WORD, VCPU_WORD, VM_WORD } from '../../layout-fields.generated.ts';

export interface Views {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
}

export function viewsOf(memory: WebAssembly.Memory): Views {
  return { u8: new Uint8Array(memory.buffer), u32: new Uint32Array(memory.buffer) };
}

/**
 * Word indices of control-block fields: a field of the vCPU block at byte offset `vcpu` is
 * `u32[(vcpu >>> 2) + VCPU_WORD.field]`. Written out at each use, as named loads of constant
 * objects, which V8 folds to constants; a helper taking the field's name as a string did a
 * keyed lookup wherever it was not inlined, and made the engine 2-5x slower.
 */
export { SLOT_WORD, VCPU_WORD, VM_WORD };
/** u32 index of the VM control block. */
export const VM_BASE = ABI.VM_CTL >>> 2;

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
