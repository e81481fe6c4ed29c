/**
 * A wait that times out fails the run naming the thread that did not answer, by its id, with
 * what it was waiting for: a held collector is the collector's fault (not "vCPU 0: ring
 * full"), a vCPU that never acknowledges a pause is named as that vCPU (not by an arena
 * offset), and a collector error is reported once as "collector: ...".
 */
import { expect, it } from 'vitest';
import { startRun, type RunResult } from '../src/index.ts';

function failure(result: RunResult) {
  if (result.kind !== 'failed') throw new Error(`expected a failed run, got ${result.kind}`);
  return result.error;
}

it('a held collector: blamed as the collector, with the ring really full', async () => {
  const result = await startRun({
    strategy: 'ring', vcpus: 1, memory: '64MiB', ringEntries: 4096, seconds: 10,
    timeouts: { fullWaitMs: 500, kickMs: 500, stopMs: 200 }, inject: { collectorHangs: true },
  }).result;
  const error = failure(result);
  expect(error).toMatchObject({ thread: 'collector' });
  expect(error.vcpu).toBeUndefined();
  expect(error.message).toMatch(/^the collector did not reset vCPU 0's full ring within 500 ms \((\d+) of 4096 entries used, soft limit 4032\)$/);
  expect(Number(/\((\d+) of/.exec(error.message)![1])).toBeGreaterThanOrEqual(4032);
});

it('a held collector in bitmap mode: its sync times out, blamed as the collector', async () => {
  const result = await startRun({
    strategy: 'bitmap', vcpus: 1, memory: '4MiB', seconds: 10, timeouts: { fullWaitMs: 300, kickMs: 200, stopMs: 200 }, inject: { collectorHangs: true },
  }).result;
  expect(failure(result)).toMatchObject({ thread: 'collector', message: 'the collector did not answer sync 1 within 500 ms' });
});

it('a vCPU that stops answering: the pause names it by its id', async () => {
  const result = await startRun({
    strategy: 'bitmap', vcpus: 3, memory: '4MiB', seconds: 10, intervalMs: 50,
    timeouts: { pauseMs: 300, stopMs: 200 }, inject: { vcpuHangsAfterSlices: { vcpu: 2, slices: 3 } },
  }).result;
  expect(failure(result)).toMatchObject({ thread: 'vcpu', vcpu: 2, message: 'vCPU 2 did not acknowledge the pause within 300 ms' });
});

it('a vCPU that stops answering in ring mode: the collector names it when its kick goes unanswered', async () => {
  const result = await startRun({
    strategy: 'ring', vcpus: 2, memory: '4MiB', seconds: 10, intervalMs: 50,
    timeouts: { kickMs: 300, pauseMs: 5000, stopMs: 200 }, inject: { vcpuHangsAfterSlices: { vcpu: 1, slices: 3 } },
  }).result;
  expect(failure(result)).toMatchObject({ thread: 'vcpu', vcpu: 1, message: 'vCPU 1 did not answer a kick within 300 ms' });
});
