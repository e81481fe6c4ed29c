/**
 * When a run's result settles, nothing of it is left: no thread, no timer, no listener. A
 * failed run used to keep a 1 ms poll running forever, and a collector failure left a 20 s
 * timer behind, keeping the process alive.
 */
import { createHook } from 'node:async_hooks';
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';

/**
 * What `during` leaves behind: timers and immediates it created that are still pending when
 * it settles, and threads or ports still open (Node's own count of its active handles).
 */
async function leftBehind(during: () => Promise<unknown>): Promise<string[]> {
  const timers: { type: string; resource: object }[] = [];
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'Timeout' || type === 'Immediate') timers.push({ type, resource });
    },
  }).enable();
  const handles = () => process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'Immediate');
  const before = handles();
  try {
    await during();
  } finally {
    hook.disable();
  }
  // Node marks a timer or immediate that fired or was cleared as destroyed.
  const pending = timers.filter((t) => (t.resource as { _destroyed?: boolean })._destroyed !== true).map((t) => `pending ${t.type}`);
  const opened = handles().filter((h, i, all) => all.filter((x) => x === h).length > before.filter((x) => x === h).length && all.indexOf(h) === i);
  return [...pending, ...opened.map((h) => `open ${h}`)];
}

it.each([
  ['a run that cannot reach its minimum of writes', { strategy: 'bitmap', memory: '1MiB', minWrites: 1e9, timeouts: { fullWaitMs: 1000 } }],
  ['a run whose collector fails', { strategy: 'ring', memory: '4MiB', ringEntries: 256, seconds: 5, intervalMs: 30, inject: { collectorFailsOnSync: 2 } }],
  ['a completed run', { strategy: 'ring', memory: '4MiB', iterations: 2, intervalMs: 30 }],
  ['an aborted run', { strategy: 'bitmap', memory: '4MiB', seconds: 60, signal: AbortSignal.timeout(300) }],
] as const)('%s', async (_name, options) => {
  let kind = '';
  const left = await leftBehind(async () => {
    kind = (await startRun(options).result).kind;
  });
  expect(['failed', 'completed', 'aborted']).toContain(kind);
  expect(left).toEqual([]);
});
