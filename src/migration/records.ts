/**
 * The JSON bodies of the migration stream's records, decoded: every field checked, unknown
 * fields refused, each message naming the record and the field. The binary records (pages,
 * proof) are checked by the stream reader.
 */
import type { VmOptions } from '../run/running-vm.ts';
import { expectArray, expectBoolean, expectOnlyKeys, expectRecord, requireInteger, requireOneOf } from '../validate.ts';
import type { Proof } from './result.ts';
import type { StateOutcome } from './vm-state.ts';

const STRING_FIELDS = ['strategy', 'pattern', 'engine'] as const;
const NUMBER_FIELDS = ['memory', 'vcpus', 'ringEntries', 'seed', 'stride', 'zipfExponent', 'hotPages', 'writeRate'] as const;
const BOOLEAN_FIELDS = ['pml', 'deviceWriter'] as const;

export interface SetupRecord {
  /** The destination builds its guest with these (startVm checks their values). */
  readonly vm: VmOptions;
  readonly pages: number;
  readonly state: unknown;
  readonly migration: unknown;
}

export function decodeSetup(value: unknown): SetupRecord {
  const s = expectRecord('setup', value);
  expectOnlyKeys('setup', s, ['vm', 'state', 'migration']);
  const v = expectRecord('setup.vm', s.vm);
  expectOnlyKeys('setup.vm', v, [...STRING_FIELDS, ...NUMBER_FIELDS, ...BOOLEAN_FIELDS]);
  const vm: Record<string, unknown> = {};
  for (const k of STRING_FIELDS) {
    if (typeof v[k] !== 'string') throw new TypeError(`setup.vm.${k} must be a string, got ${typeof v[k]}`);
    vm[k] = v[k];
  }
  for (const k of NUMBER_FIELDS) {
    if (v[k] === undefined && k === 'ringEntries') continue;
    if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) throw new TypeError(`setup.vm.${k} must be a number, got ${typeof v[k]}`);
    vm[k] = v[k];
  }
  for (const k of BOOLEAN_FIELDS) vm[k] = expectBoolean(`setup.vm.${k}`, v[k]);
  const memory = vm.memory as number;
  if (!Number.isInteger(memory) || memory <= 0 || memory % 4096 !== 0 || memory > 2 ** 30) {
    throw new RangeError(`setup.vm.memory must be a whole number of 4 KiB pages up to 1 GiB, got ${memory}`);
  }
  return { vm: vm as unknown as VmOptions, pages: memory / 4096, state: s.state, migration: s.migration };
}

export function decodeRefusal(value: unknown): { reason: string; state?: StateOutcome[] } {
  const r = expectRecord('refusal', value);
  expectOnlyKeys('refusal', r, ['phase', 'reason', 'state']);
  if (typeof r.reason !== 'string') throw new TypeError(`refusal.reason must be a string, got ${typeof r.reason}`);
  return { reason: r.reason.slice(0, 2000), ...(r.state !== undefined ? { state: decodeOutcomes('refusal.state', r.state) } : {}) };
}

export function decodeResumed(value: unknown): { state: StateOutcome[]; resumeMs: number } {
  const r = expectRecord('resumed', value);
  expectOnlyKeys('resumed', r, ['state', 'resumeMs']);
  if (typeof r.resumeMs !== 'number' || !(r.resumeMs >= 0)) throw new TypeError(`resumed.resumeMs must be a duration in ms, got ${typeof r.resumeMs}`);
  return { state: decodeOutcomes('resumed.state', r.state), resumeMs: r.resumeMs };
}

function decodeOutcomes(name: string, value: unknown): StateOutcome[] {
  return expectArray(name, value, 16).map((item, i) => {
    const o = expectRecord(`${name}[${i}]`, item);
    expectOnlyKeys(`${name}[${i}]`, o, ['model', 'kind', 'detail']);
    if (typeof o.detail !== 'string') throw new TypeError(`${name}[${i}].detail must be a string`);
    return {
      model: requireOneOf(`${name}[${i}].model`, o.model, ['clock', 'vmgenid', 'psci', 'sev', 'vcpus'] as const),
      kind: requireOneOf(`${name}[${i}].kind`, o.kind, ['ok', 'refused', 'broken'] as const),
      detail: o.detail.slice(0, 2000),
    };
  });
}

export function decodeProofReply(value: unknown): Proof {
  const r = expectRecord('verdict', value);
  expectOnlyKeys('verdict', r, ['pagesCompared', 'differingCount', 'differing']);
  const pagesCompared = requireInteger('verdict.pagesCompared', r.pagesCompared, 0, 2 ** 31);
  return {
    pagesCompared,
    differingCount: requireInteger('verdict.differingCount', r.differingCount, 0, pagesCompared),
    differing: expectArray('verdict.differing', r.differing, 1000).map((p, i) => requireInteger(`verdict.differing[${i}]`, p, 0, 2 ** 31)),
  };
}

/** ROUND, END, CANCEL and DONE: small records whose fields the destination reports. */
export function decodeCounts<K extends string>(name: string, value: unknown, keys: readonly K[]): Record<K, number> {
  const r = expectRecord(name, value);
  expectOnlyKeys(name, r, keys);
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = requireInteger(`${name}.${k}`, r[k], 0, 2 ** 40);
  return out;
}

export function decodeCancel(value: unknown): { phase: string; reason: string } {
  const r = expectRecord('cancel', value);
  expectOnlyKeys('cancel', r, ['phase', 'reason']);
  if (typeof r.phase !== 'string' || typeof r.reason !== 'string') throw new TypeError('cancel.phase and cancel.reason must be strings');
  return { phase: r.phase.slice(0, 40), reason: r.reason.slice(0, 2000) };
}

export function decodeStateRecord(value: unknown): { state: unknown; vcpus: unknown; stamp: number } {
  const r = expectRecord('state record', value);
  expectOnlyKeys('state record', r, ['state', 'vcpus', 'stamp']);
  return { state: r.state, vcpus: r.vcpus, stamp: requireInteger('state record.stamp', r.stamp, 0, 0xffff_ffff) };
}
