/**
 * `dirtylog migrate --to` is killed in the middle of its first pass: the destination (here,
 * listening in this process, as `dirtylog migrate --listen` does) says the source went away,
 * in which phase and after how many bytes, and discards its partial guest: no VM is left.
 */
import { expect, it } from 'vitest';
import { listenForMigration } from '../src/index.ts';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

it('discards the partial guest and says so', async () => {
  const listener = await listenForMigration({ port: 0, acceptTimeoutMs: 30_000 });
  const source = spawnCli(await builtCli(), ['migrate', '--to', `127.0.0.1:${listener.port}`, '--mem', '16MiB', '--bandwidth', '8MiB', '--write-rate', '1000']);
  await source.waitFor('stdout', /^setup: /m);
  await new Promise((resolve) => setTimeout(resolve, 300));
  source.child.kill('SIGKILL');
  const r = await listener.result;
  expect(r.kind).toBe('failed');
  if (r.kind !== 'failed') throw new Error('unreachable');
  expect(r.phase).toBe('rounds');
  expect(r.vm).toBeUndefined();
  expect(r.pagesReceived).toBeGreaterThan(0);
  expect(r.pagesReceived).toBeLessThan(4096);
  expect(r.verdict).toMatch(/^failed in phase rounds after \d+ bytes \(\d+ records\): .*the source (closed the connection|ended its stream|: ECONNRESET).*; discarded the partial guest \(\d+ pages received\)$/);
  await source.exited;
}, 60_000);
