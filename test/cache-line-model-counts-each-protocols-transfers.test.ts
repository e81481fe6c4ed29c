/**
 * The cache-line model behind `compare protocols` counts what the protocols' accesses must
 * cost, derived here by hand rather than read back from the model:
 *
 * - MSI between two caches: a read of a line the other core modified moves it; a write to a
 *   line the other core holds moves it (data or invalidation); hits and first touches are free.
 * - One lap of a 4096-entry ring in steady state, the collector looking every 4 pushes and
 *   reaping batches of 512 (an eighth of the ring, as the collector does), sequential pages:
 *   every entry line (four entries) crosses twice with shared indices (the producer's write,
 *   the collector's read) and three times with flags (and the collector's RESET store);
 *   avail_index crosses twice per look (the look, then the producer's next publish) and never
 *   with flags; adjacent indices add one crossing per reap (fetch_index's store takes the line
 *   from the producer); the consumer line (reset_index, read at every push) crosses twice per
 *   reap; each 512-page line of the armed bitmap crosses once (the reset's re-arm).
 *
 * The differences of two runs, 5 laps and 4, leave the first lap's first touches out.
 */
import { describe, expect, it } from 'vitest';
import { Coherence, countLineTransfers, LINE_KINDS, pollBatch, type LineKind } from '../src/experiments/cache-lines.ts';
import type { RingProtocol } from '../src/kvm/ring-protocol.ts';

describe('the coherence model', () => {
  it('moves a line only when the other core has it', () => {
    const c = new Coherence();
    c.write(0, 'a', 'entries'); // first touch
    c.write(0, 'a', 'entries'); // hit, modified
    c.read(0, 'a', 'entries'); // hit
    expect(c.transfers.entries).toBe(0);
    c.read(1, 'a', 'entries'); // modified by core 0: moves
    c.read(1, 'a', 'entries'); // now shared: hit
    c.read(0, 'a', 'entries'); // still shared: hit
    expect(c.transfers.entries).toBe(1);
    c.write(1, 'a', 'entries'); // core 0 shares it: invalidation
    expect(c.transfers.entries).toBe(2);
    c.write(0, 'a', 'indices'); // core 1 owns it: moves, counted under the kind given
    c.write(0, 'b', 'indices'); // another line, first touch
    expect(c.transfers).toEqual({ entries: 2, indices: 1, 'consumer-line': 0, 'armed-bitmap': 0 });
  });
});

const N = 4096;
const LOOK_EVERY = 4;
const BATCH = pollBatch(N);
const LINES_PER_LAP = N / 4;
const LOOKS_PER_LAP = N / LOOK_EVERY;
const REAPS_PER_LAP = N / BATCH;

/** Transfers of one lap in steady state, by kind: a run of five laps less a run of four. */
function oneLap(protocol: RingProtocol, lookEvery = LOOK_EVERY, batch = BATCH): Record<LineKind, number> & { looks: number; reaps: number } {
  const run = (laps: number) => countLineTransfers({ protocol, ringEntries: N, lookEvery, batch, pushes: laps * N });
  const [a, b] = [run(4), run(5)];
  const count = (c: typeof a, k: LineKind) => Math.round(c.perEntry[k] * c.pushes);
  return {
    ...(Object.fromEntries(LINE_KINDS.map((k) => [k, count(b, k) - count(a, k)])) as Record<LineKind, number>),
    looks: b.looks - a.looks,
    reaps: b.reaps - a.reaps,
  };
}

describe('one lap of a 4096-entry ring, a look every 4 pushes, batches of 512', () => {
  it('the schedule is the one derived: 1024 looks, 8 reaps', () => {
    expect(BATCH).toBe(512);
    for (const p of ['flags', 'indices', 'indices-apart'] as const) expect(oneLap(p)).toMatchObject({ looks: LOOKS_PER_LAP, reaps: REAPS_PER_LAP });
  });

  it('flags: each entry line crosses three times, no index line ever', () => {
    expect(oneLap('flags')).toMatchObject({
      entries: 3 * LINES_PER_LAP,
      indices: 0,
      'consumer-line': 2 * REAPS_PER_LAP,
      'armed-bitmap': N / 512,
    });
  });

  it('indices 64 bytes apart: each entry line crosses twice, avail_index twice per look', () => {
    expect(oneLap('indices-apart')).toMatchObject({
      entries: 2 * LINES_PER_LAP,
      indices: 2 * LOOKS_PER_LAP,
      'consumer-line': 2 * REAPS_PER_LAP,
      'armed-bitmap': N / 512,
    });
  });

  it('adjacent indices: one crossing more per reap than apart, for fetch_index\'s store', () => {
    expect(oneLap('indices')).toMatchObject({
      entries: 2 * LINES_PER_LAP,
      indices: 2 * LOOKS_PER_LAP + REAPS_PER_LAP,
      'consumer-line': 2 * REAPS_PER_LAP,
      'armed-bitmap': N / 512,
    });
  });

  it('looking less often moves avail_index proportionally less, and nothing else', () => {
    const every16 = oneLap('indices-apart', 16);
    expect(every16.indices).toBe(2 * (N / 16));
    expect(every16.entries).toBe(2 * LINES_PER_LAP);
  });
});
