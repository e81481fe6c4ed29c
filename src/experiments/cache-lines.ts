/**
 * The cache-line argument of the RFC review, counted: a model of two cores (the vCPU that
 * pushes and the collector that polls, harvests and resets) and the coherence traffic between
 * them, fed the accesses each ring protocol's code makes, line by line, as the engine lays the
 * lines out (assembly/: runSliceRing, dirtyRingsCollect, dirtyRingsReset; the poller in
 * src/vmm/collector-worker.ts).
 *
 * The coherence model is MSI between two private caches, with no eviction (a 1 MiB ring fits
 * L2 or L3): a core's read of a line the other core has modified moves it (one transfer, and
 * both then share it); a core's write to a line the other core holds, modified or shared,
 * takes it (one transfer: data or an invalidation). Hits and first touches are free. What it
 * counts is what the review argued about: how often each protocol makes a line cross between
 * the cores, per entry moved. Time is measured elsewhere (the transfer benchmark); this says why.
 *
 * The schedule is the pipeline's, in steps of one push: the producer pushes a fresh page per
 * step (the transfer benchmark's sequential guest), stopping at the soft limit until a reset;
 * the consumer looks every `lookEvery` pushes and, when a batch is ready (`batch` entries),
 * reaps at once: collect everything there, then reset. `batch` 1 is the poller that chases
 * the producer; the collector's is an eighth of the ring.
 */
import { ABI, DIRTY_RING_RSVD_ENTRIES } from '../layout.ts';
import { ringProtocolInfo, type RingProtocol } from '../kvm/ring-protocol.ts';

/** Where a transfer happened. */
export const LINE_KINDS = ['entries', 'indices', 'consumer-line', 'armed-bitmap'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

export const LINE_KIND_INFO: Readonly<Record<LineKind, string>> = {
  entries: 'ring entries (16 bytes, four to a line)',
  indices: 'the shared avail_index and fetch_index (one line, or two when apart)',
  'consumer-line': "the vCPU block's consumer line: reset_index, which the producer reads at every push, and the flags protocol's fetch index",
  'armed-bitmap': 'the slot\'s armed bitmap: the producer disarms, the reset re-arms (the same for every protocol)',
};

type Core = 0 | 1; // 0: the vCPU (producer), 1: the collector (consumer)
const PRODUCER: Core = 0;
const CONSUMER: Core = 1;

interface Line {
  /** The core holding it modified, or -1 when it is clean (shared by `sharers`). */
  owner: number;
  /** Bit per core. */
  sharers: number;
}

/** MSI between two private caches, counting the transfers by kind of line. */
export class Coherence {
  readonly transfers: Record<LineKind, number> = { entries: 0, indices: 0, 'consumer-line': 0, 'armed-bitmap': 0 };
  #lines = new Map<string, Line>();

  read(core: Core, line: string, kind: LineKind): void {
    const l = this.#line(line);
    if (l.sharers & (1 << core)) return;
    if (l.owner >= 0 && l.owner !== core) {
      this.transfers[kind]++;
      l.owner = -1;
    }
    l.sharers |= 1 << core;
  }

  write(core: Core, line: string, kind: LineKind): void {
    const l = this.#line(line);
    if (l.owner === core) return;
    if (l.sharers & ~(1 << core)) this.transfers[kind]++;
    l.owner = core;
    l.sharers = 1 << core;
  }

  #line(key: string): Line {
    let l = this.#lines.get(key);
    if (!l) this.#lines.set(key, (l = { owner: -1, sharers: 0 }));
    return l;
  }
}

export interface LineModelOptions {
  readonly protocol: RingProtocol;
  readonly ringEntries: number;
  /** Pushes between two looks of the consumer. */
  readonly lookEvery: number;
  /** Entries that must be ready before the consumer reaps: 1 chases the producer. */
  readonly batch: number;
  /** Pushes simulated. @default 16 rings */
  readonly pushes?: number;
}

export interface LineCount {
  readonly protocol: RingProtocol;
  readonly ringEntries: number;
  readonly lookEvery: number;
  readonly batch: number;
  readonly pushes: number;
  readonly looks: number;
  readonly reaps: number;
  /** Line transfers per entry pushed (and harvested, and reset), by kind of line. */
  readonly perEntry: Readonly<Record<LineKind, number>>;
  readonly totalPerEntry: number;
}

/** The collector's poll batch for a ring, the one src/vmm/collector-worker.ts waits for. */
export { pollBatch } from '../kvm/dirty-ring.ts';

const PAGES_PER_ARMED_LINE = 64 * 8;

/** Run the schedule and count the transfers. */
export function countLineTransfers(o: LineModelOptions): LineCount {
  const n = o.ringEntries;
  const soft = n - DIRTY_RING_RSVD_ENTRIES;
  const pushes = o.pushes ?? 16 * n;
  const placement = ringProtocolInfo(o.protocol).placement;
  const indexed = placement !== undefined;
  // fetch_index shares avail_index's line when adjacent, and has one of its own when apart.
  const fetchLine = placement && placement.fetch >> 6 !== placement.avail >> 6 ? 'fetch' : 'avail';
  const c = new Coherence();
  const entry = (i: number) => `e${Math.floor(((i >>> 0) % n) * ABI.GFN_SIZE / 64)}`;
  const armed = (page: number) => `m${Math.floor(page / PAGES_PER_ARMED_LINE)}`;
  let di = 0; // pushes (the producer's dirty_index; also the page written)
  let fetch = 0;
  let ri = 0;
  let looks = 0;
  let reaps = 0;

  const collect = () => {
    if (indexed) {
      // dirtyRingsCollect: avail_index, its own fetch_index, the entries, one store of fetch_index.
      c.read(CONSUMER, 'avail', 'indices');
      c.read(CONSUMER, fetchLine, 'indices');
      for (let k = fetch; k < di; k++) c.read(CONSUMER, entry(k), 'entries');
      c.write(CONSUMER, fetchLine, 'indices');
    } else {
      // Each DIRTY entry read and handed back RESET; the first entry that is not DIRTY read too;
      // the fetch index stored in the consumer line.
      for (let k = fetch; k < di; k++) {
        c.read(CONSUMER, entry(k), 'entries');
        c.write(CONSUMER, entry(k), 'entries');
      }
      if (di - fetch < n) c.read(CONSUMER, entry(di), 'entries');
      c.write(CONSUMER, 'consumer', 'consumer-line');
    }
    fetch = di;
  };

  const reset = () => {
    if (indexed) {
      // fetch_index read once and validated, its copy kept in the consumer line, then the walk reads each entry.
      c.read(CONSUMER, fetchLine, 'indices');
      c.write(CONSUMER, 'consumer', 'consumer-line');
      for (let k = ri; k < fetch; k++) c.read(CONSUMER, entry(k), 'entries');
    } else {
      c.read(CONSUMER, 'consumer', 'consumer-line'); // the fetch index, acquired
      for (let k = ri; k < fetch; k++) {
        c.read(CONSUMER, entry(k), 'entries');
        c.write(CONSUMER, entry(k), 'entries');
      }
      if (fetch - ri < n) c.read(CONSUMER, entry(fetch), 'entries'); // the entry that stops the walk
    }
    // The re-arms, one 64-page batch at a time (sequential pages coalesce), then reset_index.
    for (let base = ri - (ri % 64); base < fetch; base += 64) c.write(CONSUMER, armed(base), 'armed-bitmap');
    c.write(CONSUMER, 'consumer', 'consumer-line');
    ri = fetch;
  };

  const reap = () => {
    reaps++;
    collect();
    reset();
  };

  const ready = (): boolean => {
    looks++;
    if (indexed) {
      // ringBatchReady: avail_index and fetch_index.
      c.read(CONSUMER, 'avail', 'indices');
      c.read(CONSUMER, fetchLine, 'indices');
      return di - fetch >= o.batch;
    }
    // dirtyGfnIsDirtied on the batch's last entry.
    c.read(CONSUMER, entry(fetch + o.batch - 1), 'entries');
    return di - fetch >= o.batch;
  };

  for (let step = 0; step < pushes; step++) {
    if (di - ri >= soft) reap(); // the full exit rings the collector, which reaps at once
    // The push (runSliceRing): room check on reset_index, the disarm, the entry, avail_index.
    c.read(PRODUCER, 'consumer', 'consumer-line');
    c.write(PRODUCER, armed(di), 'armed-bitmap');
    c.write(PRODUCER, entry(di), 'entries');
    if (indexed) c.write(PRODUCER, 'avail', 'indices');
    di++;
    if ((step + 1) % o.lookEvery === 0 && ready()) reap();
  }

  const perEntry = Object.fromEntries(LINE_KINDS.map((k) => [k, c.transfers[k] / pushes])) as Record<LineKind, number>;
  return {
    protocol: o.protocol, ringEntries: n, lookEvery: o.lookEvery, batch: o.batch, pushes, looks, reaps,
    perEntry, totalPerEntry: LINE_KINDS.reduce((s, k) => s + perEntry[k], 0),
  };
}
