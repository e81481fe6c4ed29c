import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { captureIo } from './cli-io.ts';

describe('dirtylog model sev / vmgenid', () => {
  it('sev --scenario 2 --ordering naive replays the race and reports the bad result', async () => {
    const io = captureIo();
    expect(await runCli(['model', 'sev', '--scenario', '2', '--ordering', 'naive'], io)).toBe(0);
    expect(io.out()).toContain('=> bad: gfn 0 was sent on the private path while the guest had it shared');
  });

  it('sev --scenario 3 --json includes both orderings', async () => {
    const io = captureIo();
    expect(await runCli(['model', 'sev', '--scenario', '3', '--json'], io)).toBe(0);
    const { reports } = JSON.parse(io.out()) as { reports: { ordering: string; result: { kind: string } }[] };
    expect(reports.map((r) => [r.ordering, r.result.kind])).toEqual([['naive', 'bad'], ['engine', 'good']]);
  });

  it('vmgenid --race shows the pull check closing the window', async () => {
    const io = captureIo();
    expect(await runCli(['model', 'vmgenid', '--race', '--delay', '3'], io)).toBe(0);
    expect(io.out()).toContain('push: stale uses per clone [3, 3]');
    expect(io.out()).toContain('pull: stale uses per clone [0, 0]');
  });
});
