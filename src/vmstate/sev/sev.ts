/**
 * AMD SEV page status during migration. Each guest frame is private (encrypted with the guest
 * key; must travel through the PSP SEND/RECEIVE_UPDATE_DATA path) or shared (plaintext). The
 * guest announces conversions with KVM_HC_MAP_GPA_RANGE; with KVM_CAP_EXIT_HYPERCALL that is a
 * KVM_EXIT_HYPERCALL the VMM handles synchronously and which completes on the next KVM_RUN.
 *
 * Two orderings are modelled so the reference's races can be replayed:
 * - 'naive': the unmerged list design. KVM keeps the shared list, userspace fetches it whenever
 *   it likes (GET_LIST), a conversion keeps the frame's contents and does not re-dirty it.
 * - 'engine': the exit design plus the engine's rules. Userspace's type map is updated at the
 *   exit, a conversion invalidates the contents (the guest re-zeroes) and re-dirties the frame,
 *   and each round harvests dirty bits before reading types.
 */
import { U64_MAX } from '../u64.ts';
import {
  describe, expectArray, expectBoolean, expectOnlyKeys, expectRecord, rejectUnknownKeys, requireBigInt, requireBoolean, requireInteger, requireObject,
  requireOneOf,
} from '../../validate.ts';

export const KVM_HC_MAP_GPA_RANGE = 12;
export const KVM_EXIT_HYPERCALL = 3;
export const KVM_EXIT_HYPERCALL_LONG_MODE = 1;
export const KVM_FEATURE_HC_MAP_GPA_RANGE = 16;
export const KVM_FEATURE_MIGRATION_CONTROL = 17;
export const KVM_MAP_GPA_RANGE_PAGE_SZ_4K = 0n;
export const KVM_MAP_GPA_RANGE_PAGE_SZ_2M = 1n;
export const KVM_MAP_GPA_RANGE_PAGE_SZ_1G = 2n;
export const KVM_MAP_GPA_RANGE_ENCRYPTED = 1n << 4n;
export const MSR_KVM_MIGRATION_CONTROL = 0x4b56_4d08;
export const KVM_MIGRATION_READY = 1n;
const PAGE_SHIFT = 12n;

export type PageType = 'private' | 'shared';
export type SevOrdering = 'naive' | 'engine';
/** Every page type and ordering, for validation and the CLI. */
export const PAGE_TYPES: readonly PageType[] = ['private', 'shared'];
export const SEV_ORDERINGS: readonly SevOrdering[] = ['naive', 'engine'];

/** A run of bytes the guest wrote, tagged with the type it was written for; 'garbled' after a wrong-type transfer. */
export interface Segment {
  readonly text: string;
  readonly type: PageType;
  readonly garbled?: true;
}

/** One copy of a frame to the destination. */
export interface Transfer {
  readonly gfn: number;
  readonly sentAs: PageType;
  /** The frame's type in the guest when the copy was taken. */
  readonly actual: PageType;
}

/** The guest's RAX after the hypercall, or the exit userspace must complete. */
export type MapGpaRangeOutcome =
  | { readonly kind: 'exit'; readonly exitReason: typeof KVM_EXIT_HYPERCALL; readonly nr: number; readonly args: readonly [bigint, bigint, bigint] }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly errno: 'EINVAL'; readonly reason: string };

/** A frame on one side. */
interface Frame {
  type: PageType;
  data: Segment[];
}

/** The VM on the source (and, after switchover, the destination's frames). */
export class SevVm {
  readonly frames: Frame[];
  /** What the destination has received. */
  readonly received = new Map<number, Segment[]>();
  readonly transfers: Transfer[] = [];
  readonly log: string[] = [];
  #dirty = new Set<number>();
  /** Userspace's type map: what the VMM would send each frame as. */
  #vmmTypes: PageType[];
  /** The naive design's KVM-side list, fetched by GET_LIST. */
  #kvmTypes: PageType[];
  #pendingExit: readonly [bigint, bigint, bigint] | undefined;
  #migrationReady = false;

  readonly pages: number;
  readonly ordering: SevOrdering;

  constructor(pages: number, ordering: SevOrdering) {
    this.pages = requireInteger('pages', pages, 1, 1 << 20);
    this.ordering = requireOneOf('ordering', ordering, SEV_ORDERINGS);
    // SEV memory is private unless the guest converts it.
    this.frames = Array.from({ length: pages }, (): Frame => ({ type: 'private', data: [] }));
    this.#vmmTypes = this.frames.map(() => 'private');
    this.#kvmTypes = this.frames.map(() => 'private');
  }

  #frame(gfn: number): Frame {
    return this.frames[requireInteger('gfn', gfn, 0, this.pages - 1, `the guest has ${this.pages} pages`)]!;
  }

  get migrationReady(): boolean {
    return this.#migrationReady;
  }

  get pendingExit(): boolean {
    return this.#pendingExit !== undefined;
  }

  /** The guest writes `text` into `gfn`; `replace` overwrites the whole page (e.g. zeroing). */
  guestWrite(gfn: number, text: string, options: { readonly as?: PageType; readonly replace?: boolean } = {}): void {
    const o = requireObject('options', options);
    rejectUnknownKeys('options', o, ['as', 'replace']);
    if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${describe(text)}`);
    const f = this.#frame(gfn);
    const seg = { text, type: o.as === undefined ? f.type : requireOneOf('as', o.as, PAGE_TYPES) };
    f.data = requireBoolean('replace', o.replace, false) ? [seg] : [...f.data, seg];
    this.#dirty.add(gfn);
    this.log.push(`guest: write '${text}' (${seg.type}) to gfn ${gfn}`);
  }

  /** The guest's KVM_HC_MAP_GPA_RANGE(gpa, npages, attrs). */
  guestMapGpaRange(gpa: bigint, npages: bigint, attrs: bigint): MapGpaRangeOutcome {
    // Registers are u64: a wrong type is the caller's bug; a bad value is the guest's -EINVAL.
    for (const [name, value] of [['gpa', gpa], ['npages', npages], ['attrs', attrs]] as const) requireBigInt(name, value, 0n, U64_MAX);
    const einval = (reason: string): MapGpaRangeOutcome => ({ kind: 'error', errno: 'EINVAL', reason });
    if ((attrs & ~0x1fn) !== 0n) return einval('attrs bits 63:5 must be 0');
    if ((attrs & 0xfn) > KVM_MAP_GPA_RANGE_PAGE_SZ_1G) return einval(`page size ${attrs & 0xfn} is not 4K, 2M or 1G`);
    if ((gpa & ((1n << PAGE_SHIFT) - 1n)) !== 0n || npages === 0n) return einval('gpa must be 4 KiB aligned and npages non-zero');
    const first = gpa >> PAGE_SHIFT;
    if (first + npages > BigInt(this.pages)) return einval(`range [${first}, ${first + npages}) is outside the guest`);
    if (this.#pendingExit) return einval('a previous exit has not been completed by KVM_RUN');
    const type: PageType = attrs & KVM_MAP_GPA_RANGE_ENCRYPTED ? 'private' : 'shared';
    for (let gfn = Number(first); gfn < Number(first + npages); gfn++) {
      const f = this.frames[gfn]!;
      f.type = type;
      if (this.ordering === 'naive') {
        this.#kvmTypes[gfn] = type;
      } else {
        // The VMM handles the exit before the vCPU can run again: its map is never stale, and
        // the old contents are gone (the guest re-zeroes), so the frame must be sent again.
        this.#vmmTypes[gfn] = type;
        f.data = [{ text: 'zeros', type }];
        this.#dirty.add(gfn);
      }
    }
    this.log.push(`guest: MAP_GPA_RANGE gfn ${first}+${npages} -> ${type}${this.ordering === 'engine' ? ' (exit recorded, contents invalidated, re-dirtied)' : ''}`);
    if (this.ordering === 'naive') return { kind: 'done' };
    this.#pendingExit = [gpa, npages, attrs];
    return { kind: 'exit', exitReason: KVM_EXIT_HYPERCALL, nr: KVM_HC_MAP_GPA_RANGE, args: this.#pendingExit };
  }

  /** Convenience: convert one frame. */
  convert(gfn: number, to: PageType): MapGpaRangeOutcome {
    requireOneOf('to', to, PAGE_TYPES);
    // A gfn outside the guest is the guest's mistake: MAP_GPA_RANGE answers -EINVAL.
    requireInteger('gfn', gfn, 0, Number.MAX_SAFE_INTEGER);
    return this.guestMapGpaRange(BigInt(gfn) << PAGE_SHIFT, 1n, to === 'private' ? KVM_MAP_GPA_RANGE_ENCRYPTED : 0n);
  }

  /** KVM_RUN: completes a pending hypercall exit (hypercall.ret becomes the guest's RAX). */
  kvmRun(): void {
    this.#pendingExit = undefined;
  }

  /** The guest's WRMSR to MSR_KVM_MIGRATION_CONTROL, forwarded by the VMM's MSR filter. */
  writeMsr(index: number, value: bigint): { kind: 'ok' } | { kind: 'error'; reason: string } {
    requireInteger('index', index, 0, 0xffff_ffff);
    requireBigInt('value', value, 0n, U64_MAX);
    if (index !== MSR_KVM_MIGRATION_CONTROL) return { kind: 'error', reason: `MSR 0x${index.toString(16)} is not filtered to userspace` };
    if ((value & ~KVM_MIGRATION_READY) !== 0n) return { kind: 'error', reason: 'only bit 0 (KVM_MIGRATION_READY) is defined' };
    this.#migrationReady = value === KVM_MIGRATION_READY;
    return { kind: 'ok' };
  }

  /** Starting a migration of an encrypted guest requires MIGRATION_READY. */
  startMigration(): { kind: 'ok' } | { kind: 'refused'; reason: string } {
    if (!this.#migrationReady) return { kind: 'refused', reason: 'the guest has not set KVM_MIGRATION_READY in MSR_KVM_MIGRATION_CONTROL: it may not be reporting conversions yet; wait for it' };
    return { kind: 'ok' };
  }

  /** KVM_GET_DIRTY_LOG: harvest and clear. */
  getDirty(): number[] {
    const gfns = [...this.#dirty].sort((a, b) => a - b);
    this.#dirty.clear();
    this.log.push(`vmm: get dirty -> [${gfns.join(', ')}]`);
    return gfns;
  }

  /** The naive design's GET_SHARED_PAGES_LIST: snapshot KVM's list into userspace's map. */
  getTypeList(): void {
    if (this.ordering === 'naive') this.#vmmTypes = [...this.#kvmTypes];
    this.log.push(`vmm: read types${this.ordering === 'engine' ? ' (already current: updated at each exit)' : ' (GET_LIST)'}`);
  }

  /** Copies frames with the type userspace believes; a wrong type garbles every segment it carries. */
  send(gfns: readonly number[]): void {
    for (const gfn of gfns) {
      const f = this.#frame(gfn);
      const sentAs = this.#vmmTypes[gfn]!;
      this.transfers.push({ gfn, sentAs, actual: f.type });
      this.received.set(gfn, f.data.map((s) => (s.type === sentAs ? s : { ...s, garbled: true })));
      this.log.push(`vmm: send gfn ${gfn} as ${sentAs}${sentAs !== f.type ? ` (guest has it ${f.type})` : ''}`);
    }
  }

  /** Saving vCPU state: refused while an exit is pending (the destination would re-execute the hypercall). */
  saveVcpuState(): { kind: 'saved' } | { kind: 'refused'; reason: string } {
    if (this.#pendingExit) return { kind: 'refused', reason: 'a KVM_EXIT_HYPERCALL is pending: KVM_RUN once to complete it before saving vCPU state' };
    return { kind: 'saved' };
  }

  /** The migration-stream form: readiness and shared ranges [start, end) of userspace's map. */
  saveState(): SevState {
    const shared: [number, number][] = [];
    this.#vmmTypes.forEach((t, gfn) => {
      if (t !== 'shared') return;
      const last = shared[shared.length - 1];
      if (last && last[1] === gfn) last[1] = gfn + 1;
      else shared.push([gfn, gfn + 1]);
    });
    return { pages: this.pages, migrationReady: this.#migrationReady, shared };
  }
}

/** JSON form of the SEV page status. */
export interface SevState {
  readonly pages: number;
  readonly migrationReady: boolean;
  readonly shared: readonly (readonly [number, number])[];
}

/** Validates incoming page status: ranges sorted, non-empty, non-overlapping, inside the guest. */
export function decodeSevState(json: unknown): SevState {
  const o = expectRecord('sev state', json);
  expectOnlyKeys('sev state', o, ['pages', 'migrationReady', 'shared']);
  const pages = requireInteger('sev state.pages', o.pages, 1, 1 << 20);
  const migrationReady = expectBoolean('sev state.migrationReady', o.migrationReady);
  let end = 0;
  const shared = expectArray('sev state.shared', o.shared, 1 << 16).map((item, i): [number, number] => {
    const name = `sev state.shared[${i}]`;
    const r = expectArray(name, item, 2);
    if (r.length !== 2) throw new TypeError(`${name} must be a pair [startGfn, endGfn], got ${r.length} items`);
    // Sorted, non-overlapping ranges: each starts at or after the previous one's end.
    const a = requireInteger(`${name}[0]`, r[0], end, pages - 1);
    const b = requireInteger(`${name}[1]`, r[1], a + 1, pages);
    end = b;
    return [a, b];
  });
  return { pages, migrationReady, shared };
}
