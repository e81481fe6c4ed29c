/**
 * The HTML reports, opened in a real browser (Debian's headless Chromium through
 * playwright-core): each loads with no console error and no request leaving the file, every
 * chart has its points and both axis labels, and a screenshot lands in
 * test-results/reports-load-in-chromium/ for a person to look at. The reports come from the
 * built CLI on tiny grids (the comparisons with charts of their own, dirty-rate-modes and
 * dirty-limit, on their quick grids); `npm run check:report -- FILE...` runs the same checks on any report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { checkReport, chromiumMissing, openBrowser, type Browser } from './support/report-in-chromium.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHOTS = join(ROOT, 'test-results', 'reports-load-in-chromium');
const dir = mkdtempSync(join(tmpdir(), 'dirtylog-reports-'));
const missing = chromiumMissing();

const REPORTS: readonly { name: string; args: string[]; charts: RegExp[] }[] = [
  { name: 'sweep-ring', args: ['sweep', 'ring', '--sizes', '256,4096', '--pattern', 'random', '--trials', '2', '--seconds', '0.2', '--mem', '64MiB', '--csv'], charts: [/^ring-writesPerSecond$/, /^ring-stallShare$/, /timeline-dirty$/] },
  { name: 'sweep-guest', args: ['sweep', 'guest', '--sizes', '1GiB,8GiB,64GiB', '--trials', '2', '--json'], charts: [/^guest-fixed-count$/, /^guest-fixed-fraction$/] },
  { name: 'compare-strategies', args: ['compare', 'strategies', '--quick'], charts: [/^strategies-writesPerSecond$/, /timeline-sync$/] },
  {
    name: 'compare-protocols', args: ['compare', 'protocols', '--quick', '--trials', '1'],
    charts: [/^protocols-kernels$/, /^protocols-transfer$/, /^protocols-sweep-writes$/, /^protocols-sweep-per-entry$/, /^protocols-lines-batch$/, /^protocols-lines-chase$/, /^protocols-lines-by-kind$/],
  },
  { name: 'compare-dirty-rate-modes', args: ['compare', 'dirty-rate-modes', '--quick', '--json'], charts: [/^dirty-rate-modes-errors$/, /^dirty-rate-modes-sampling$/] },
  { name: 'compare-dirty-limit', args: ['compare', 'dirty-limit', '--quick', '--json'], charts: [/^dirty-limit-rate$/, /^dirty-limit-held$/] },
  // A guest a little faster than its link: auto-converge steps in, so every chart of the timeline has something to draw.
  { name: 'migrate', args: ['migrate', '--mem', '4MiB', '--pattern', 'random', '--write-rate', '2000', '--bandwidth', '8MiB', '--auto-converge'], charts: [/^migration-bytes$/, /^migration-rates$/, /^migration-throttle$/, /^migration-downtime$/] },
];

let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  if (missing) return;
  const main = await builtCli();
  browser = await openBrowser();
  for (const r of REPORTS) {
    const cli = spawnCli(main, [...r.args, '--html', join(dir, `${r.name}.html`)]);
    const exit = await cli.exited;
    if (exit.code !== 0) throw new Error(`dirtylog ${r.args.join(' ')} exited ${exit.code}: ${cli.stderr()}`);
  }
}, 240_000);

describe.each(REPORTS)('$name', (r) => {
  it.skipIf(missing !== undefined)(`loads clean, draws every chart, leaves a screenshot${missing ? ` (skipped: ${missing})` : ''}`, async () => {
    const page = await checkReport(browser!, join(dir, `${r.name}.html`), join(SHOTS, `${r.name}.png`));
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.ready).toBe(true);
    expect(page.title).toMatch(/^dirtylog: /);
    for (const want of r.charts) expect(page.charts.map((c) => c.id).some((id) => want.test(id)), `a chart matching ${want}`).toBe(true);
    for (const c of page.charts) {
      expect(c.points, `${c.id}: points`).toBeGreaterThan(0);
      expect(c.visiblePoints, `${c.id}: points laid out`).toBe(c.points);
      expect(c.xLabel, `${c.id}: x label`).not.toBe('');
      expect(c.yLabel, `${c.id}: y label`).not.toBe('');
      expect(c.width * c.height, `${c.id}: size`).toBeGreaterThan(0);
    }
  }, 60_000);
});
