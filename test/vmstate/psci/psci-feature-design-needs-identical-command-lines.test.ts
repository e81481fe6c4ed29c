import { expect, it } from 'vitest';
import { ARM_HOST_PROFILES, migrateWithFeatureFlag } from '../../../src/vmstate/index.ts';

it('rejected vCPU-feature design: new -> new works only if both command lines request the same flag', () => {
  expect(migrateWithFeatureFlag(ARM_HOST_PROFILES.new, ARM_HOST_PROFILES.new, '1.3').kind).toBe('ok');
  const out = migrateWithFeatureFlag(ARM_HOST_PROFILES.new, ARM_HOST_PROFILES.new, '1.0');
  expect(out).toMatchObject({ kind: 'refused', reason: (expect.stringContaining("start the destination with the source's PSCI flag") as string) });
});
