/** What a benchmark result needs to be read later: runtime, CPU model and cache sizes. */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpus: number;
  /** e.g. { L1d: '32K', L2: '1024K', L3: '32768K' }, read from sysfs (Linux only). */
  readonly caches: Record<string, string>;
}

export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    caches: cacheSizes(),
  };
}

function cacheSizes(): Record<string, string> {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  const out: Record<string, string> = {};
  try {
    for (const index of readdirSync(dir).filter((d) => d.startsWith('index'))) {
      const read = (f: string) => readFileSync(`${dir}/${index}/${f}`, 'utf8').trim();
      const type = read('type');
      const name = `L${read('level')}${type === 'Data' ? 'd' : type === 'Instruction' ? 'i' : ''}`;
      out[name] = read('size');
    }
  } catch {
    // Not Linux, or sysfs hidden: the report says so by leaving caches empty.
  }
  return out;
}
