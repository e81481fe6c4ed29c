/** The README's dependency section says why the original plan's as-bind and worker-threads-pool are not used. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = /^## Dependencies and why\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';

it('as-bind: needs AssemblyScript 0.19, breaks on 0.28, and numbers need no glue', () => {
  const why = (/\*\*`as-bind`\*\*([^\n]*(?:\n {2}[^\n]*)*)/.exec(section)?.[1] ?? '').replace(/\s+/g, ' ');
  expect(why).toMatch(/0\.19/);
  expect(why).toMatch(/0\.28/);
  expect(why).toMatch(/numbers/);
});

it('worker-threads-pool: unmaintained since 2018, only caps Worker starts, and a vCPU is a long-lived thread', () => {
  const why = (/\*\*`worker-threads-pool`\*\*([^\n]*(?:\n {2}[^\n]*)*)/.exec(section)?.[1] ?? '').replace(/\s+/g, ' ');
  expect(why).toMatch(/unmaintained since 2018/);
  expect(why).toMatch(/cap how many Workers start/);
  expect(why).toMatch(/long-lived thread with its own identity/);
});
