/**
 * `--csv`: one row per point, header first, every row as wide as the header, fields quoted as
 * RFC 4180 has it (a workload label with a comma stays one field).
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { toCsv } from '../src/report/csv.ts';
import { captureIo } from './support/capture-io.ts';

it('quotes a field with a comma, a quote or a line break, and nothing else', () => {
  expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['line\nbreak', 3], [true, undefined]])).toBe('a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",3\r\ntrue,\r\n');
});

it('sweep ring --csv: a header, then one row per ring size', async () => {
  const io = captureIo();
  const code = await runCli(['sweep', 'ring', '--sizes', '256,4096', '--pattern', 'random', '--trials', '1', '--seconds', '0.1', '--mem', '16MiB', '--csv'], io);
  expect(code).toBe(0);
  const rows = io.out().trimEnd().split('\r\n').map((r) => r.split(','));
  const [header, ...points] = rows;
  expect(header!.slice(0, 7)).toEqual(['pattern', 'vcpus', 'write_rate', 'pml', 'memory_bytes', 'ring_entries', 'ring_bytes']);
  expect(header).toContain('writes_per_second_median');
  expect(points.map((p) => p[header!.indexOf('ring_entries')])).toEqual(['256', '4096']);
  for (const p of points) expect(p).toHaveLength(header!.length);
  expect(Number(points[0]![header!.indexOf('writes_per_second_median')])).toBeGreaterThan(0);
}, 60_000);
