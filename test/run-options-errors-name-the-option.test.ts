/** A bad run option throws before any thread starts, naming the option and the fix. */
import { expect, it } from 'vitest';
import { startRun, type RunOptions } from '../src/index.ts';

it.each([
  [{ strategy: 'rings' }, TypeError, /strategy must be one of ring, bitmap, clear-log, ring-with-bitmap, got "rings"/],
  [{ strategy: 'ring', memory: '64 megs' }, TypeError, /memory must be a size like 64MiB/],
  [{ strategy: 'ring', memory: '2GiB', verify: true }, RangeError, /memory must be at most 1GiB with verify .*got 2GiB: drop verify for tracking only/],
  [{ strategy: 'ring', ringEntries: 1000 }, RangeError, /dirtyRing\.entries must be a power of two, got 1000: try 1024/],
  [{ strategy: 'ring', ringEntries: 512, pml: true }, RangeError, /at least 1024 with PML/],
  [{ strategy: 'ring', pattern: 'zipfian' }, TypeError, /pattern must be one of sequential, random, zipf, strided, memstress/],
  [{ strategy: 'bitmap', deviceWriter: true }, RangeError, /deviceWriter needs strategy ring-with-bitmap/],
  [{ strategy: 'clear-log', clearChunkPages: 100 }, RangeError, /clearChunkPages must be a multiple of 64/],
  [{ strategy: 'ring', seconds: 0 }, RangeError, /seconds must be above 0 and at most 86400, got 0/],
  [{ strategy: 'ring', vcpu: 2 }, TypeError, /options\.vcpu is not an option/],
])('%o', (options, error, message) => {
  expect(() => startRun(options as RunOptions)).toThrow(error);
  expect(() => startRun(options as RunOptions)).toThrow(message);
});
