/**
 * The machine's data caches (sysfs, through bench/machine.ts) and where a ring sweep's rings
 * outgrow each: the rings of all vCPUs together take entries x 16 bytes x vCPUs, so the ring
 * size at which they fill a cache of C bytes is C / (16 x vCPUs) entries.
 */
import { ABI } from '../layout.ts';
import { formatSize } from '../run/size.ts';

export interface CacheLevel {
  /** L1d, L2, L3. */
  readonly name: string;
  readonly bytes: number;
  /** "L1d 48 KiB": what the chart's line says. */
  readonly label: string;
}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 };

/** sysfs spells sizes "48K", "2048K", "107520K". */
export function parseCacheSize(text: string): number | undefined {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : undefined;
}

/** A size as a label reads it: "48 KiB", "2 MiB", "105 MiB". */
export function sizeLabel(bytes: number): string {
  return formatSize(bytes).replace(/(\d)([KMGTP]?i?B)$/, '$1 $2');
}

/** The data and unified caches, smallest first (instruction caches hold no ring). */
export function dataCaches(caches: Readonly<Record<string, string>>): CacheLevel[] {
  const out: CacheLevel[] = [];
  for (const [name, size] of Object.entries(caches)) {
    if (name.endsWith('i')) continue;
    const bytes = parseCacheSize(size);
    if (bytes !== undefined) out.push({ name, bytes, label: `${name} ${sizeLabel(bytes)}` });
  }
  return out.sort((a, b) => a.bytes - b.bytes);
}

/** Bytes of the rings of every vCPU: entries x 16 (sizeof kvm_dirty_gfn) x vCPUs. */
export const ringBytes = (entries: number, vcpus: number): number => entries * ABI.GFN_SIZE * vcpus;

/** The ring size (entries, not necessarily a power of two) at which the rings fill `cache`. */
export const crossingEntries = (cache: CacheLevel, vcpus: number): number => cache.bytes / (ABI.GFN_SIZE * vcpus);
