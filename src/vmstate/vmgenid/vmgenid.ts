/**
 * VMGenID (Microsoft spec 2012; QEMU hw/acpi/vmgenid.c; Linux drivers/virt/vmgenid.c): a 16-byte
 * random ID in guest memory that must change whenever the same memory image could run twice
 * (snapshot start, backup restore, clone, import) and must not change otherwise (live
 * migration, pause/resume, reboot). The VMM writes it while the VM is stopped, before the first
 * restored instruction, and raises ACPI Notify(0x80) only after the write.
 */
import { randomBytes } from 'node:crypto';
import { U64_MAX } from '../u64.ts';
import { describe, expectOnlyKeys, expectRecord, expectU64String, requireBigInt, requireFunction, requireInteger, requireOneOf } from '../../validate.ts';

/** VMGENID_SIZE. */
export const VMGENID_SIZE = 16;
/** ACPI Notify code that signals a change. */
export const VMGENID_NOTIFY = 0x80;
/** QEMU: the GUID lives at offset 40 of the 4096-byte fw_cfg blob etc/vmgenid_guid. */
export const VMGENID_GUID_OFFSET = 40;
export const VMGENID_BLOB_SIZE = 4096;
/**
 * Where this model keeps the word-sized generation counter (the pull model's proposal, e.g.
 * QEMU's unmerged 2022 counter or VMClock's vm_generation_counter): right after the GUID.
 */
export const VMGENID_GENERATION_OFFSET = VMGENID_GUID_OFFSET + VMGENID_SIZE;

/** Lifecycle events of the Microsoft spec's table. */
export type VmLifecycleEvent =
  | 'pause-resume' | 'guest-reboot' | 'host-reboot' | 'live-migration' | 'cluster-failover'
  | 'snapshot-start' | 'backup-restore' | 'dr-failover' | 'import' | 'copy' | 'clone';

/** Whether each event gets a new ID: any event that could run the same memory image twice does. */
export const VMGENID_CHANGES_ON: Readonly<Record<VmLifecycleEvent, boolean>> = {
  'pause-resume': false, 'guest-reboot': false, 'host-reboot': false, 'live-migration': false, 'cluster-failover': false,
  'snapshot-start': true, 'backup-restore': true, 'dr-failover': true, import: true, copy: true, clone: true,
};

/** Every event name, for validation and the CLI. */
export const VM_LIFECYCLE_EVENTS = Object.keys(VMGENID_CHANGES_ON) as VmLifecycleEvent[];

/** What the device did, in order; tests check the ordering rules on this log. */
export type VmGenIdLogEntry =
  | { readonly kind: 'write-id' }
  | { readonly kind: 'bump-generation'; readonly generation: number }
  | { readonly kind: 'first-instruction' }
  | { readonly kind: 'notify'; readonly code: number };

/** The answer to an event. */
export type VmGenIdEventOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'changed'; readonly id: Uint8Array; readonly generation: number }
  | { readonly kind: 'refused'; readonly reason: string };

/** The VMM side: the blob in guest memory, the running state, the pending notification. */
export class VmGenIdDevice {
  readonly blob = new Uint8Array(VMGENID_BLOB_SIZE);
  readonly log: VmGenIdLogEntry[] = [];
  #running = false;
  #notifyPending = false;
  readonly #random: (size: number) => Uint8Array;

  /** @param random source of fresh IDs (cryptographically random by default). */
  constructor(id?: Uint8Array, random: (size: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))) {
    this.#random = requireFunction('random', random);
    this.blob.set(checkId(id ?? random(VMGENID_SIZE), 'id'), VMGENID_GUID_OFFSET);
  }

  /** A copy of the 16 bytes the guest would map. */
  readId(): Uint8Array {
    return this.blob.slice(VMGENID_GUID_OFFSET, VMGENID_GUID_OFFSET + VMGENID_SIZE);
  }

  /** The word-sized generation counter (one aligned load for the guest). */
  generation(): number {
    return new DataView(this.blob.buffer).getUint32(VMGENID_GENERATION_OFFSET, true);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Pauses the VM (events are applied only while it is stopped). */
  stop(): void {
    this.#running = false;
  }

  /**
   * Applies a lifecycle event to the stopped VM. The ID is written while no vCPU runs, so a
   * guest can never read it torn; the notification is only queued, to be raised after resume.
   */
  applyEvent(event: VmLifecycleEvent): VmGenIdEventOutcome {
    requireOneOf('event', event, VM_LIFECYCLE_EVENTS);
    if (this.#running) return { kind: 'refused', reason: `stop the VM before applying '${event}': the ID must not change under running vCPUs` };
    // QEMU's post_load rewrites and notifies even when unchanged; the guest driver drops duplicates.
    this.#notifyPending = true;
    if (!VMGENID_CHANGES_ON[event]) return { kind: 'unchanged' };
    const id = checkId(this.#random(VMGENID_SIZE), 'random()');
    this.blob.set(id, VMGENID_GUID_OFFSET);
    this.log.push({ kind: 'write-id' });
    // The counter is bumped after the ID: a guest that sees the new count also sees the new ID.
    const generation = (this.generation() + 1) >>> 0;
    new DataView(this.blob.buffer).setUint32(VMGENID_GENERATION_OFFSET, generation, true);
    this.log.push({ kind: 'bump-generation', generation });
    return { kind: 'changed', id, generation };
  }

  /** Resumes the VM: first instruction, then the queued Notify(0x80). Returns whether one was raised. */
  resume(): boolean {
    this.#running = true;
    this.log.push({ kind: 'first-instruction' });
    if (!this.#notifyPending) return false;
    this.#notifyPending = false;
    this.log.push({ kind: 'notify', code: VMGENID_NOTIFY });
    return true;
  }

  /**
   * The unsafe variant: the ID rewritten in two 8-byte stores while a vCPU runs. `guestRead` runs
   * between the stores and returns what it saw, which is neither the old nor the new ID.
   */
  unsafeWriteWhileRunning(id: Uint8Array, guestRead: (device: VmGenIdDevice) => Uint8Array): Uint8Array {
    checkId(id, 'id');
    requireFunction('guestRead', guestRead);
    this.blob.set(id.subarray(0, 8), VMGENID_GUID_OFFSET);
    const seen = guestRead(this);
    this.blob.set(id.subarray(8), VMGENID_GUID_OFFSET + 8);
    return seen;
  }

  /** The migration-stream state: QEMU migrates the address; the GUID is configuration, carried here too. */
  save(guestPhysAddr: bigint): VmGenIdState {
    requireBigInt('guestPhysAddr', guestPhysAddr, 0n, U64_MAX);
    if (guestPhysAddr % 8n !== 0n) throw new RangeError(`guestPhysAddr must be 8-byte aligned, got ${guestPhysAddr}n: the VMGenID spec requires it`);
    return { guestPhysAddr: guestPhysAddr.toString(), id: Buffer.from(this.readId()).toString('hex'), generation: this.generation() };
  }

  /** Loads validated state into a stopped device; throws (nothing changed) on bad input. */
  load(json: unknown): { guestPhysAddr: bigint } {
    const state = decodeVmGenIdState(json);
    if (this.#running) throw new RangeError('the VM must be stopped to load VMGenID state, got a running one: call stop() first; the ID must not change under running vCPUs');
    this.blob.set(state.id, VMGENID_GUID_OFFSET);
    new DataView(this.blob.buffer).setUint32(VMGENID_GENERATION_OFFSET, state.generation, true);
    return { guestPhysAddr: state.guestPhysAddr };
  }
}

/** JSON form of the device state. */
export interface VmGenIdState {
  readonly guestPhysAddr: string;
  /** 32 lowercase hex digits, in guest (little-endian) byte order. */
  readonly id: string;
  readonly generation: number;
}

function checkId(id: Uint8Array, name: string): Uint8Array {
  if (!(id instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array of ${VMGENID_SIZE} bytes, got ${describe(id)}`);
  if (id.length !== VMGENID_SIZE) throw new RangeError(`${name} must be a Uint8Array of ${VMGENID_SIZE} bytes, got ${id.length} bytes`);
  return id;
}

/** Validates incoming VMGenID state (the address must be 8-byte aligned, per the spec). */
export function decodeVmGenIdState(json: unknown): { guestPhysAddr: bigint; id: Uint8Array; generation: number } {
  const o = expectRecord('vmgenid state', json);
  expectOnlyKeys('vmgenid state', o, ['guestPhysAddr', 'id', 'generation']);
  const guestPhysAddr = expectU64String('vmgenid state.guestPhysAddr', o.guestPhysAddr);
  if (guestPhysAddr % 8n !== 0n) throw new RangeError(`vmgenid state.guestPhysAddr must be 8-byte aligned, got ${guestPhysAddr}: the VMGenID spec requires it`);
  if (typeof o.id !== 'string' || !/^[0-9a-f]{32}$/.test(o.id)) {
    throw new TypeError(`vmgenid state.id must be 32 lowercase hex digits (16 bytes), got ${describe(o.id)}`);
  }
  const generation = requireInteger('vmgenid state.generation', o.generation, 0, 0xffff_ffff);
  return { guestPhysAddr, id: new Uint8Array(Buffer.from(o.id, 'hex')), generation };
}

/** The answer of the guest driver to a notification. */
export type VmGenIdNotifyOutcome = { readonly kind: 'duplicate' } | { readonly kind: 'vmfork'; readonly id: Uint8Array };

/** The Linux guest driver (5.18): keeps this_id, ignores notifications that change nothing. */
export class VmGenIdDriver {
  #thisId: Uint8Array;
  readonly #onFork: (id: Uint8Array) => void;

  /** probe: copy the ID and mix it into the RNG (no entropy credit). */
  constructor(device: VmGenIdDevice, onFork: (id: Uint8Array) => void) {
    if (!(device instanceof VmGenIdDevice)) throw new TypeError(`device must be a VmGenIdDevice, got ${describe(device)}`);
    this.#onFork = requireFunction('onFork', onFork);
    this.#thisId = device.readId();
  }

  /** The ACPI notify handler: old = this_id; this_id = copy; equal -> return; else vmfork. */
  notify(device: VmGenIdDevice): VmGenIdNotifyOutcome {
    const old = this.#thisId;
    this.#thisId = device.readId();
    if (Buffer.from(old).equals(this.#thisId)) return { kind: 'duplicate' };
    this.#onFork(this.#thisId);
    return { kind: 'vmfork', id: this.#thisId };
  }
}
