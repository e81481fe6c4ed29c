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

/** u32 index of a field of the vCPU control block at byte offset `vcpu`. */
export const vcpuWord = (vcpu: number, field: keyof typeof VCPU_WORD): number => (vcpu >>> 2) + VCPU_WORD[field];
/** u32 index of a field of the slot descriptor at byte offset `desc`. */
export const slotWord = (desc: number, field: keyof typeof SLOT_WORD): number => (desc >>> 2) + SLOT_WORD[field];
/** u32 index of a field of the VM control block. */
export const vmWord = (field: keyof typeof VM_WORD): number => (ABI.VM_CTL >>> 2) + VM_WORD[field];

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
