/**
 * A report as a person sees it: opened from disk in Debian's headless Chromium, driven by
 * playwright-core. It must load with no console error and no page error, send no request
 * beyond the file itself, and every chart must show its data points and both axis labels
 * (a chart with no point or a blank axis label is a broken chart). A full-page screenshot is
 * kept for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Chromium is needed and missing: the reason a test skips, or undefined when it can run. In CI it must run. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.CI) return undefined; // CI installs it (.ci/run): a missing browser there is a failure, not a skip
  return `${CHROMIUM} is not installed (apt-get update && apt-get install -y chromium)`;
}

/** This machine's notes: no sandbox (root in a container), no GPU, and nothing that phones home. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ChartCheck {
  readonly id: string;
  readonly points: number;
  /** Points the browser laid out with a non-zero size. */
  readonly visiblePoints: number;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width: number;
  readonly height: number;
}

export interface PageCheck {
  readonly errors: readonly string[];
  /** Every request the page made other than the report file itself. */
  readonly requests: readonly string[];
  readonly ready: boolean;
  readonly charts: readonly ChartCheck[];
  readonly title: string;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile (a new --user-data-dir), removed on close. One launch serves many reports. */
export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'dirtylog-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1150, height: 900 }, timeout: 30_000 });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens `file` in a new page, checks it, and saves a full-page screenshot to `screenshot`. */
export async function checkReport(browser: Browser, file: string, screenshot: string): Promise<PageCheck> {
  const url = pathToFileURL(file).href;
  const errors: string[] = [];
  const requests: string[] = [];
  const page = await browser.context.newPage();
  try {
    page.on('console', (m) => void (m.type() === 'error' && errors.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => void errors.push(`page: ${e.message}`));
    page.on('request', (r) => void (r.url() !== url && requests.push(r.url())));
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const points = [...svg.querySelectorAll('.point')];
      return {
        id: svg.getAttribute('data-chart') ?? '',
        points: points.length,
        visiblePoints: points.filter((p) => {
          const b = p.getBoundingClientRect();
          return b.width > 0 && b.height > 0;
        }).length,
        xLabel: svg.querySelector('.x-label')?.textContent?.trim() ?? '',
        yLabel: svg.querySelector('.y-label')?.textContent?.trim() ?? '',
        width: box.width,
        height: box.height,
      };
    }));
    const ready = (await page.getAttribute('body', 'data-ready')) === 'true';
    const title = await page.title();
    mkdirSync(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, requests, ready, charts, title };
  } finally {
    await page.close();
  }
}
