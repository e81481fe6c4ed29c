import { expect, it } from 'vitest';
import { psciCompatibilityMatrix } from '../../../src/vmstate/index.ts';

it('reproduces the compatibility matrix of vm-state.md 3.4 for both designs', () => {
  const kinds = psciCompatibilityMatrix().map((r) => [`${r.from}->${r.to}`, r.register.kind, r.vcpuFeature.kind]);
  expect(kinds).toEqual([
    ['new->new', 'ok', 'ok'],
    ['old->new', 'ok', 'ok'], // source with the register: value restored
    ['pre-register->new', 'upgraded', 'ok'], // nothing sent: silently LATEST; flag design: default never raised
    ['new->old', 'refused', 'refused'], // -EINVAL / unknown VCPU_INIT feature
    ['new->pre-register', 'refused', 'refused'], // -ENOENT
    ['compat->old', 'ok', 'ok'],
    ['old->compat', 'ok', 'ok'],
  ]);
});
