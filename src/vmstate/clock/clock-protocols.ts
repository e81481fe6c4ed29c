/**
 * Gleixner's two safe ways to let a guest survive a long gap (vm-state.md 1.6), as explicit
 * state machines: (A) suspend/resume and (B) a stop_machine rendezvous that spins on a GO bit
 * in a shared hyperpage. A restore whose forward jump exceeds max_idle_ns is only accepted
 * when one of these machines is FROZEN (see clock-migration.ts).
 *
 * Both are table driven: a transition not in the table is refused with the expected actions,
 * and the state never changes on a refusal.
 */
import { requireOneOf } from '../../validate.ts';

/** Who performs a step. */
export type ProtocolActor = 'vmm-src' | 'vmm-dst' | 'guest' | 'guest-work' | 'chosen-vcpu';

interface Transition<S extends string, A extends string> {
  readonly from: S;
  readonly action: A;
  readonly actor: ProtocolActor;
  readonly to: S;
}

/** The answer to a step. */
export type StepOutcome<S extends string> =
  | { readonly kind: 'ok'; readonly state: S }
  | { readonly kind: 'refused'; readonly state: S; readonly reason: string };

/** A guest that tries to run ordinary code at this point of the protocol. */
export type GuestCodeOutcome = { readonly kind: 'ran' } | { readonly kind: 'refused'; readonly reason: string };

class ProtocolMachine<S extends string, A extends string> {
  #state: S;
  readonly history: { state: S; action: A; actor: ProtocolActor }[] = [];

  constructor(
    readonly name: string,
    private readonly table: readonly Transition<S, A>[],
    initial: S,
    /** States in which no vCPU may execute guest code outside the protocol. */
    private readonly guestFrozen: readonly S[],
  ) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  protected transition(action: A, guard?: () => string | undefined): StepOutcome<S> {
    // A name no step has is the caller's typo, not a step out of order.
    requireOneOf('action', action, this.table.map((t) => t.action));
    const row = this.table.find((t) => t.from === this.#state && t.action === action);
    if (!row) {
      const expected = this.table.filter((t) => t.from === this.#state).map((t) => `'${t.action}'`);
      const hint = expected.length ? `expected ${expected.join(' or ')}` : 'the protocol has finished';
      return { kind: 'refused', state: this.#state, reason: `${this.name}: '${action}' is not allowed in ${this.#state}; ${hint}` };
    }
    const blocked = guard?.();
    if (blocked) return { kind: 'refused', state: this.#state, reason: `${this.name}: ${blocked}` };
    this.#state = row.to;
    this.history.push({ state: row.to, action, actor: row.actor });
    return { kind: 'ok', state: row.to };
  }

  /** True once the guest is parked and the VM frozen: the only point where a long gap is safe. */
  isFrozen(): boolean {
    return this.#state === ('FROZEN' as S);
  }

  /** Whether vCPU code outside the protocol may run now (it may not between park and release). */
  runGuestCode(): GuestCodeOutcome {
    if (this.guestFrozen.includes(this.#state)) {
      return { kind: 'refused', reason: `${this.name}: no vCPU runs guest code in ${this.#state}` };
    }
    return { kind: 'ran' };
  }
}

/** States of the suspend/resume protocol. */
export type SuspendState = 'RUNNING' | 'SUSPEND_REQ' | 'SUSPENDED' | 'FROZEN' | 'RESTORED' | 'RESUMED';
/** Steps of the suspend/resume protocol. */
export type SuspendAction = 'request-suspend' | 'suspend' | 'freeze' | 'restore' | 'resume';

const SUSPEND_TABLE: readonly Transition<SuspendState, SuspendAction>[] = [
  { from: 'RUNNING', action: 'request-suspend', actor: 'vmm-src', to: 'SUSPEND_REQ' },
  // The guest runs its pre-suspend notifiers, parks secondary CPUs and suspends timekeeping.
  { from: 'SUSPEND_REQ', action: 'suspend', actor: 'guest', to: 'SUSPENDED' },
  { from: 'SUSPENDED', action: 'freeze', actor: 'vmm-src', to: 'FROZEN' },
  { from: 'FROZEN', action: 'restore', actor: 'vmm-dst', to: 'RESTORED' },
  // timekeeping_resume re-bases on the current counter and adds the sleep time to REALTIME/TAI.
  { from: 'RESTORED', action: 'resume', actor: 'guest', to: 'RESUMED' },
];

/** Protocol (A): the guest suspends (to idle) before the gap and resumes after it. */
export class SuspendResumeProtocol extends ProtocolMachine<SuspendState, SuspendAction> {
  constructor() {
    super('suspend/resume', SUSPEND_TABLE, 'RUNNING', ['SUSPENDED', 'FROZEN', 'RESTORED']);
  }

  /** Advances by one step; refused (state unchanged) when `action` does not follow. */
  step(action: SuspendAction): StepOutcome<SuspendState> {
    return this.transition(action);
  }
}

/** States of the stop_machine rendezvous, as in the reference's table. */
export type RendezvousState =
  | 'RUNNING' | 'QUIESCE_REQ' | 'WORK_QUEUED' | 'NESTED_PARKED' | 'RENDEZVOUS'
  | 'PARKED' | 'FROZEN' | 'READY' | 'RESYNC' | 'RESUMED';
/** Steps 1 to 9 of the stop_machine rendezvous. */
export type RendezvousAction =
  | 'inject-quiesce-ipi' | 'queue-work' | 'park-nested' | 'enter-rendezvous' | 'report-parked'
  | 'freeze' | 'install-and-go' | 'resync' | 'resume';

const RENDEZVOUS_TABLE: readonly Transition<RendezvousState, RendezvousAction>[] = [
  { from: 'RUNNING', action: 'inject-quiesce-ipi', actor: 'vmm-src', to: 'QUIESCE_REQ' },
  // Nothing useful can run in IPI/NMI context, so the handler only queues work.
  { from: 'QUIESCE_REQ', action: 'queue-work', actor: 'guest', to: 'WORK_QUEUED' },
  { from: 'WORK_QUEUED', action: 'park-nested', actor: 'guest-work', to: 'NESTED_PARKED' },
  { from: 'NESTED_PARKED', action: 'enter-rendezvous', actor: 'guest', to: 'RENDEZVOUS' },
  { from: 'RENDEZVOUS', action: 'report-parked', actor: 'chosen-vcpu', to: 'PARKED' },
  { from: 'PARKED', action: 'freeze', actor: 'vmm-src', to: 'FROZEN' },
  { from: 'FROZEN', action: 'install-and-go', actor: 'vmm-dst', to: 'READY' },
  { from: 'READY', action: 'resync', actor: 'chosen-vcpu', to: 'RESYNC' },
  { from: 'RESYNC', action: 'resume', actor: 'guest', to: 'RESUMED' },
];

/** The shared hyperpage: the GO bit and the clock data the destination publishes with it. */
export interface Hyperpage {
  go: 0 | 1;
  /** kvmclock ns at the moment GO was set; the chosen vCPU re-bases timekeeping from it. */
  kvmclockNs: bigint | undefined;
}

/** Protocol (B): all vCPUs spin in stop_machine; one spins on GO and re-syncs from the hyperpage. */
export class StopMachineRendezvous extends ProtocolMachine<RendezvousState, RendezvousAction> {
  readonly hyperpage: Hyperpage = { go: 0, kvmclockNs: undefined };

  constructor() {
    // From the rendezvous until the re-sync every vCPU spins with interrupts off.
    super('stop_machine rendezvous', RENDEZVOUS_TABLE, 'RUNNING', ['RENDEZVOUS', 'PARKED', 'FROZEN', 'READY']);
  }

  /** Advances one step other than install-and-go (which needs the clock data). */
  step(action: Exclude<RendezvousAction, 'install-and-go'>): StepOutcome<RendezvousState> {
    if (action === 'resync') {
      return this.transition(action, () => (this.hyperpage.go === 1 ? undefined : 'the chosen vCPU keeps spinning: GO is 0'));
    }
    return this.transition(action);
  }

  /**
   * Step 7: the destination writes the new clock data into the hyperpage and only then sets GO
   * (data before flag, so the spinning vCPU never sees GO with stale data).
   */
  installAndGo(kvmclockNs: bigint): StepOutcome<RendezvousState> {
    return this.transition('install-and-go', () => {
      this.hyperpage.kvmclockNs = kvmclockNs;
      this.hyperpage.go = 1;
      return undefined;
    });
  }
}

/** Either safe protocol. */
export type ClockProtocol = SuspendResumeProtocol | StopMachineRendezvous;
