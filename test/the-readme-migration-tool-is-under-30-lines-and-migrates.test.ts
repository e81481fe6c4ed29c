/**
 * The README shows a migration tool embedding the library in under 30 lines, and it is a tool
 * that works: the block under "Embedding: a migration tool in under 30 lines" is found, counted,
 * and run as it stands (against the source), and what it prints says the guest migrated with
 * every page equal. (readme-examples-print-what-they-say runs every example too; this one pins
 * the promise in the heading.)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const section = /^### Embedding: a migration tool in under 30 lines\n([\s\S]*?)(?=^### )/m.exec(readme)?.[1] ?? '';
const tool = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

it('is under 30 lines, drives migrate() to a listener, and migrates every page', async () => {
  const lines = tool.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThan(5);
  expect(lines.length).toBeLessThan(30);
  expect(tool).toMatch(/\bmigrate\(\{ vm, to:/);
  expect(tool).toMatch(/\blistenForMigration\(/);
  const file = `${mkdtempSync(`${tmpdir()}/dirtylog-tool-`)}/tool.ts`;
  writeFileSync(file, tool.replaceAll(`from 'dirtylog'`, `from '${root}src/index.ts'`));
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await import(file);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  expect(printed).toEqual(['migrated migrated', '0', 'true true']);
}, 60_000);
