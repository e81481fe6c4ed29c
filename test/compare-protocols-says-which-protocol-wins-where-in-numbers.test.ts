/**
 * `dirtylog compare protocols --quick --json`, run as users run it (the built CLI): every
 * protocol is measured in every part (kernels, transfer, sweep) and modelled in the cache-line
 * part, and each verdict names a winner or a tie with the numbers it stands on.
 */
import { expect, it } from 'vitest';
import type { ProtocolComparisonResult } from '../src/experiments/protocols.ts';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';

const PROTOCOLS = ['flags', 'indices', 'indices-apart'];
const KERNELS = ['push', 'harvest', 'reset-seq', 'reset-random'];
/** The review's two duels, each a winner by a ratio or a tie. */
const DUELS = (a: string, b: string) => `${a} against ${b}: (${a} by [\\d.]+x|${b} by [\\d.]+x|a tie)`;
const BOTH = `${DUELS('flags', 'indices')}; ${DUELS('indices', 'indices-apart')}`;

it('measures every protocol everywhere and says who wins where, in numbers', async () => {
  const cli = spawnCli(await builtCli(), ['compare', 'protocols', '--quick', '--json']);
  const exit = await cli.exited;
  expect(exit.code, cli.stderr()).toBe(0);
  const r = JSON.parse(cli.stdout()) as ProtocolComparisonResult;
  expect(r.kind).toBe('protocol-comparison');
  expect(r.interrupted).toBe(false);
  expect(r.method.protocols).toEqual(PROTOCOLS);

  expect(r.kernels.map((k) => `${k.kernel} ${k.protocol}`)).toEqual(KERNELS.flatMap((k) => PROTOCOLS.map((p) => `${k} ${p}`)));
  for (const k of r.kernels) expect(k.nsPerEntry.median, `${k.kernel} ${k.protocol}`).toBeGreaterThan(0);
  expect(r.transfer.map((t) => `${t.ringEntries} ${t.protocol}`)).toEqual(r.method.transfer.sizes.flatMap((n) => PROTOCOLS.map((p) => `${n} ${p}`)));
  for (const t of r.transfer) {
    expect(t.mEntriesPerSecond.samples).toBe(2);
    expect(t.mEntriesPerSecond.median).toBeGreaterThan(0);
    expect(t.looksPerEntry.median, 'the poller looked').toBeGreaterThan(0);
  }
  expect(r.sweep.map((p) => `${p.ringEntries} ${p.protocol}`)).toEqual(r.method.sweep.sizes.flatMap((n) => PROTOCOLS.map((p) => `${n} ${p}`)));
  for (const p of r.sweep) expect(p.outcome.trials.every((t) => t.kind === 'completed'), `${p.ringEntries} ${p.protocol}`).toBe(true);
  expect(r.lines.measured.map((m) => `${m.ringEntries} ${m.protocol}`)).toEqual(r.transfer.map((t) => `${t.ringEntries} ${t.protocol}`));
  for (const set of [r.lines.batch, r.lines.chase]) expect(new Set(set.map((c) => c.protocol))).toEqual(new Set(PROTOCOLS));

  // One verdict per kernel and per ring size, each duel a winner or a tie, with every protocol's figure.
  expect(r.verdicts.kernels).toHaveLength(KERNELS.length);
  KERNELS.forEach((k, i) => {
    expect(r.verdicts.kernels[i]).toMatch(new RegExp(`^${k}, per entry: ${BOTH} \\(`));
    for (const p of PROTOCOLS) expect(r.verdicts.kernels[i]).toMatch(new RegExp(`${p} [\\d.]+ ns`));
  });
  expect(r.verdicts.transfer).toHaveLength(r.method.transfer.sizes.length);
  for (const v of r.verdicts.transfer) {
    expect(v).toMatch(new RegExp(`^\\d+ entries, entries per second: ${BOTH} \\(`));
    for (const p of PROTOCOLS) expect(v).toMatch(new RegExp(`${p} [\\d.]+ M`));
    expect(v).toMatch(/Why: flags looked every \d+ pushes, where the model counts [\d.]+ line transfers per entry/);
  }
  expect(r.verdicts.summary.join(' ')).toMatch(/Why, in the cache-line model at the look rates measured: 512 entries: flags [\d.]+ line transfers per entry/);
  expect(r.verdicts.summary.join(' ')).toMatch(/Noise: indices and indices-apart differ by one line transfer per reap, yet their transfer medians differed by up to [\d.]+x \(load average [\d.]+ as it started/);
  expect(r.method.loadAverage.cpus).toBeGreaterThan(0);
  expect(r.verdicts.lines.join(' ')).toMatch(/[\d.]+ against [\d.]+ transfers per entry/);
  expect(r.verdicts.security.join(' ')).toMatch(/fetch_index/);
}, 150_000);
