/**
 * The contract every strategy must meet, as KVM's selftest runs one guest under a table of
 * log modes: under every workload pattern, every page written is reported, none is reported
 * stale, and after the last iteration the host mirror equals guest memory byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { startRun, type RunOptions } from '../src/index.ts';

const strategies: { name: string; options: Partial<RunOptions> }[] = [
  { name: 'ring', options: { strategy: 'ring' } },
  { name: 'ring with PML', options: { strategy: 'ring', pml: true, ringEntries: 1024 } },
  { name: 'bitmap', options: { strategy: 'bitmap' } },
  { name: 'bitmap with PML', options: { strategy: 'bitmap', pml: true } },
  { name: 'clear-log', options: { strategy: 'clear-log', clearChunkPages: 512 } },
  { name: 'ring-with-bitmap', options: { strategy: 'ring-with-bitmap' } },
];
const patterns = ['sequential', 'random', 'zipf', 'strided', 'memstress'] as const;

describe.each(strategies)('$name', ({ options }) => {
  it.each(patterns)('%s: verified, nothing lost', async (pattern) => {
    const result = await startRun({
      strategy: 'ring', vcpus: 2, memory: '4MiB', ringEntries: 256, iterations: 3, seconds: 60, intervalMs: 40, verify: true, pattern,
      ...options,
    }).result;
    expect(result.error).toBeUndefined();
    expect(result.kind).toBe('completed');
    expect(result.verification).toMatchObject({ kind: 'passed' });
    expect(result.totals.iterations).toBe(3);
    expect(result.iterations.every((r) => r.dirty > 0 && r.writes >= 256)).toBe(true);
    if (options.strategy === 'ring' && !options.pml) expect(result.totals.fullExits).toBeGreaterThan(0);
  });
});
