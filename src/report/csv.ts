/** CSV as RFC 4180 has it: header first, a field quoted when it holds a comma, a quote or a line break. */
export type CsvCell = string | number | boolean | undefined;

function field(v: CsvCell): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' && !Number.isFinite(v) ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
