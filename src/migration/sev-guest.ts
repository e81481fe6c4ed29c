/**
 * An SEV guest's page status during a live migration (vm-state.md §4): each page private or
 * shared, conversions announced with KVM_HC_MAP_GPA_RANGE (a KVM_EXIT_HYPERCALL the VMM handles
 * before the vCPU runs again), and MSR_KVM_MIGRATION_CONTROL's KVM_MIGRATION_READY. The
 * migration source asks this module which path (flag) each page goes on, and does the rest in
 * the engine's order:
 *
 * - `engine`: types are read after the dirty bits are harvested, the VMM's map is updated at the
 *   exit, a conversion invalidates the page (the guest re-zeroes it) and re-dirties it, and a
 *   pending exit is completed by one KVM_RUN before vCPU state is saved;
 * - `naive` (the unsafe option): the type list is fetched before the harvest, a conversion does
 *   not re-dirty its page, and the pending exit travels with the state.
 *
 * One byte per page: a type map, as KVM's; dirty sets stay bitmaps elsewhere.
 */
import { prng } from '../prng.ts';
import { ABI } from '../layout.ts';
import { decodeSevState, KVM_HC_MAP_GPA_RANGE, MSR_KVM_MIGRATION_CONTROL, type SevOrdering, type SevState } from '../vmstate/index.ts';
import { expectBoolean, expectOnlyKeys, expectRecord, rejectUnknownKeys, requireBoolean, requireInteger, requireObject } from '../validate.ts';

export interface SevOptions {
  /** The guest has set KVM_MIGRATION_READY (no migration before it). @default true */
  readonly migrationReady?: boolean;
  /** Pages the guest converts (private to shared or back) in each round. @default 8 */
  readonly conversionsPerRound?: number;
  /** @default 1 */
  readonly seed?: number;
}

export interface SevRecord {
  readonly state: SevState;
  /** A MAP_GPA_RANGE exit not completed by KVM_RUN when vCPU state was saved. */
  readonly pendingExit: boolean;
}

const SHARED = 1;

export class SevGuest {
  /** The guest's page types (1 = shared). */
  readonly #types: Uint8Array;
  /** What the VMM sends each page as: its map (engine) or the last fetched list (naive). */
  readonly #vmm: Uint8Array;
  readonly #ordering: SevOrdering;
  readonly #ready: boolean;
  readonly #perRound: number;
  readonly #rand: () => number;
  #pendingExit = false;
  conversions = 0;

  constructor(readonly pages: number, options: SevOptions, ordering: SevOrdering) {
    const o = requireObject('state.sev', options);
    rejectUnknownKeys('state.sev', o, ['migrationReady', 'conversionsPerRound', 'seed']);
    this.#ready = requireBoolean('state.sev.migrationReady', o.migrationReady, true);
    this.#perRound = requireInteger('state.sev.conversionsPerRound', o.conversionsPerRound ?? 8, 0, 4096);
    this.#rand = prng(requireInteger('state.sev.seed', o.seed ?? 1, 0, 2 ** 32 - 1));
    this.#ordering = ordering;
    // SEV memory is private unless the guest converts it.
    this.#types = new Uint8Array(pages);
    this.#vmm = new Uint8Array(pages);
  }

  /** No encrypted guest is migrated while KVM_MIGRATION_READY is 0. */
  startRefusal(): string | undefined {
    if (this.#ready) return undefined;
    return `SEV: the guest has not set KVM_MIGRATION_READY in MSR_KVM_MIGRATION_CONTROL (0x${MSR_KVM_MIGRATION_CONTROL.toString(16)}): it may not be reporting its page conversions yet; wait for it`;
  }

  /** A page's record flag: shared (1) or private (0), as the VMM believes now. */
  flagOf(page: number): number {
    return this.#vmm[page]!;
  }

  /** Before a round's harvest. The naive design fetches the type list here, before the dirty bits (race 2). */
  beforeHarvest(): void {
    if (this.#ordering === 'naive') this.#vmm.set(this.#types);
  }

  /**
   * The guest converts this round's pages with KVM_HC_MAP_GPA_RANGE and re-zeroes each (its old
   * contents are gone either way). Returns the pages the VMM re-dirties: all of them in the
   * engine's order, none in the naive one. The last exit stays pending until the vCPU runs again.
   */
  convert(memory: Uint8Array): number[] {
    const redirty: number[] = [];
    for (let i = 0; i < this.#perRound; i++) {
      const page = Math.floor(this.#rand() * this.pages);
      this.#types[page] = this.#types[page]! ^ SHARED;
      if (this.#ordering === 'engine') {
        this.#vmm[page] = this.#types[page]!;
        redirty.push(page);
      }
      memory.fill(0, page * ABI.PAGE_SIZE, (page + 1) * ABI.PAGE_SIZE);
      this.conversions++;
      this.#pendingExit = true;
    }
    return redirty;
  }

  /** The vCPUs ran again: the last exit completed (hypercall.ret became the guest's RAX). */
  vcpusRan(): void {
    this.#pendingExit = false;
  }

  /** The state at stop-and-copy. The engine's order completes a pending exit with one KVM_RUN first. */
  save(unsafe: boolean): { state: SevState & { shared: [number, number][] }; pendingExit: boolean; hypercall: number } {
    if (!unsafe) this.#pendingExit = false;
    const shared: [number, number][] = [];
    for (let p = 0; p < this.pages; p++) {
      if (this.#types[p] !== SHARED) continue;
      const last = shared[shared.length - 1];
      if (last && last[1] === p) last[1] = p + 1;
      else shared.push([p, p + 1]);
    }
    return { state: { pages: this.pages, migrationReady: this.#ready, shared }, pendingExit: this.#pendingExit, hypercall: KVM_HC_MAP_GPA_RANGE };
  }
}

export function decodeSevRecord(value: unknown): SevRecord {
  const o = expectRecord('state.sev', value);
  expectOnlyKeys('state.sev', o, ['state', 'pendingExit', 'hypercall']);
  const state = decodeSevState(o.state);
  if (o.hypercall !== KVM_HC_MAP_GPA_RANGE) throw new RangeError(`state.sev.hypercall must be KVM_HC_MAP_GPA_RANGE (${KVM_HC_MAP_GPA_RANGE}), got ${String(o.hypercall)}`);
  return { state, pendingExit: expectBoolean('state.sev.pendingExit', o.pendingExit) };
}
