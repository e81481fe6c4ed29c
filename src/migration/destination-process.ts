/**
 * A destination in a process of its own, started by spawnDestination (`dirtylog migrate`
 * without --to, and the migration comparisons): it listens on loopback, says its port over
 * IPC, receives one migration, runs the migrated guest for a moment, and reports the outcome
 * over IPC. It ends when its parent goes away. Ctrl-C is the parent's to handle: the parent
 * cancels the stream, and this side discards its partial guest.
 */
import { listenForMigration, type DestinationResult } from './destination.ts';
import type { DestinationProcessOptions, DestinationMessage, DestinationSummary } from './spawn-destination.ts';

const o = JSON.parse(process.argv[2] ?? '{}') as DestinationProcessOptions;
// The parent may be gone (its stdout closed under `| head`, or killed): then there is nobody to
// tell, and sending or disconnecting would throw on a closed channel.
const send = (m: DestinationMessage) => void (process.connected && process.send?.(m));
const controller = new AbortController();
process.on('SIGINT', () => {});
process.on('disconnect', () => controller.abort(new Error('the source process went away')));

try {
  const listener = await listenForMigration({ port: 0, host: '127.0.0.1', state: o.state ?? {}, acceptTimeoutMs: o.acceptTimeoutMs ?? 60_000, signal: controller.signal });
  send({ kind: 'listening', port: listener.port });
  const result = await listener.result;
  let writesAfterResume = 0;
  if (result.vm) {
    const before = result.vm.counters().writes;
    await new Promise((r) => setTimeout(r, o.runAfterMs ?? 100));
    writesAfterResume = result.vm.counters().writes - before;
    await result.vm.stop();
  }
  send({ kind: 'result', result: summary(result, writesAfterResume) });
} catch (err) {
  send({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
}
if (process.connected) process.disconnect?.();

function summary(r: DestinationResult, writesAfterResume: number): DestinationSummary {
  const { vm, ...rest } = r;
  return { ...rest, guestRan: vm !== undefined, writesAfterResume };
}
