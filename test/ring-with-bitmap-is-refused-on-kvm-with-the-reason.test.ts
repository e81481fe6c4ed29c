/**
 * KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP is arm64's: this host's x86-64 KVM reads it as 0 and
 * refuses it with EINVAL. A kvm run of ring-with-bitmap is refused before anything starts,
 * saying so and what to use instead; the CLI makes that a usage error (exit 2).
 */
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

const REASON = /ring-with-bitmap needs KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, which only arm64's KVM has; this host's KVM is x86-64 \(the capability reads 0 and enabling it gives EINVAL\)/;

it('startRun throws a RangeError with the reason and the fix', () => {
  expect(() => startRun({ backend: 'kvm', strategy: 'ring-with-bitmap' })).toThrow(RangeError);
  expect(() => startRun({ backend: 'kvm', strategy: 'ring-with-bitmap' })).toThrow(REASON);
  expect(() => startRun({ backend: 'kvm', strategy: 'ring-with-bitmap' })).toThrow(/use backend model, which models arm64, or strategy ring, bitmap or clear-log/);
});

it('dirtylog run --backend kvm --strategy ring-with-bitmap exits 2 naming the flags', async () => {
  const cli = spawnCli(await builtCli(), ['run', '--backend', 'kvm', '--strategy', 'ring-with-bitmap', '--vcpus', '2', '--ring', '1024', '--verify']);
  expect((await cli.exited).code).toBe(2);
  expect(cli.stderr()).toMatch(REASON);
  expect(cli.stderr()).toMatch(/use --backend model, which models arm64, or --strategy ring, bitmap or clear-log/);
  expect(cli.stdout()).toBe('');
}, 60_000);
