/**
 * The source of a live pre-copy migration, as QEMU's: connect, send the setup (guest layout,
 * mode, what the destination must accept before any page), a first full pass, then rounds of
 * the pages the last dirty-log sync reported, until the remaining pages fit the downtime
 * budget at the bandwidth; then pause the vCPUs, sync once more, send what is left and the VM
 * state, and wait for the destination to resume the guest. After the switchover the source's
 * memory is frozen: it sends a hash of every page and the destination compares.
 *
 * Until the switchover a failure leaves the guest running here, as it was (the destination
 * discards its partial copy); the result names the phase and how many bytes had been sent.
 */
import { connect, type Socket } from 'node:net';
import { ABI } from '../layout.ts';
import { DirtySet } from '../run/dirty-set.ts';
import type { RunningVm } from '../run/running-vm.ts';
import { ThreadFailure } from '../run/threads.ts';
import { Channel, ChannelError, describeRecord } from './channel.ts';
import { Convergence, RateLimiter } from './convergence.ts';
import { PAGE_WORDS, hashPage, wordsOf } from './page-hash.ts';
import type { FailureCause, MigrationEvent, MigrationPhase, MigrationResult, MigrationTotals, Proof, RoundStats } from './result.ts';
import { resolveMigrateOptions, type MigrateOptions, type ResolvedMigrateOptions } from './options.ts';
import { decodeProofReply, decodeRefusal, decodeResumed } from './records.ts';
import { encodePages, encodeProof, HASHES_PER_PROOF, PAGES_PER_RECORD, RECORD, PAGE_FLAG_SHARED } from './stream.ts';
import { SourceState, worldNow, type StateOutcome } from './vm-state.ts';
import { EventStream } from '../run/event-stream.ts';

export type { MigrateOptions } from './options.ts';

/** Start migrating `options.vm` to the destination at `options.to`. Options are checked here; a bad one throws. */
export function migrate(options: MigrateOptions): Migration {
  const o = resolveMigrateOptions(options);
  return new Migration(o);
}

export class Migration extends EventStream<MigrationEvent> {
  readonly result: Promise<MigrationResult>;

  /** @internal use {@link migrate}. */
  constructor(o: ResolvedMigrateOptions) {
    super();
    this.result = new SourceSession(o, (e) => this.emit(e)).run();
  }
}

/** A failure the session ends with; everything else is a bug and propagates. */
class Stop extends Error {
  constructor(readonly why: FailureCause | 'aborted', message: string) {
    super(message);
  }
}

class SourceSession {
  readonly #o: ResolvedMigrateOptions;
  readonly #vm: RunningVm;
  readonly #emit: (e: MigrationEvent) => void;
  readonly #state: SourceState;
  readonly #rounds: RoundStats[] = [];
  #phase: MigrationPhase = 'connect';
  #ch: Channel | undefined;
  #t0 = performance.now();
  #setupMs = 0;
  #pagesSent = 0;
  #finalPages = 0;
  #syncs = 0;
  #pausedAt: number | undefined;
  #downtime: MigrationTotals['downtime'];
  #downtimeMs: number | undefined;
  #proofMs: number | undefined;
  #outcomes: StateOutcome[] = [];
  #proof: Proof | undefined;
  #switchedOver = false;
  /** Pages the VMM itself marked dirty (an SEV conversion), sent with the next round. */
  readonly #redirty: DirtySet;

  constructor(o: ResolvedMigrateOptions, emit: (e: MigrationEvent) => void) {
    this.#o = o;
    this.#vm = o.vm;
    this.#emit = emit;
    this.#state = new SourceState(o.state, o.vm.options.vcpus, o.vm.pages);
    this.#redirty = DirtySet.empty(o.vm.pages);
  }

  async run(): Promise<MigrationResult> {
    await Promise.resolve();
    let result: MigrationResult;
    try {
      await this.#migrate();
      result = this.#result();
    } catch (err) {
      result = await this.#failed(err);
    } finally {
      this.#ch?.destroy();
    }
    this.#emit({ kind: 'finished', result });
    return result;
  }

  async #migrate(): Promise<void> {
    const memory = this.#vm.memory!;
    const refusal = this.#state.refusal();
    if (refusal) throw new Stop('refused', refusal);
    this.#ch = new Channel(await this.#connect(), 'the destination', this.#o.signal, this.#o.timeouts.replyMs);
    this.#phase = 'setup';
    await this.#ch.sendJson(RECORD.SETUP, this.#setupRecord());
    const reply = await this.#ch.next(this.#o.timeouts.replyMs, "the destination's answer to the setup");
    if (reply.type === 'json' && reply.code === RECORD.REFUSE) throw new Stop('refused', `the destination refused the migration before any page was sent: ${decodeRefusal(reply.value).reason}`);
    if (reply.type !== 'json' || reply.code !== RECORD.ACCEPT) throw new Stop('stream', `the destination answered the setup with ${describeRecord(reply)}`);
    // QEMU's first sync starts the dirty log: what was written before it goes in the first pass anyway.
    await this.#sync();
    this.#setupMs = performance.now() - this.#t0;
    this.#emit({ kind: 'setup', setupMs: this.#setupMs, pages: this.#vm.pages });

    this.#phase = 'rounds';
    const limiter = new RateLimiter(this.#o.bandwidth);
    const convergence = new Convergence(this.#o.bandwidth, this.#o.maxDowntimeMs, this.#o.autoConverge);
    let set = DirtySet.all(this.#vm.pages);
    for (let round = 1; ; round++) {
      this.#vm.stamp = round;
      this.#state.sev?.vcpusRan();
      const t0 = performance.now();
      const sentBefore = this.#ch.bytesSent;
      const writesBefore = this.#vm.counters().writes;
      const pages = await this.#sendSet(set, memory, limiter, true);
      const sendMs = performance.now() - t0;
      await this.#ch.sendJson(RECORD.ROUND, { round, pagesSent: pages });
      const sync = await this.#sync();
      const next = sync.set;
      next.addAll(this.#takeRedirty());
      const ms = performance.now() - t0;
      const sent = this.#ch.bytesSent - sentBefore;
      const remaining = next.count * ABI.PAGE_SIZE;
      const bandwidth = convergence.bandwidthEstimate(sent, sendMs);
      const expectedDowntimeMs = convergence.expectedDowntimeMs(remaining, bandwidth);
      const stats: RoundStats = {
        round, pagesSent: pages, transferred: this.#ch.bytesSent, remaining, dirtyPagesRate: (sync.set.count * 1000) / ms,
        dirtySyncCount: this.#syncs, mbps: (sent * 8) / 1e6 / (ms / 1000), expectedDowntimeMs, throttlePercent: this.#vm.throttle,
        dirtyLimit: this.#vm.options.dirtyLimit, bandwidth: this.#o.bandwidth, ms, syncMs: sync.ms, guestWrites: this.#vm.counters().writes - writesBefore,
      };
      this.#rounds.push(stats);
      this.#emit({ kind: 'round', stats });
      if (convergence.fits(expectedDowntimeMs)) {
        await this.#stopAndCopy(next, memory, limiter, expectedDowntimeMs);
        return;
      }
      if (round >= this.#o.maxRounds) {
        const rate = stats.dirtyPagesRate * ABI.PAGE_SIZE;
        const helped = [...(this.#o.autoConverge ? [`throttled to ${this.#vm.throttle}%`] : []), ...(this.#vm.options.dirtyLimit ? [`under a dirty limit of ${this.#vm.options.dirtyLimit} pages/s per vCPU`] : [])];
        const advice = helped.length ? 'raise --bandwidth or --max-downtime-ms' : 'try --auto-converge or --dirty-limit, or raise --bandwidth or --max-downtime-ms';
        throw new Stop('not-converged', `did not converge in ${round} rounds: ${next.count} pages (${mib(remaining)}) remain, ${expectedDowntimeMs.toFixed(0)} ms of downtime at ${mib(bandwidth)}/s against a budget of ${this.#o.maxDowntimeMs} ms; the guest dirtied ${mib(rate)}/s${helped.length ? ` even ${helped.join(' and ')}` : ''}: ${advice}`);
      }
      const throttle = convergence.afterSync(sync.set.count * ABI.PAGE_SIZE, sent);
      if (throttle !== undefined) {
        this.#vm.setThrottle(throttle);
        this.#emit({ kind: 'throttle', percent: throttle });
      }
      set = next;
    }
  }

  /** Pause, sync, send what is left and the state, and wait for the destination to run the guest. */
  async #stopAndCopy(pending: DirtySet, memory: Uint8Array, limiter: RateLimiter, expectedDowntimeMs: number): Promise<void> {
    const ch = this.#ch!;
    this.#phase = 'stop-and-copy';
    // SEV: a conversion can come right up to the pause; its exit may still be pending then.
    this.#convertSev(memory);
    const t0 = performance.now();
    await this.#vm.pause(this.#o.signal);
    this.#pausedAt = t0;
    const tPause = worldNow();
    const final = await this.#sync();
    const syncMs = performance.now() - t0;
    pending.addAll(final.set);
    pending.addAll(this.#takeRedirty());
    this.#emit({ kind: 'stop-and-copy', pages: pending.count, expectedDowntimeMs });
    limiter.restart();
    this.#finalPages = await this.#sendSet(pending, memory, limiter, false);
    await ch.sendJson(RECORD.STATE, { state: this.#state.save(tPause), vcpus: this.#vm.saveVcpus(), stamp: this.#vm.stamp });
    await ch.sendJson(RECORD.END, { pagesSent: this.#pagesSent, rounds: this.#rounds.length, finalPages: this.#finalPages });
    const sentAt = performance.now();
    this.#phase = 'switchover';
    const reply = await ch.next(this.#o.timeouts.replyMs, 'the destination to resume the guest');
    if (reply.type === 'json' && reply.code === RECORD.REFUSE) {
      const r = decodeRefusal(reply.value);
      this.#outcomes = r.state ?? [];
      throw new Stop(r.state?.some((s) => s.kind === 'refused') ? 'state' : 'refused', `the destination refused the guest at the switchover: ${r.reason}`);
    }
    if (reply.type !== 'json' || reply.code !== RECORD.RESUMED) throw new Stop('stream', `the destination answered the final copy with ${describeRecord(reply)}`);
    const resumed = decodeResumed(reply.value);
    this.#switchedOver = true;
    this.#outcomes = resumed.state;
    this.#downtimeMs = performance.now() - t0;
    this.#downtime = { syncMs, sendMs: sentAt - t0 - syncMs, resumeMs: performance.now() - sentAt };
    this.#emit({ kind: 'resumed', downtimeMs: this.#downtimeMs });
    await this.#prove(memory);
  }

  /** The source's memory is frozen: send a hash of every page, and take the destination's comparison. */
  async #prove(memory: Uint8Array): Promise<void> {
    const ch = this.#ch!;
    this.#phase = 'proof';
    const t0 = performance.now();
    const words = wordsOf(memory);
    for (let first = 0; first < this.#vm.pages; first += HASHES_PER_PROOF) {
      const count = Math.min(HASHES_PER_PROOF, this.#vm.pages - first);
      const hashes = new Uint32Array(2 * count);
      for (let i = 0; i < count; i++) hashPage(words, (first + i) * PAGE_WORDS, hashes, 2 * i);
      await ch.send(encodeProof(ch.nextSeq(), first, hashes));
    }
    await ch.sendJson(RECORD.DONE, { pages: this.#vm.pages });
    const reply = await ch.next(this.#o.timeouts.replyMs, "the destination's comparison of every page");
    if (reply.type !== 'json' || reply.code !== RECORD.VERDICT) throw new Stop('stream', `the destination answered the proof with ${describeRecord(reply)}`);
    this.#proof = decodeProofReply(reply.value);
    this.#proofMs = performance.now() - t0;
    await ch.close();
  }

  /** Send every page of `set` in page records, at the bandwidth; between records, look for a refusal. */
  async #sendSet(set: DirtySet, memory: Uint8Array, limiter: RateLimiter, live: boolean): Promise<number> {
    const ch = this.#ch!;
    const list = set.toPageList();
    const sev = this.#state.sev;
    const flagsOf = sev ? (p: number) => (sev.flagOf(p) ? PAGE_FLAG_SHARED : 0) : undefined;
    const half = live && sev ? Math.floor(list.length / 2) : -1;
    for (let i = 0; i < list.length; i += PAGES_PER_RECORD) {
      if (i >= half && half >= 0) {
        this.#convertSev(memory);
        this.#state.sev?.vcpusRan();
      }
      const record = encodePages(ch.nextSeq(), memory, list.subarray(i, i + PAGES_PER_RECORD), flagsOf);
      await ch.send(record);
      await limiter.take(record.byteLength, this.#o.signal);
      this.#checkPeer();
    }
    this.#pagesSent += list.length;
    return list.length;
  }

  /** SEV (modelled): this round's conversions, handled by the VMM; pages it re-dirties go with the next set. */
  #convertSev(memory: Uint8Array): void {
    const sev = this.#state.sev;
    if (!sev) return;
    for (const p of sev.convert(memory)) this.#redirty.add(p);
  }

  #takeRedirty(): DirtySet {
    const taken = DirtySet.empty(this.#vm.pages);
    taken.addAll(this.#redirty);
    this.#redirty.clear();
    return taken;
  }

  /** A record from the destination mid-stream can only be a refusal: stop at once. */
  #checkPeer(): void {
    const r = this.#ch!.poll();
    if (!r) return;
    if (r.type === 'json' && r.code === RECORD.REFUSE) throw new Stop('refused', `the destination refused the migration in phase ${this.#phase}: ${decodeRefusal(r.value).reason}`);
    throw new Stop('stream', `the destination sent ${describeRecord(r)} in the middle of the stream`);
  }

  async #sync(): Promise<{ set: DirtySet; ms: number }> {
    this.#state.sev?.beforeHarvest();
    const s = await this.#vm.sync(this.#o.signal);
    this.#syncs++;
    return { set: s.set, ms: s.ms };
  }

  #connect(): Promise<Socket> {
    const { host, port } = this.#o.to;
    const ms = this.#o.timeouts.connectMs;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const t = setTimeout(() => {
        socket.destroy();
        reject(new Stop('timeout', `could not connect to ${host}:${port} within ${ms} ms`));
      }, ms);
      const onAbort = () => {
        socket.destroy();
        reject(new Stop('aborted', 'aborted while connecting'));
      };
      this.#o.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(t);
        this.#o.signal?.removeEventListener('abort', onAbort);
      };
      socket.once('connect', () => {
        done();
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        done();
        reject(new Stop('peer-gone', `could not connect to ${host}:${port}: ${err.code ?? err.message}`));
      });
    });
  }

  #setupRecord(): Record<string, unknown> {
    const v = this.#vm.options;
    return {
      vm: {
        strategy: v.strategy, memory: v.memoryBytes, vcpus: v.vcpus, ...(v.ringEntries ? { ringEntries: v.ringEntries } : {}), pml: v.pml, pattern: v.pattern,
        seed: v.seed, stride: v.stride, zipfExponent: v.zipfExponent, hotPages: v.hotPages, writeRate: v.writeRate, engine: v.engine, deviceWriter: v.deviceWriter,
      },
      state: this.#state.setup(),
      migration: { bandwidth: this.#o.bandwidth, maxDowntimeMs: this.#o.maxDowntimeMs, maxRounds: this.#o.maxRounds },
    };
  }

  #totals(): MigrationTotals {
    return {
      totalMs: performance.now() - this.#t0, setupMs: this.#setupMs, downtimeMs: this.#downtimeMs, downtime: this.#downtime,
      transferred: this.#ch?.bytesSent ?? 0, pagesSent: this.#pagesSent, finalPages: this.#finalPages, rounds: this.#rounds.length,
      dirtySyncCount: this.#syncs, proofMs: this.#proofMs,
    };
  }

  #limits(): MigrationResult['limits'] {
    return { bandwidth: this.#o.bandwidth, maxDowntimeMs: this.#o.maxDowntimeMs, maxRounds: this.#o.maxRounds, autoConverge: this.#o.autoConverge !== undefined };
  }

  #verification(): MigrationResult['verification'] {
    const v = this.#vm.verification();
    return v.kind === 'off' ? v : { kind: v.kind, syncsChecked: v.syncsChecked, missedCount: v.missedCount };
  }

  #result(): MigrationResult {
    const totals = this.#totals();
    const base = { limits: this.#limits(), rounds: this.#rounds, totals, state: this.#outcomes, proof: this.#proof, verification: this.#verification(), guestRunsOn: 'destination' as const };
    const broken = this.#outcomes.filter((s) => s.kind !== 'ok');
    const proof = this.#proof!;
    const missed = base.verification.kind === 'failed' ? base.verification.missedCount : 0;
    if (proof.differingCount || broken.length || missed) {
      const why = [
        ...(proof.differingCount ? [`${proof.differingCount} of ${proof.pagesCompared} pages differ on the destination (first: ${proof.differing.slice(0, 8).join(', ')})`] : []),
        ...broken.map((s) => s.detail),
        ...(missed ? [`the dirty log missed ${missed} completed writes (--verify)`] : []),
      ].join('; ');
      return { kind: 'failed', ...base, cause: proof.differingCount || missed ? 'proof' : 'state', phase: 'proof', reason: why, bytesSent: totals.transferred, verdict: `migrated, but not faithfully: ${why}` };
    }
    return {
      kind: 'migrated', ...base,
      verdict: `migrated in ${totals.rounds} round${totals.rounds === 1 ? '' : 's'}, ${totals.totalMs.toFixed(0)} ms in all with ${totals.downtimeMs!.toFixed(1)} ms of downtime; all ${proof.pagesCompared} pages equal on the destination, and the VM state restored (${this.#outcomes.map((s) => s.model).join(', ')})`,
    };
  }

  async #failed(err: unknown): Promise<MigrationResult> {
    let cause: FailureCause | 'aborted';
    let reason: string;
    if (err instanceof Stop) [cause, reason] = [err.why, err.message];
    else if (err instanceof ChannelError) [cause, reason] = [err.failure.kind === 'aborted' ? 'aborted' : err.failure.kind, err.message];
    else if (err instanceof ThreadFailure) [cause, reason] = ['thread', `the source VM failed: ${err.message}`];
    else if (this.#o.signal?.aborted) [cause, reason] = ['aborted', 'aborted'];
    else throw err;
    if (this.#o.signal?.aborted) cause = 'aborted';
    const bytesSent = this.#ch?.bytesSent ?? 0;
    // Until the switchover the guest is still the source's: tell the destination to drop its copy, and run on.
    if (!this.#switchedOver) {
      if (this.#ch && !this.#ch.failure) {
        try {
          await this.#ch.sendJson(RECORD.CANCEL, { phase: this.#phase, reason });
          await this.#ch.close(500);
        } catch {
          // The destination is gone already: it discards on its own.
        }
      }
      if (this.#vm.paused && !this.#vm.failure) this.#vm.resume();
    }
    const totals = this.#totals();
    const base = {
      limits: this.#limits(), rounds: this.#rounds, totals, state: this.#outcomes, proof: this.#proof, verification: this.#verification(),
      guestRunsOn: this.#switchedOver ? ('destination' as const) : ('source' as const),
    };
    const where = `in phase ${this.#phase} after ${bytesSent} bytes`;
    const keeps = this.#switchedOver ? 'the guest runs on the destination' : 'the guest runs on at the source, as it was';
    if (cause === 'aborted') return { kind: 'aborted', ...base, phase: this.#phase, bytesSent, verdict: `aborted ${where}; ${keeps}` };
    return { kind: 'failed', ...base, cause, phase: this.#phase, reason, bytesSent, verdict: `failed ${where}: ${reason}; ${keeps}` };
  }
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
