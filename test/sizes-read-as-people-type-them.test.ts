/**
 * Sizes as people type them, with QEMU's binary suffixes whatever the spelling (1G = 1GB =
 * 1GiB = 2^30 bytes), in any case; formatSize writes a size that parseSize reads back.
 */
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { formatSize, parseSize } from '../src/run/size.ts';

it.each([
  ['1G', 2 ** 30], ['512M', 512 * 2 ** 20], ['64MB', 64 * 2 ** 20], ['16GiB', 16 * 2 ** 30], ['4096K', 4096 * 1024],
  ['64mb', 64 * 2 ** 20], ['2T', 2 * 2 ** 40], ['1.5G', 1.5 * 2 ** 30], ['4096', 4096], ['4096B', 4096], [' 8 MiB ', 8 * 2 ** 20],
  [65536, 65536],
])('%j is %d bytes', (text, bytes) => {
  expect(parseSize('memory', text)).toBe(bytes);
});

it.each([['lots'], ['-1G'], ['1Gi'], ['1 0M'], [''], ['0x10M']])('%j is not a size: a TypeError naming the option', (text) => {
  expect(() => parseSize('memory', text)).toThrow(TypeError);
  expect(() => parseSize('memory', text)).toThrow(/^memory must be a size like 64MiB, 512M or 1G/);
});

test.prop([fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })])('formatSize reads back as the same number of bytes', (bytes) => {
  expect(parseSize('memory', formatSize(bytes))).toBe(bytes);
});
