/** KvmError lives below both backends (src/backend/errors.ts); this is its public home in the KVM-verb API. */
export { KvmError, type Errno } from '../backend/errors.ts';
