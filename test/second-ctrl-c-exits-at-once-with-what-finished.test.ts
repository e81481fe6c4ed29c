/**
 * A second Ctrl-C does not wait for the command to stop: it prints what the command had
 * finished so far and exits 130 at once. The first asks the command to stop and says how to
 * quit at once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { interrupts } from '../src/cli/interrupt.ts';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { STOP_BOUND_MS } from './support/stop-bound.ts';

function harness() {
  const written: [number, string][] = [];
  const exits: number[] = [];
  const controller = new AbortController();
  const ctrlC = interrupts({ controller, write: (fd, text) => void written.push([fd, text]), exit: (code) => void exits.push(code) });
  return { written, exits, controller, ctrlC };
}

describe('the Ctrl-C handler', () => {
  it('first Ctrl-C: aborts the command and says a second one quits at once; second: prints what finished, exits 130', () => {
    const { written, exits, controller, ctrlC } = harness();
    const rows = ['push 1GiB 8.1 ns'];
    ctrlC.keepPartial(() => `${rows.join('\n')}\ninterrupted`);
    ctrlC.onSigint();
    expect(controller.signal.aborted).toBe(true);
    expect(exits).toEqual([]);
    expect(written).toEqual([[2, expect.stringMatching(/Ctrl-C again to quit at once/) as string]]);
    rows.push('harvest 1GiB 7.3 ns'); // finished while stopping: the second Ctrl-C prints it too
    ctrlC.onSigint();
    expect(written.slice(1)).toEqual([[1, 'push 1GiB 8.1 ns\nharvest 1GiB 7.3 ns\ninterrupted\n']]);
    expect(exits).toEqual([130]);
  });

  it('a second Ctrl-C after the command printed its own output adds nothing and exits 130', () => {
    const { written, exits, ctrlC } = harness();
    ctrlC.keepPartial(() => 'partial');
    ctrlC.onSigint();
    ctrlC.commandFinished();
    ctrlC.onSigint();
    expect(written.filter(([fd]) => fd === 1)).toEqual([]);
    expect(exits).toEqual([130]);
  });
});

describe('dirtylog run, Ctrl-C twice', () => {
  let main: string;
  beforeAll(async () => void (main = await builtCli()), 180_000);

  it('exits 130 at once with the summary printed exactly once', async () => {
    const cli = spawnCli(main, ['run', '--strategy', 'ring', '--mem', '16MiB', '--seconds', '60']);
    await cli.waitFor('stdout', /^iteration 1:/m);
    cli.child.kill('SIGINT');
    await cli.waitFor('stderr', /Ctrl-C again to quit at once/);
    const sent = performance.now();
    cli.child.kill('SIGINT');
    const exit = await cli.exited;
    expect(exit).toMatchObject({ code: 130, signal: null });
    expect(exit.at - sent).toBeLessThan(STOP_BOUND_MS);
    // Stopped by the first (totals) or cut short by the second (totals of what finished): once either way.
    expect(cli.stdout().match(/^totals/gm)).toHaveLength(1);
    expect(cli.stdout()).toMatch(/^interrupted/m);
  });
});
