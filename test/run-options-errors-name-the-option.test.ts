/**
 * A bad run option throws from startRun itself, before any thread starts, naming the option
 * and the fix: TypeError for a wrong type or an unknown key (with the closest valid one),
 * RangeError for a value out of range or options that contradict each other.
 */
import { expect, it } from 'vitest';
import { MAX_VCPUS, startRun, type RunOptions } from '../src/index.ts';

it.each([
  [{ strategy: 'rings' }, TypeError, /strategy must be one of ring, bitmap, clear-log, ring-with-bitmap, got "rings": did you mean ring\?/],
  [{ strategy: 'ring', memory: '64 megs' }, TypeError, /memory must be a size like 64MiB/],
  [{ strategy: 'ring', memory: '2GiB', verify: true }, RangeError, /memory must be at most 1GiB with verify .*got 2GiB: drop verify for tracking only/],
  [{ strategy: 'ring', memory: '16TiB' }, RangeError, /memory must be less than 8 TiB .*got 16TiB: use 8191GiB or less/],
  [{ strategy: 'ring', ringEntries: 1000 }, RangeError, /dirtyRing\.entries must be a power of two, got 1000: try 1024/],
  [{ strategy: 'ring', ringEntries: 512, pml: true }, RangeError, /at least 1024 with PML/],
  [{ strategy: 'bitmap', ringEntries: 4096 }, RangeError, /ringEntries applies to strategies with dirty rings, not to bitmap/],
  [{ strategy: 'clear-log', ringEntries: 4096 }, RangeError, /ringEntries applies to strategies with dirty rings, not to clear-log/],
  [{ strategy: 'ring', pattern: 'zipfian' }, TypeError, /pattern must be one of sequential, random, zipf, strided, memstress, got "zipfian": did you mean zipf\?/],
  [{ strategy: 'bitmap', deviceWriter: true }, RangeError, /deviceWriter needs strategy ring-with-bitmap/],
  [{ strategy: 'clear-log', clearChunkPages: 100 }, RangeError, /clearChunkPages must be a multiple of 64/],
  [{ strategy: 'ring', seconds: 0 }, RangeError, /seconds must be above 0 and at most 86400, got 0/],
  [{ strategy: 'ring', seconds: true }, TypeError, /seconds must be a number, got true/],
  [{ strategy: 'ring', seconds: '0.1' }, TypeError, /seconds must be a number, got "0\.1"/],
  [{ strategy: 'ring', zipfExponent: Number.NaN, pattern: 'zipf' }, TypeError, /zipfExponent must be a number, got NaN/],
  [{ strategy: 'ring', zipfExponent: 'abc' }, TypeError, /zipfExponent must be a number, got "abc"/],
  [{ strategy: 'ring', signal: 'abc' }, TypeError, /signal must be an AbortSignal, got "abc": pass controller\.signal/],
  [{ strategy: 'ring', inject: 5 }, TypeError, /inject must be a plain object, got 5/],
  [{ strategy: 'ring', inject: { collectorFailsOnSink: 2 } }, TypeError, /inject\.collectorFailsOnSink is not an option: did you mean collectorFailsOnSync\?/],
  [{ strategy: 'ring', vcpus: MAX_VCPUS + 1 }, RangeError, new RegExp(`vcpus must be between 1 and ${MAX_VCPUS}, got ${MAX_VCPUS + 1}: dirtylog's arena holds at most ${MAX_VCPUS} vCPUs`)],
  [{ strategy: 'ring-with-bitmap', vcpus: MAX_VCPUS }, RangeError, /vcpus must be between 1 and \d+, .*one of them the device writer/],
  [{ strategy: 'ring', vcpu: 2 }, TypeError, /options\.vcpu is not an option: did you mean vcpus\?/],
  [{ strategy: 'ring', timeouts: { fullWait: 10 } }, TypeError, /timeouts\.fullWait is not an option: did you mean fullWaitMs\?/],
  [{ strategy: 'bitmap', brokenCollector: 'drop-entries' }, RangeError, /drop-entries applies to modes with dirty rings .*not to bitmap/],
  [{ strategy: 'bitmap', brokenCollector: 'read-before-reset' }, RangeError, /read-before-reset applies to modes that re-arm after collecting.*not to bitmap/],
  [{ strategy: 'ring-with-bitmap', brokenCollector: 'read-before-reset' }, RangeError, /not to ring-with-bitmap/],
  [{ strategy: 'bitmap', dirtyLimit: 1000 }, RangeError, /dirtyLimit needs a dirty ring .*got strategy bitmap: use strategy ring, or writeRate to cap the guest's writes/],
  [{ strategy: 'ring', dirtyLimit: 1.5 }, TypeError, /dirtyLimit must be an integer, got 1\.5: dirty pages per second per vCPU, 0 for none/],
  [{ strategy: 'ring', dirtyLimitPeriodMs: 100 }, RangeError, /dirtyLimitPeriodMs applies only with a dirtyLimit/],
  [{ strategy: 'ring', dirtyLimit: 1000, dirtyLimitPeriodMs: 0 }, RangeError, /dirtyLimitPeriodMs must be between 1 and 1000, got 0/],
  [Object.create({ strategy: 'ring' }), TypeError, /options must be a plain object/],
])('%o', (options, error, message) => {
  expect(() => startRun(options as RunOptions)).toThrow(error);
  expect(() => startRun(options as RunOptions)).toThrow(message);
});
