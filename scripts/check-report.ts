/**
 * `npm run check:report -- FILE.html...`: the browser test's checks on any report (a sweep's,
 * a comparison's, the tour's), with a full-page screenshot of each in test-results/check-report/.
 * Exit 1 when a report fails a check.
 */
import { basename, join, resolve } from 'node:path';
import { checkReport, chromiumMissing, openBrowser } from '../test/support/report-in-chromium.ts';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: npm run check:report -- FILE.html...');
  process.exit(2);
}
const missing = chromiumMissing();
if (missing) {
  console.error(`check-report: ${missing}`);
  process.exit(2);
}
let bad = 0;
const browser = await openBrowser();
for (const file of files) {
  const shot = resolve('test-results', 'check-report', `${basename(file, '.html')}.png`);
  const page = await checkReport(browser, resolve(file), shot);
  const broken = page.charts.filter((c) => !c.points || c.visiblePoints !== c.points || !c.xLabel || !c.yLabel);
  const ok = !page.errors.length && !page.requests.length && page.ready && page.charts.length > 0 && !broken.length;
  if (!ok) bad++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${file}: ${page.charts.length} charts, ${page.charts.reduce((a, c) => a + c.points, 0)} points, ${page.errors.length} errors, ${page.requests.length} requests${broken.length ? `, broken: ${broken.map((c) => c.id).join(', ')}` : ''}; screenshot ${join('test-results', 'check-report', basename(shot))}`);
  for (const e of [...page.errors, ...page.requests.map((r) => `request ${r}`)]) console.log(`     ${e}`);
}
await browser.close();
process.exit(bad ? 1 : 0);
