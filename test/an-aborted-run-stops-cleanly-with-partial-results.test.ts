/** Ctrl-C (an AbortSignal) stops at the next boundary: threads stopped, iterations kept, kind 'aborted'. */
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';

it('stops after the iteration in flight and reports it', async () => {
  const controller = new AbortController();
  const run = startRun({ strategy: 'bitmap', vcpus: 2, memory: '4MiB', seconds: 30, intervalMs: 30, verify: true, signal: controller.signal });
  const seen: string[] = [];
  for await (const event of run.events()) {
    seen.push(event.kind);
    if (event.kind === 'iteration' && event.report.iteration === 2) controller.abort();
  }
  const result = await run.result;
  expect(result.kind).toBe('aborted');
  expect(result.iterations.length).toBeGreaterThanOrEqual(2);
  expect(result.iterations.length).toBeLessThanOrEqual(3);
  expect(result.verification).toMatchObject({ kind: 'passed' });
  expect(seen[0]).toBe('started');
  expect(seen.at(-1)).toBe('finished');
});
