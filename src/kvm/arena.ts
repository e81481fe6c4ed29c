/**
 * The arena: the one shared WebAssembly.Memory of a VM, its layout plan, this thread's
 * engine instance over it, and typed access to its control blocks. The main thread creates
 * it when a VM's layout freezes; a worker thread joins it from an {@link ArenaHandle}, the
 * structured-cloneable part. Both get the same object, so the KVM verbs, the vCPU worker
 * and the collector all work on one kind of thing.
 */
import { compileEngine, loadEngineSync } from '../engine/load.ts';
import type { EngineExports, EngineKind } from '../engine/exports.ts';
import { ABI, type ArenaPlan } from '../layout.ts';
import { SlotDesc, VcpuCtl, VmCtl } from '../layout-fields.generated.ts';

/** What a thread needs to join a VM's arena; posted to workers as is. */
export interface ArenaHandle {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module | undefined;
  readonly engineKind: EngineKind;
  readonly plan: ArenaPlan;
}

export interface Arena extends ArenaHandle {
  /** This thread's instance of the engine over the memory. */
  readonly engine: EngineExports;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  /** Int32 view of the same words: Atomics.wait and notify need it. */
  readonly i32: Int32Array;
  readonly vm: VmCtl;
  /** Every control block, by vCPU (or device writer) index. */
  readonly vcpus: readonly VcpuCtl[];
  /** Every slot descriptor, by slot id. */
  readonly slots: readonly SlotDesc[];
}

/** Allocate the memory for `plan` and instantiate the engine over it (main thread). */
export function createArena(plan: ArenaPlan, engineKind: EngineKind, module: WebAssembly.Module | undefined): Arena {
  const memory = new WebAssembly.Memory({ initial: plan.wasmPages, maximum: plan.wasmPages, shared: true });
  return joinArena({ memory, module, engineKind, plan });
}

/** This thread's view of an existing arena (any thread). */
export function joinArena(handle: ArenaHandle): Arena {
  const { memory, plan } = handle;
  const u32 = new Uint32Array(memory.buffer);
  return {
    memory,
    module: handle.module,
    engineKind: handle.engineKind,
    plan,
    engine: loadEngineSync(handle.engineKind, memory, handle.module),
    u8: new Uint8Array(memory.buffer),
    u32,
    i32: new Int32Array(memory.buffer),
    vm: new VmCtl(u32, ABI.VM_CTL),
    vcpus: plan.vcpuCtl.map((at) => new VcpuCtl(u32, at)),
    slots: plan.slots.map((s) => new SlotDesc(u32, s.desc)),
  };
}

/** The part of an arena a worker thread needs to join it. */
export function arenaHandle(arena: Arena): ArenaHandle {
  return { memory: arena.memory, module: arena.module, engineKind: arena.engineKind, plan: arena.plan };
}

/** The compiled Wasm module when the engine needs one. */
export async function engineModule(engineKind: EngineKind): Promise<WebAssembly.Module | undefined> {
  return engineKind === 'wasm' ? compileEngine() : undefined;
}
