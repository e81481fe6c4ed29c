/**
 * The contract every tracking mode must meet, as KVM's selftest runs one guest under a table
 * of log modes: every page written is reported, nothing else is, and what was reported is
 * re-armed. It runs over the mode records themselves, single-threaded (a VM, some writes, the
 * mode's collect), and through threads (startRun, every workload pattern, both engines). Modes
 * with rings run it under every ring protocol: KVM's per-entry flags and the RFC's shared
 * indices, adjacent and apart.
 */
import { describe, expect, it } from 'vitest';
import { createVm, MODES, pagesOf, RING_PROTOCOLS, startRun, type EngineKind, type RingProtocol, type RunOptions, type TrackingMode, type Vm } from '../src/index.ts';
import { collectContext } from '../src/tracking/index.ts';
import { engines } from './support/engines.ts';

const PAGES = 300; // not a multiple of 64, as dirty_log_test's 1 GiB + 3 pages

/** Collect with the mode, then take the collected pages (and empty the VMM's bitmap for the next sync). */
function sync(vm: Vm, mode: TrackingMode, final: boolean): number[] {
  const ctx = collectContext(vm.arena, { vcpus: mode.usesRing ? vm.vcpus.map((v) => v.id) : [], slots: [0], clearChunkPages: 128 });
  mode.collect(ctx, final);
  const r = vm.arena.plan.slots[0]!;
  const pages = pagesOf(vm.arena.u8.slice(r.collected, r.collected + r.bitmapBytes));
  vm.arena.u8.fill(0, r.collected, r.collected + r.bitmapBytes);
  return pages;
}

async function modeVm(mode: TrackingMode, engine: EngineKind, ringProtocol: RingProtocol | undefined): Promise<Vm> {
  return createVm({ engine, ...mode.vmOptions({ ringEntries: 256, pml: false }), ...(ringProtocol ? { ringProtocol } : {}), slots: [{ pages: PAGES }], vcpus: 2 });
}

/** Each mode, and each ring mode once per ring protocol. */
interface Case { name: string; mode: TrackingMode; ringProtocol: RingProtocol | undefined }
const CASES = MODES.flatMap((mode): Case[] => (mode.usesRing
  ? RING_PROTOCOLS.map((ringProtocol) => ({ name: `${mode.name}, ${ringProtocol}`, mode, ringProtocol }))
  : [{ name: mode.name, mode, ringProtocol: undefined }]));

describe.each(CASES)('$name', ({ mode, ringProtocol }) => {
  describe.each(engines)('single-threaded, $engine engine', ({ engine }) => {
    it('the first sync reports nothing, or every page under INITIALLY_SET', async () => {
      const vm = await modeVm(mode, engine, ringProtocol);
      expect(sync(vm, mode, true)).toEqual(mode.verify.initiallySet ? Array.from({ length: PAGES }, (_, p) => p) : []);
    });

    it('a sync reports exactly the pages written since the last one, once each, and re-arms them', async () => {
      const vm = await modeVm(mode, engine, ringProtocol);
      sync(vm, mode, true);
      const [a, b] = vm.vcpus as [typeof vm.vcpus[0], typeof vm.vcpus[0]];
      const slot = vm.slot(0);
      for (const p of [3, 64, 65, PAGES - 1]) a.write(slot, p);
      for (const p of [64, 100, 3]) b.write(slot, p);
      expect(sync(vm, mode, false)).toEqual([3, 64, 65, 100, PAGES - 1]);
      expect(a.write(slot, 65).kind).not.toBe('clean'); // re-armed: the next write logs again
      expect(sync(vm, mode, true)).toEqual([65]);
      expect(sync(vm, mode, true)).toEqual([]);
    });

    // Only modes where a vCPU-less write can land anywhere have this behaviour to check.
    if (mode.deviceWriter !== 'never') it('a write with no vCPU is reported at the end of the round', async () => {
      const vm = await modeVm(mode, engine, ringProtocol);
      vm.deviceWrite(vm.slot(0), 7);
      vm.vcpus[0]!.write(vm.slot(0), 8);
      expect(sync(vm, mode, false)).toEqual(mode.verify.ringlessCollected === 'every-sync' ? [7, 8] : [8]);
      expect(sync(vm, mode, true)).toEqual(mode.verify.ringlessCollected === 'every-sync' ? [] : [7]);
    });
  });

  describe('through threads', () => {
    const run = (options: Partial<RunOptions>) => startRun({
      strategy: mode.name, vcpus: 2, memory: '4MiB', ...(mode.usesRing ? { ringEntries: 256, ringProtocol } : {}),
      iterations: 3, seconds: 60, intervalMs: 40, verify: true, ...options,
    }).result;

    it.each(['sequential', 'random', 'zipf', 'strided', 'memstress'] as const)('%s: verified, nothing lost', async (pattern) => {
      const result = await run({ pattern });
      expect(result.kind).toBe('completed');
      expect(result.verification, JSON.stringify(result.verification).slice(0, 1500)).toMatchObject({ kind: 'passed' });
      expect(result.totals.iterations).toBe(3);
      expect(result.iterations.every((r) => r.dirty > 0 && r.writes >= 256)).toBe(true);
      if (mode.usesRing) expect(result.totals.fullExits).toBeGreaterThan(0);
    });

    it('js engine: verified, nothing lost', async () => {
      const result = await run({ engine: 'js', pattern: 'random' });
      expect(result.verification, JSON.stringify(result.verification).slice(0, 1500)).toMatchObject({ kind: 'passed' });
    });

    it('with PML: verified, nothing lost', async () => {
      const result = await run({ pattern: 'random', pml: true, ...(mode.usesRing ? { ringEntries: 1024 } : {}) });
      expect(result.verification, JSON.stringify(result.verification).slice(0, 1500)).toMatchObject({ kind: 'passed' });
    });
  });
});
