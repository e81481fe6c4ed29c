/**
 * `dirtylog sweep ring --backend kvm --html`, as a user runs it: the calibration is measured on
 * /dev/kvm first, every workload runs on the kernel, the model and the calibrated model, and
 * the HTML report loads in headless Chromium with every chart drawn, the three sides in the
 * same charts and each model's error against the kernel charted. Needs /dev/kvm and Chromium;
 * skips naming whichever is missing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvmDeviceProblem } from '../src/index.ts';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { checkReport, chromiumMissing, openBrowser } from './support/report-in-chromium.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const missing = kvmDeviceProblem()?.message ?? chromiumMissing();
const dir = mkdtempSync(join(tmpdir(), 'dirtylog-kvm-sweep-'));
const html = join(dir, 'k.html');

interface Sweep {
  method: { sides: string[]; costs?: { faultCostNs: number; resetCostNs: number; source: string } };
  workloads: { label: string; workload: { side: string }; points: { ringEntries: number; outcome: { trials: { kind: string }[] } }[] }[];
  errors: { workload: string; side: string; points: { ringEntries: number }[]; verdict: string }[];
  interrupted: boolean;
}
let sweep: Sweep;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  if (missing) return;
  const cli = spawnCli(await builtCli(), ['sweep', 'ring', '--backend', 'kvm', '--sizes', '256,4096', '--pattern', 'random', '--trials', '1', '--seconds', '0.2', '--mem', '64MiB', '--json', '--html', html]);
  const exit = await cli.exited;
  if (exit.code !== 0) throw new Error(`dirtylog sweep ring --backend kvm exited ${exit.code}: ${cli.stderr()}`);
  sweep = JSON.parse(cli.stdout()) as Sweep;
}, 120_000);

describe.skipIf(missing !== undefined)(`sweep ring --backend kvm${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('runs each size on the kernel, the model and the calibrated model, with measured costs and each model\'s error', () => {
    expect(sweep.interrupted).toBe(false);
    expect(sweep.method.sides).toEqual(['kernel', 'model', 'calibrated']);
    expect(sweep.method.costs?.source).toBe('measured');
    expect(sweep.method.costs!.faultCostNs).toBeGreaterThanOrEqual(0);
    expect(sweep.workloads.map((w) => [w.label, w.points.map((p) => p.ringEntries)])).toEqual([
      ['random, 2 vCPUs, 64MiB · kernel', [256, 4096]],
      ['random, 2 vCPUs, 64MiB · model', [256, 4096]],
      ['random, 2 vCPUs, 64MiB · calibrated model', [256, 4096]],
    ]);
    for (const w of sweep.workloads) for (const p of w.points) expect(p.outcome.trials.map((t) => t.kind), w.label).toEqual(['completed']);
    expect(sweep.errors.map((e) => [e.workload, e.side, e.points.map((p) => p.ringEntries)])).toEqual([
      ['random, 2 vCPUs, 64MiB', 'model', [256, 4096]],
      ['random, 2 vCPUs, 64MiB', 'calibrated', [256, 4096]],
    ]);
    expect(sweep.errors[1]!.verdict).toMatch(/^random, 2 vCPUs, 64MiB, calibrated model against the kernel: throughput /);
  });

  it('its report loads clean in Chromium and draws every chart, the error charts included', async () => {
    const browser = await openBrowser();
    try {
      const page = await checkReport(browser, html, join(ROOT, 'test-results', 'reports-load-in-chromium', 'sweep-ring-kvm.png'));
      expect(page.errors).toEqual([]);
      expect(page.requests).toEqual([]);
      expect(page.ready).toBe(true);
      const ids = page.charts.map((c) => c.id);
      for (const id of ['ring-writesPerSecond', 'ring-stallShare', 'ring-error-writesPerSecond', 'ring-error-fullExitsPerSecond']) expect(ids).toContain(id);
      for (const c of page.charts) {
        expect(c.points, `${c.id}: points`).toBeGreaterThan(0);
        expect(c.visiblePoints, `${c.id}: points laid out`).toBe(c.points);
        expect(c.xLabel, `${c.id}: x label`).not.toBe('');
        expect(c.yLabel, `${c.id}: y label`).not.toBe('');
      }
      const text = readFileSync(html, 'utf8');
      expect(text).toContain('guest writes per second, log scale');
      expect(text).toContain('Error against the kernel');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
