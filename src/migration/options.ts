/** Options of a migration's source, checked whole before anything connects. */
import { RunningVm } from '../run/running-vm.ts';
import { parseSize } from '../run/size.ts';
import { rejectUnknownKeys, requireInteger, requireObject, requireSignal } from '../validate.ts';
import type { AutoConvergeOptions } from './convergence.ts';
import type { SourceStateOptions } from './vm-state.ts';

export interface MigrateOptions {
  /** The running guest to migrate (startVm; it needs page contents, the default). */
  readonly vm: RunningVm;
  /** Where the destination listens: `{ host, port }` or "host:port". */
  readonly to: { readonly host?: string; readonly port: number } | string;
  /** Bytes per second the stream may use, a number or a size ('1GiB'). @default '1GiB' */
  readonly bandwidth?: number | string;
  /** Downtime budget: stop-and-copy once the remaining pages fit it at the bandwidth (QEMU's default 300). @default 300 */
  readonly maxDowntimeMs?: number;
  /** Rounds before a migration that does not converge gives up. @default 30 */
  readonly maxRounds?: number;
  /** Throttle the vCPUs when they dirty faster than the link: QEMU's 20 % then +10 %, up to 99 %. @default false */
  readonly autoConverge?: boolean | AutoConvergeOptions;
  /** The VM state's models: the PSCI host, an SEV guest, the clock protocol, deliberately unsafe variants. */
  readonly state?: SourceStateOptions;
  /** Bounded waits: connecting; each answer of the destination, and a write it takes no bytes of (replyMs). @default { connectMs: 10000, replyMs: 60000 } */
  readonly timeouts?: { readonly connectMs?: number; readonly replyMs?: number };
  readonly signal?: AbortSignal;
}

export interface ResolvedMigrateOptions {
  readonly vm: RunningVm;
  readonly to: { readonly host: string; readonly port: number };
  readonly bandwidth: number;
  readonly maxDowntimeMs: number;
  readonly maxRounds: number;
  readonly autoConverge: Required<AutoConvergeOptions> | undefined;
  readonly state: SourceStateOptions;
  readonly timeouts: { readonly connectMs: number; readonly replyMs: number };
  readonly signal: AbortSignal | undefined;
}

const KEYS = ['vm', 'to', 'bandwidth', 'maxDowntimeMs', 'maxRounds', 'autoConverge', 'state', 'timeouts', 'signal'];

export function resolveMigrateOptions(options: MigrateOptions): ResolvedMigrateOptions {
  const o = requireObject('options', options);
  if (!(o.vm instanceof RunningVm)) throw new TypeError('options.vm must be a running VM from startVm(), got ' + (o.vm === undefined ? 'nothing' : typeof o.vm));
  if (!o.vm.memory) throw new RangeError('options.vm must keep page contents to be migrated, got a tracking-only VM: start it without contents: false');
  return { vm: o.vm, ...checkMigrateOptions(o as Omit<MigrateOptions, 'vm'>) };
}

/**
 * Everything of a migration's options but the VM, checked: a tool (the CLI) calls this before
 * it starts a guest or a destination, so a bad option costs nothing.
 */
export function checkMigrateOptions(options: Omit<MigrateOptions, 'vm'>): Omit<ResolvedMigrateOptions, 'vm'> {
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, KEYS);
  const bandwidth = o.bandwidth === undefined ? 2 ** 30 : typeof o.bandwidth === 'number' ? o.bandwidth : parseSize('bandwidth', o.bandwidth);
  if (!Number.isFinite(bandwidth) || bandwidth < 64 * 1024 || bandwidth > 2 ** 40) {
    throw new RangeError(`bandwidth must be from 64KiB to 1TiB per second, got ${String(o.bandwidth)}: e.g. '1GiB' or '100MiB'`);
  }
  const state = requireObject('state', o.state);
  rejectUnknownKeys('state', state, ['psciHost', 'sev', 'clockProtocol', 'unsafe']);
  if (state.unsafe !== undefined && !Array.isArray(state.unsafe)) throw new TypeError(`state.unsafe must be an array of model names, got ${typeof state.unsafe}`);
  const t = requireObject('timeouts', o.timeouts);
  rejectUnknownKeys('timeouts', t, ['connectMs', 'replyMs']);
  return {
    to: destination(o.to),
    bandwidth,
    maxDowntimeMs: requireInteger('maxDowntimeMs', o.maxDowntimeMs ?? 300, 1, 3_600_000),
    maxRounds: requireInteger('maxRounds', o.maxRounds ?? 30, 1, 10_000),
    autoConverge: autoConverge(o.autoConverge),
    state: state,
    timeouts: { connectMs: requireInteger('timeouts.connectMs', t.connectMs ?? 10_000, 10, 600_000), replyMs: requireInteger('timeouts.replyMs', t.replyMs ?? 60_000, 10, 3_600_000) },
    signal: requireSignal('signal', o.signal),
  };
}

function destination(to: unknown): { host: string; port: number } {
  if (typeof to === 'string') {
    const m = /^(.+):(\d+)$/.exec(to);
    if (!m) throw new TypeError(`to must be "host:port", got ${JSON.stringify(to.slice(0, 40))}: e.g. "127.0.0.1:4444"`);
    return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: requireInteger('to (port)', Number(m[2]), 1, 65535) };
  }
  const d = requireObject('to', to);
  if (to === undefined) throw new TypeError('to must say where the destination listens: { host, port } or "host:port"');
  rejectUnknownKeys('to', d, ['host', 'port']);
  if (d.host !== undefined && (typeof d.host !== 'string' || d.host === '')) throw new TypeError(`to.host must be a host name or address, got ${typeof d.host}`);
  return { host: (d.host) ?? '127.0.0.1', port: requireInteger('to.port', d.port, 1, 65535) };
}

function autoConverge(v: unknown): Required<AutoConvergeOptions> | undefined {
  if (v === undefined || v === false) return undefined;
  const a = v === true ? {} : requireObject('autoConverge', v);
  rejectUnknownKeys('autoConverge', a, ['initial', 'increment', 'max']);
  const max = requireInteger('autoConverge.max', a.max ?? 99, 1, 99);
  return {
    initial: requireInteger('autoConverge.initial', a.initial ?? 20, 1, max),
    increment: requireInteger('autoConverge.increment', a.increment ?? 10, 1, 99),
    max,
  };
}
