/**
 * The VMGenID race window (vm-state.md 2.4), measured. Several clones are restored from one
 * snapshot; each runs a guest consumer that caches randomness (think: ephemeral keys or nonces
 * drawn from a userspace RNG). With push notification the consumer reseeds only when the
 * notification has travelled GPE -> ACPI work -> driver -> notifier; every use before that is
 * stale and identical across clones. With a pull check of the word-sized generation counter
 * before each use, the first use after the restore already sees the change and reseeds.
 */
import { createHash } from 'node:crypto';
import { rejectUnknownKeys, requireInteger, requireObject, requireOneOf } from '../../validate.ts';
import { VmGenIdDevice, VmGenIdDriver, VMGENID_SIZE } from './vmgenid.ts';

/** A deterministic guest RNG: clones restored from one snapshot produce the same stream until reseeded. */
class GuestRng {
  #state: Buffer;

  constructor(state: Buffer) {
    this.#state = state;
  }

  next(): string {
    const out = createHash('sha256').update(this.#state).update('out').digest('hex').slice(0, 32);
    this.#state = createHash('sha256').update(this.#state).update('step').digest();
    return out;
  }

  /** add_vmfork_randomness / getrandom() after a fork: mix the new ID in. */
  reseed(id: Uint8Array): void {
    this.#state = createHash('sha256').update(this.#state).update(id).digest();
  }

  snapshot(): Buffer {
    return Buffer.from(this.#state);
  }
}

/** How the consumer learns of a fork. */
export type ForkDetection = 'push' | 'pull';
const FORK_DETECTIONS: readonly ForkDetection[] = ['push', 'pull'];

/** Options of {@link measureVmGenIdRace}. */
export interface VmGenIdRaceOptions {
  readonly mode: ForkDetection;
  /** Uses the guest performs between the first restored instruction and the processed notify. @default 5 */
  readonly notifyDelayUses?: number;
  /** Uses each clone performs after the restore. @default 20 */
  readonly usesAfterRestore?: number;
  /** Clones restored from the same snapshot. @default 2 */
  readonly clones?: number;
}

/** What the measurement saw. */
export interface VmGenIdRaceReport {
  readonly mode: ForkDetection;
  /** Per clone: uses served from pre-fork state (the race window, in uses). */
  readonly staleUses: readonly number[];
  /** Values produced by more than one clone (a nonce reused across the fork: invariant 9 broken). */
  readonly reusedAcrossClones: number;
}

/** Restores `clones` VMs from one snapshot and counts stale and reused values. */
export function measureVmGenIdRace(options: VmGenIdRaceOptions): VmGenIdRaceReport {
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, ['mode', 'notifyDelayUses', 'usesAfterRestore', 'clones']);
  const mode = requireOneOf('mode', o.mode, FORK_DETECTIONS);
  const delay = requireInteger('notifyDelayUses', o.notifyDelayUses ?? 5, 0, 1_000_000);
  const uses = requireInteger('usesAfterRestore', o.usesAfterRestore ?? 20, 1, 1_000_000);
  const clones = requireInteger('clones', o.clones ?? 2, 1, 1000);

  // The snapshot: the same RNG state and the same device bytes for every clone.
  const snapshotRng = new GuestRng(createHash('sha256').update('pre-fork guest state').digest());
  const snapshotBlob = new VmGenIdDevice(new Uint8Array(VMGENID_SIZE).fill(0x42)).blob.slice();
  let nextId = 1;
  const seenBy = new Map<string, Set<number>>();
  const staleUses: number[] = [];

  for (let clone = 0; clone < clones; clone++) {
    const device = new VmGenIdDevice(undefined, () => new Uint8Array(VMGENID_SIZE).fill(nextId++));
    device.blob.set(snapshotBlob);
    const rng = new GuestRng(snapshotRng.snapshot());
    let fresh = false;
    const driver = new VmGenIdDriver(device, (id) => {
      rng.reseed(id);
      fresh = true;
    });
    let cachedGeneration = device.generation();
    device.applyEvent('clone');
    device.resume();
    let stale = 0;
    for (let use = 0; use < uses; use++) {
      if (mode === 'push' && use === delay) driver.notify(device);
      // One aligned word load per use; the 16-byte ID is only read when the count moved.
      if (mode === 'pull' && device.generation() !== cachedGeneration) {
        cachedGeneration = device.generation();
        rng.reseed(device.readId());
        fresh = true;
      }
      const value = rng.next();
      if (!fresh) stale++;
      const owners = seenBy.get(value) ?? new Set<number>();
      owners.add(clone);
      seenBy.set(value, owners);
    }
    staleUses.push(stale);
  }
  const reusedAcrossClones = [...seenBy.values()].filter((owners) => owners.size > 1).length;
  return { mode, staleUses, reusedAcrossClones };
}
