/**
 * Sean Christopherson's three SEV migration races (lore YEaAXXGZH0uSMA3v@google.com), as
 * executable scenarios. Under 'naive' each produces its bad result; under 'engine' (harvest dirty
 * bits before reading types; a conversion is an exit that invalidates contents and re-dirties
 * the frame; the guest announces before writing data of the new type) none does.
 */
import { requireInteger } from '../../validate.ts';
import { KVM_MIGRATION_READY, MSR_KVM_MIGRATION_CONTROL, SevVm, type PageType, type SevOrdering, type Transfer } from './sev.ts';

/** The three scenarios of the reference. */
export const SEV_SCENARIOS = [1, 2, 3] as const;
export type SevScenario = (typeof SEV_SCENARIOS)[number];

/** What went wrong, if anything. */
export type SevScenarioResult =
  | { readonly kind: 'good'; readonly detail: string }
  | { readonly kind: 'bad'; readonly detail: string };

/** A replayed scenario. */
export interface SevScenarioReport {
  readonly scenario: SevScenario;
  readonly ordering: SevOrdering;
  readonly title: string;
  readonly steps: readonly string[];
  readonly transfers: readonly Transfer[];
  readonly result: SevScenarioResult;
}

const P = 0;

const TITLES: Record<SevScenario, string> = {
  1: 'guest writes part of a page, VMM copies it with the old type, guest announces "shared" only on the destination',
  2: 'userspace reads types, guest converts and zeroes, userspace harvests and sends with the stale types',
  3: 'set_private+fill, harvest, set_shared, read types and send as shared, set_private again on the destination',
};

/** The final round at switchover: complete pending exits, harvest, read types, send, save vCPU state. */
function switchover(vm: SevVm): void {
  vm.kvmRun();
  const dirty = vm.getDirty();
  vm.getTypeList();
  vm.send(dirty);
  const saved = vm.saveVcpuState();
  vm.log.push(`vmm: switchover, vCPU state ${saved.kind}; guest continues on the destination`);
}

/** One pre-copy round in the ordering under test. */
function round(vm: SevVm): number[] {
  if (vm.ordering === 'engine') {
    const dirty = vm.getDirty();
    vm.getTypeList();
    return dirty;
  }
  vm.getTypeList();
  return vm.getDirty();
}

/** On the destination, the guest's view of a frame: garbled when it arrived with the wrong type for the type it now has. */
function destinationView(vm: SevVm, gfn: number, finalType: PageType, expected: readonly string[]): SevScenarioResult {
  const got = vm.received.get(gfn) ?? [];
  const bad = got.filter((s) => s.garbled || (s.type !== finalType && expected.includes(s.text)));
  const missing = expected.filter((text) => !bad.some((s) => s.text === text) && !got.some((s) => s.text === text && s.type === finalType));
  if (bad.length || missing.length) {
    return { kind: 'bad', detail: `gfn ${gfn} on the destination: ${[...bad.map((s) => `'${s.text}' garbled`), ...missing.map((t) => `'${t}' unreadable as ${finalType}`)].join(', ')}` };
  }
  return { kind: 'good', detail: `gfn ${gfn} holds ${expected.map((t) => `'${t}'`).join(' + ') || 'what the guest expects'} as ${finalType}` };
}

/** Invariant 14: each frame's last copy used the type current when it was taken. */
function wrongTypeTransfer(vm: SevVm): SevScenarioResult | undefined {
  const last = new Map(vm.transfers.map((t) => [t.gfn, t]));
  const wrong = [...last.values()].find((t) => t.sentAs !== t.actual);
  return wrong && { kind: 'bad', detail: `gfn ${wrong.gfn} was sent on the ${wrong.sentAs} path while the guest had it ${wrong.actual}` };
}

function scenario1(vm: SevVm): SevScenarioResult {
  if (vm.ordering === 'engine') {
    vm.convert(P, 'shared');
    vm.kvmRun();
  }
  vm.guestWrite(P, 'half 1', { as: 'shared' });
  vm.send(round(vm));
  switchover(vm);
  vm.received.set(P, [...(vm.received.get(P) ?? []), { text: 'half 2', type: 'shared' }]);
  vm.log.push("guest (dst): write 'half 2' (shared)");
  if (vm.ordering === 'naive') vm.log.push('guest (dst): announce gfn 0 shared');
  return destinationView(vm, P, 'shared', ['half 1', 'half 2']);
}

function scenario2(vm: SevVm): SevScenarioResult {
  vm.guestWrite(P, 'private data');
  vm.send(round(vm));
  if (vm.ordering === 'naive') vm.getTypeList();
  vm.convert(P, 'shared');
  vm.kvmRun();
  vm.guestWrite(P, 'zeros', { as: 'shared', replace: true });
  if (vm.ordering === 'naive') vm.send(vm.getDirty());
  else vm.send(round(vm));
  switchover(vm);
  return wrongTypeTransfer(vm) ?? destinationView(vm, P, 'shared', ['zeros']);
}

function scenario3(vm: SevVm): SevScenarioResult {
  vm.convert(P, 'private');
  vm.kvmRun();
  vm.guestWrite(P, 'secret v1', { as: 'private' });
  const dirty = vm.getDirty();
  vm.convert(P, 'shared');
  vm.kvmRun();
  vm.getTypeList();
  vm.send(dirty);
  switchover(vm);
  vm.log.push('guest (dst): set gfn 0 private again');
  // The naive guest expects its old private data back; the engine's guest knows a flip loses it.
  const expected = vm.ordering === 'naive' ? ['secret v1'] : [];
  return wrongTypeTransfer(vm) ?? destinationView(vm, P, 'private', expected);
}

const RUNNERS: Record<SevScenario, (vm: SevVm) => SevScenarioResult> = { 1: scenario1, 2: scenario2, 3: scenario3 };

/** Replays scenario `n` under `ordering` on a fresh single-frame guest. */
export function runSevScenario(n: SevScenario, ordering: SevOrdering): SevScenarioReport {
  requireInteger('scenario', n, 1, SEV_SCENARIOS.length);
  const vm = new SevVm(1, ordering);
  vm.writeMsr(MSR_KVM_MIGRATION_CONTROL, KVM_MIGRATION_READY);
  const result = RUNNERS[n](vm);
  return { scenario: n, ordering, title: TITLES[n], steps: vm.log, transfers: vm.transfers, result };
}
