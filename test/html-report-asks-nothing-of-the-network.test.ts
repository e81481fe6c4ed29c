/**
 * The HTML report is one self-contained file: no script, no stylesheet, font or image to
 * fetch, and a Content-Security-Policy that forbids any request, so even a future chart that
 * slipped in a URL could not load it. User text (a scenario name) is escaped.
 */
import { expect, it } from 'vitest';
import { machineInfo } from '../src/bench/machine.ts';
import { renderHtml } from '../src/report/html.ts';

const report = (title: string, verdict: string, cell: string) => renderHtml({
  title, date: '2026-01-01', machine: machineInfo(), interrupted: false,
  sections: [{
    id: 's', title: 'A section', intro: 'intro', verdicts: [verdict], tables: [{ caption: 'c', header: ['a'], rows: [[cell]] }],
    charts: [{ kind: 'line', id: 'c', title: 't', verdict: 'v', x: { label: 'x (s)', scale: 'linear', format: 'count' }, y: { label: 'y (s)', scale: 'linear', format: 'count' }, series: [{ name: 'n', points: [{ x: 1, y: 1 }] }] }],
  }],
});

it('forbids every request and carries nothing to fetch', () => {
  const page = report('dirtylog: a report', 'ring wins', '42');
  expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  expect(page).not.toMatch(/<script|<link|<img|@import|url\(|src=|href=/i);
});

it('escapes user text everywhere it appears', () => {
  const page = report('dirtylog: <test>', '<img src=x onerror=alert(1)>', '<b>');
  expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(page).toContain('<td>&lt;b&gt;</td>');
  expect(page).toContain('<title>dirtylog: &lt;test&gt;</title>');
});
