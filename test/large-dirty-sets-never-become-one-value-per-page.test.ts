/**
 * A dirty set stays a bitmap from the engine to the result: a sync that reports 134 million
 * pages (INITIALLY_SET on a 512 GiB guest) or 80 million (a sequential pass over 8 TiB) is
 * counted, not listed, and the run completes with exact distinct counts instead of crashing
 * the process with an array of every page.
 */
import { expect, it } from 'vitest';
import { startRun } from '../src/index.ts';

it('clear-log on a 512 GiB guest: the first round reports all 134,217,728 pages', async () => {
  const result = await startRun({ strategy: 'clear-log', memory: '512GiB', seconds: 1 }).result;
  expect(result.kind).toBe('completed');
  expect(result.iterations[0]!.dirty).toBe(512 * 2 ** 18);
  expect(result.iterations[0]!.clean).toBe(0);
}, 60_000);

it('bitmap on an 8191 GiB guest written sequentially for 4 s: every page written is counted once', async () => {
  const result = await startRun({ strategy: 'bitmap', memory: '8191GiB', pattern: 'sequential', intervalMs: 4000, seconds: 1, vcpus: 1 }).result;
  expect(result.kind).toBe('completed');
  const [round] = result.iterations;
  // One vCPU walking a 2^31-page slot once: every write hits a new page.
  expect(round!.dirty).toBe(round!.writes);
  expect(round!.dirty).toBeGreaterThan(2 ** 24);
}, 60_000);
