import { describe, expect, it } from 'vitest';
import { ARM_HOST_PROFILES, migrateWithRegister } from '../../../src/vmstate/index.ts';

describe('PSCI 1.3 guest to a 1.1 kernel (invariant 11)', () => {
  it('is refused with the errno and an actionable reason instead of a silent downgrade', () => {
    const out = migrateWithRegister(ARM_HOST_PROFILES.new, ARM_HOST_PROFILES.old);
    expect(out).toMatchObject({ kind: 'refused', errno: 'EINVAL' });
    if (out.kind === 'refused') expect(out.reason).toContain('kvm-psci-version');
  });

  it('works when the source VMM pins a version the old kernel knows (compat)', () => {
    expect(migrateWithRegister(ARM_HOST_PROFILES.compat, ARM_HOST_PROFILES.old)).toMatchObject({ kind: 'ok', psci: '1.1' });
  });
});
