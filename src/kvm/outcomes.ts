/** Tagged outcomes of the engine's numeric codes. Shared, frozen objects: no allocation per write. */
import { ABI } from '../layout.ts';

export type FaultKind = 'clean' | 'ring' | 'ring-soft-full' | 'bitmap' | 'not-logged' | 'ring-full' | 'pml' | 'unobserved';
export interface FaultOutcome {
  /**
   * clean: the page was not armed, nothing to log · ring: logged in this vCPU's ring ·
   * ring-soft-full: logged, and the vCPU must exit (KVM_EXIT_DIRTY_RING_FULL) ·
   * bitmap: logged in the slot's dirty bitmap · not-logged: ring mode, no vCPU and no backup
   * bitmap (KVM warns) · ring-full: nothing logged, the write must be retried after a reset ·
   * pml: logged into the vCPU's PML log, to reach the ring or bitmap at the next exit ·
   * unobserved (kvm backend, bitmap modes): stored; whether KVM logged it only GET can tell.
   */
  readonly kind: FaultKind;
  /**
   * Whether the store happened. False for `ring-full`, and for the `ring-soft-full` of a vCPU
   * store: KVM exits before the faulting store completes (RIP stays on it), so the caller
   * writes again after the reset, and the retry logs the re-armed page a second time.
   */
  readonly completed: boolean;
}

export type PushKind = 'ok' | 'soft-full' | 'hard-full';
export interface PushOutcome {
  readonly kind: PushKind;
}


const freeze = <K extends string>(kind: K, completed = true) => Object.freeze({ kind, completed });

const FAULTS = new Map<number, FaultOutcome>([
  [ABI.FAULT_CLEAN, freeze('clean')],
  [ABI.FAULT_RING, freeze('ring')],
  [ABI.FAULT_RING_SOFT_FULL, freeze('ring-soft-full')],
  [ABI.FAULT_BITMAP, freeze('bitmap')],
  [ABI.FAULT_NOT_LOGGED, freeze('not-logged')],
  [ABI.FAULT_RING_FULL, freeze('ring-full', false)],
  [ABI.FAULT_PML, freeze('pml')],
  [ABI.FAULT_RING_SOFT_FULL_RETRY, freeze('ring-soft-full', false)],
  [ABI.FAULT_UNOBSERVED, freeze('unobserved')],
]);

const PUSHES = new Map<number, PushOutcome>([
  [ABI.PUSH_OK, Object.freeze({ kind: 'ok' })],
  [ABI.PUSH_SOFT_FULL, Object.freeze({ kind: 'soft-full' })],
  [ABI.PUSH_HARD_FULL, Object.freeze({ kind: 'hard-full' })],
]);

export function faultOutcome(code: number): FaultOutcome {
  const o = FAULTS.get(code);
  if (!o) throw new Error(`engine returned unknown fault code ${code}`);
  return o;
}

export function pushOutcome(code: number): PushOutcome {
  const o = PUSHES.get(code);
  if (!o) throw new Error(`engine returned unknown push code ${code}`);
  return o;
}
