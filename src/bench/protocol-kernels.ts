/**
 * The ring kernels under each ring protocol: push, harvest and reset of one ring's worth of
 * entries (65,472, the soft limit of a 65,536-entry ring) on one thread, timed exactly as
 * `bench engine` times them (tinybench, the same fixtures and hooks, src/bench/engine.ts).
 * Rounds are interleaved kernel by kernel and protocol by protocol (push flags, push indices,
 * ..., then the next round), so a neighbour's load on this shared machine lands on every
 * protocol alike; each cell is the median of the rounds' medians, with their range.
 */
import type { EngineKind } from '../engine/exports.ts';
import type { RingProtocol } from '../kvm/ring-protocol.ts';
import type { Vm } from '../kvm/vm.ts';
import { casesFor, engineBenchMethod, fixtureVm, measure, type EngineBenchMethod, type Kernel } from './engine.ts';
import { summarize, type Summary } from './stats.ts';

export const PROTOCOL_KERNELS = ['push', 'harvest', 'reset-seq', 'reset-random'] as const satisfies readonly Kernel[];
export type ProtocolKernel = (typeof PROTOCOL_KERNELS)[number];

/** 1 GiB: the ring kernels' cost per entry does not depend on the guest's size. */
const PAGES = 2 ** 18;

export interface ProtocolKernelRow {
  readonly kernel: ProtocolKernel;
  readonly protocol: RingProtocol;
  /** Entries per timed call. */
  readonly items: number;
  /** ns per entry: median and range of the rounds' medians. */
  readonly nsPerEntry: Summary;
}

export interface ProtocolKernelsOptions {
  readonly protocols: readonly RingProtocol[];
  readonly rounds: number;
  readonly engine?: EngineKind;
  readonly kernels?: readonly ProtocolKernel[];
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** Called before each round of each kernel, for progress. */
  readonly onStep?: (label: string, done: number, total: number) => void;
}

export interface ProtocolKernelsResult {
  readonly method: EngineBenchMethod & { readonly rounds: number; readonly engine: EngineKind; readonly entries: number };
  readonly rows: readonly ProtocolKernelRow[];
  readonly interrupted: boolean;
}

export async function runProtocolKernels(o: ProtocolKernelsOptions): Promise<ProtocolKernelsResult> {
  const engine = o.engine ?? 'wasm';
  const kernels = o.kernels ?? PROTOCOL_KERNELS;
  const base = engineBenchMethod({ seed: o.seed });
  const cases = casesFor(PAGES, kernels, [], base.seed);
  const vms = new Map<RingProtocol, Vm>();
  for (const p of o.protocols) vms.set(p, await fixtureVm(engine, PAGES, true, p));
  const medians = new Map<string, number[]>();
  const key = (k: string, p: RingProtocol) => `${k} ${p}`;
  const total = o.rounds * cases.length * o.protocols.length;
  let done = 0;
  let interrupted = false;
  rounds: for (let r = 0; r < o.rounds; r++) {
    for (const c of cases) {
      for (const p of o.protocols) {
        o.onStep?.(`${c.kernel}, ${p}, round ${r + 1} of ${o.rounds}`, done, total);
        const s = await measure(c, vms.get(p)!, base, o.signal);
        if (!s) {
          interrupted = true;
          break rounds;
        }
        const list = medians.get(key(c.kernel, p)) ?? [];
        list.push(s.median);
        medians.set(key(c.kernel, p), list);
        done++;
      }
    }
  }
  // A kernel measured in fewer rounds than the others would compare unevenly: rows need every round.
  const rounds = Math.min(...cases.flatMap((c) => o.protocols.map((p) => medians.get(key(c.kernel, p))?.length ?? 0)));
  const rows = rounds === 0 ? [] : cases.flatMap((c) => o.protocols.map((p): ProtocolKernelRow => ({
    kernel: c.kernel as ProtocolKernel, protocol: p, items: c.items, nsPerEntry: summarize(medians.get(key(c.kernel, p))!.slice(0, rounds)),
  })));
  return { method: { ...base, rounds, engine, entries: cases[0]?.items ?? 0 }, rows, interrupted };
}
