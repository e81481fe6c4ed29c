/** Ctrl-C during `dirtylog bench kvm`: it stops at the next operation, prints the rows that finished, marked interrupted, exit 130, no stack trace. */
import { expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { describeOnKvm } from './support/conformance.ts';

describeOnKvm('dirtylog bench kvm, Ctrl-C', () => {
  it('prints the finished rows, marked interrupted, exit 130', async () => {
    const cli = spawnCli(await builtCli(), ['bench', 'kvm', '--reps', '2']);
    await cli.waitFor('stderr', /^KVM_RESET_DIRTY_RINGS, sequential offsets/m);
    cli.child.kill('SIGINT');
    const exit = await cli.exited;
    expect(exit.code, cli.stderr()).toBe(130);
    expect(cli.stdout()).toMatch(/^first write to a write-protected page \(ring\)\s+page\s/m);
    expect(cli.stdout()).not.toMatch(/^KVM_CLEAR_DIRTY_LOG/m);
    expect(cli.stdout()).toMatch(/^interrupted \(Ctrl-C\): only the \d+ rows above finished$/m);
    expect(cli.stdout()).toMatch(/passes of 16384 pages, a 1 GiB slot, 65536-entry rings/);
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
  }, 60_000);
});
