import { describe, expect, it } from 'vitest';
import { KVM_MIGRATION_READY, MSR_KVM_MIGRATION_CONTROL, SevVm } from '../../../src/vmstate/index.ts';

describe('MSR_KVM_MIGRATION_CONTROL (invariant 15)', () => {
  it('an encrypted guest is not migrated while KVM_MIGRATION_READY is 0', () => {
    const vm = new SevVm(1, 'engine');
    expect(vm.startMigration()).toMatchObject({ kind: 'refused', reason: (expect.stringContaining('KVM_MIGRATION_READY') as string) });
    expect(vm.writeMsr(MSR_KVM_MIGRATION_CONTROL, KVM_MIGRATION_READY)).toEqual({ kind: 'ok' });
    expect(vm.startMigration()).toEqual({ kind: 'ok' });
  });

  it('rejects undefined bits and other MSRs without changing readiness', () => {
    const vm = new SevVm(1, 'engine');
    expect(vm.writeMsr(MSR_KVM_MIGRATION_CONTROL, 3n).kind).toBe('error');
    expect(vm.writeMsr(0x10, 1n).kind).toBe('error');
    expect(vm.migrationReady).toBe(false);
  });
});
