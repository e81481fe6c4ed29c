import { describe, expect, it } from 'vitest';
import { StopMachineRendezvous, SuspendResumeProtocol } from '../../../src/vmstate/index.ts';

describe('the stop_machine rendezvous', () => {
  const parked = () => {
    const m = new StopMachineRendezvous();
    for (const s of ['inject-quiesce-ipi', 'queue-work', 'park-nested', 'enter-rendezvous', 'report-parked'] as const) expect(m.step(s).kind).toBe('ok');
    return m;
  };

  it('refuses a step out of order and names the expected one', () => {
    const m = new StopMachineRendezvous();
    expect(m.step('enter-rendezvous')).toMatchObject({ kind: 'refused', state: 'RUNNING', reason: (expect.stringContaining("'inject-quiesce-ipi'") as string) });
  });

  it('keeps every vCPU out of guest code between parked and GO', () => {
    const m = parked();
    expect(m.runGuestCode().kind).toBe('refused');
    m.step('freeze');
    expect(m.runGuestCode().kind).toBe('refused');
    m.installAndGo(123n);
    expect(m.runGuestCode().kind).toBe('refused');
    m.step('resync');
    expect(m.runGuestCode().kind).toBe('ran');
  });

  it('publishes the clock data with GO, and only FROZEN counts as safe for a long gap', () => {
    const m = parked();
    expect(m.isFrozen()).toBe(false);
    m.step('freeze');
    expect(m.isFrozen()).toBe(true);
    expect(m.hyperpage).toEqual({ go: 0, kvmclockNs: undefined });
    m.installAndGo(42n);
    expect(m.hyperpage).toEqual({ go: 1, kvmclockNs: 42n });
  });
});

describe('suspend/resume', () => {
  it('cannot freeze a guest that has not suspended', () => {
    const m = new SuspendResumeProtocol();
    m.step('request-suspend');
    expect(m.step('freeze').kind).toBe('refused');
    expect(m.state).toBe('SUSPEND_REQ');
  });
});
