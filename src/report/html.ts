/**
 * The HTML report: one self-contained page. Charts are inline SVG; styles are inline; there is
 * no script, no font, no image and no link to fetch, and the Content-Security-Policy forbids
 * the page any request at all, so it opens the same from a mail attachment as from disk.
 */
import type { MachineInfo } from '../bench/machine.ts';
import type { Chart } from './chart.ts';
import { escapeXml, renderChart } from './svg.ts';

export interface Table {
  readonly caption: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface ReportSection {
  readonly id: string;
  readonly title: string;
  /** What was run, in a sentence or two. */
  readonly intro: string;
  /** The experiment's conclusions, first thing under the title. */
  readonly verdicts: readonly string[];
  readonly charts: readonly Chart[];
  readonly tables: readonly Table[];
  readonly notes?: readonly string[];
}

export interface ReportDocument {
  readonly title: string;
  /** The command that made it, when there is one. */
  readonly command?: string;
  readonly date: string;
  readonly machine: MachineInfo;
  readonly interrupted: boolean;
  readonly sections: readonly ReportSection[];
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;background:#fff;max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:36px 0 6px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:13px}.meta code{font-size:12px}
.interrupted{background:#fff3cd;border:1px solid #e0c060;padding:8px 12px;margin:12px 0}
.verdicts{background:#eef5fb;border-left:4px solid #0072B2;padding:8px 14px;margin:10px 0}.verdicts p{margin:6px 0}
.charts{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:10px 0;border:1px solid #e2e2e2;border-radius:4px;padding:8px;background:#fcfcfc}
figure.small{flex:1 1 400px;max-width:calc(50% - 7px)}figure.wide{flex:1 1 100%}
figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:13.5px;color:#333;margin-top:4px}
svg .title{font-weight:600;font-size:14px}svg text{font-family:system-ui,sans-serif;font-size:11.5px;fill:#222}
svg .axis-label{font-size:12.5px;font-weight:600}svg .tick{fill:#444}
svg .grid{stroke:#e6e6e6;stroke-width:1}svg .axis{stroke:#444;stroke-width:1}
svg .line{fill:none;stroke-width:2}svg .whisker{stroke-width:1.5;opacity:.8}
table{border-collapse:collapse;font-size:12px;margin:10px 0;display:block;overflow-x:auto}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f3f3f3;white-space:nowrap}
td:first-child,th:first-child{text-align:left}
.notes{font-size:13px;color:#444}
@media (max-width:800px){figure.small{max-width:100%}}
`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

function table(t: Table): string {
  const head = `<tr>${t.header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  return `<table><caption>${escapeXml(t.caption)}</caption><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

function section(s: ReportSection): string {
  const figures = s.charts.map((c) => `<figure class="${c.size ?? 'wide'}">${renderChart(c)}<figcaption>${escapeXml(c.verdict)}</figcaption></figure>`).join('');
  const notes = s.notes?.length ? `<div class="notes">${s.notes.map((x) => `<p>${escapeXml(x)}</p>`).join('')}</div>` : '';
  return `<section id="${escapeXml(s.id)}"><h2>${escapeXml(s.title)}</h2><p>${escapeXml(s.intro)}</p>`
    + `<div class="verdicts">${s.verdicts.map((v) => `<p>${escapeXml(v)}</p>`).join('')}</div>`
    + `<div class="charts">${figures}</div>${s.tables.map(table).join('')}${notes}</section>`;
}

export function renderHtml(doc: ReportDocument): string {
  const m = doc.machine;
  const caches = Object.entries(m.caches).map(([k, v]) => `${k} ${v}`).join(', ') || 'unknown';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(doc.title)}</title><style>${STYLE}</style></head>
<body data-ready="true"><header><h1>${escapeXml(doc.title)}</h1>
<p class="meta">${escapeXml(doc.date)} · ${escapeXml(m.cpuModel)}, ${m.cpus} CPUs, caches ${escapeXml(caches)} · Node ${escapeXml(m.node)} (V8 ${escapeXml(m.v8)}), ${escapeXml(m.platform)}${doc.command ? ` · <code>${escapeXml(doc.command)}</code>` : ''}</p>
${doc.interrupted ? '<p class="interrupted">Interrupted (Ctrl-C): this report holds only what finished.</p>' : ''}
</header>
${doc.sections.map(section).join('\n')}
</body></html>
`;
}
