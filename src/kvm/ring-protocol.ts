/**
 * How a dirty ring's producer (the kernel) and consumer (the VMM) tell each other what is in
 * it: the ring protocol, chosen per VM.
 *
 *   flags          KVM's, since v4 of the series (2020-02): DIRTY and RESET in each entry's
 *                  flags word; the indices are private to each side
 *   indices        the RFC's (v1–v3, 2019-11 to 2020-01): no per-entry state; the kernel
 *                  publishes avail_index, userspace publishes fetch_index, both in one cache
 *                  line (struct kvm_dirty_ring_indexes), and the reset validates fetch_index
 *   indices-apart  the same with the two indices 64 bytes apart, the middle way proposed in
 *                  review against the cache-line ping-pong of adjacent indices
 *
 * Everything above the ring (threads, runs, sweeps, the verifier) works with any of them: the
 * engine reads the protocol from each vCPU's control block (VCPU_AVAIL_AT, VCPU_FETCH_AT).
 */
import { RING_INDEX_PLACEMENTS } from '../layout.ts';

export type RingProtocol = 'flags' | 'indices' | 'indices-apart';

export interface RingProtocolInfo {
  readonly name: RingProtocol;
  /** One line for help texts and reports. */
  readonly summary: string;
  /** Where the shared indices sit in the vCPU's ring-index block; undefined for per-entry flags. */
  readonly placement: (typeof RING_INDEX_PLACEMENTS)[keyof typeof RING_INDEX_PLACEMENTS] | undefined;
}

export const RING_PROTOCOL_INFO: readonly RingProtocolInfo[] = [
  { name: 'flags', summary: "KVM's: DIRTY and RESET in every entry, the indices private (since v4, 2020)", placement: undefined },
  { name: 'indices', summary: "the RFC's (v1-v3, 2019): shared avail_index and fetch_index in one cache line, fetch_index validated at reset", placement: RING_INDEX_PLACEMENTS.adjacent },
  { name: 'indices-apart', summary: 'the RFC\'s shared indices 64 bytes apart, the middle way proposed in review', placement: RING_INDEX_PLACEMENTS.apart },
];

export const RING_PROTOCOLS: readonly RingProtocol[] = RING_PROTOCOL_INFO.map((p) => p.name);

export function ringProtocolInfo(name: RingProtocol): RingProtocolInfo {
  return RING_PROTOCOL_INFO.find((p) => p.name === name)!;
}

/**
 * Byte offsets of a vCPU's avail_index and fetch_index for `protocol`, given its ring-index
 * block; both 0 for per-entry flags (what the engine reads as "flags").
 */
export function ringIndexAddresses(protocol: RingProtocol, block: number): { readonly availAt: number; readonly fetchAt: number } {
  const p = ringProtocolInfo(protocol).placement;
  return p && block ? { availAt: block + p.avail, fetchAt: block + p.fetch } : { availAt: 0, fetchAt: 0 };
}
