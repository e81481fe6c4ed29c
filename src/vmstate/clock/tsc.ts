/**
 * TSC scaling as KVM does it (arch/x86/kvm/x86.c kvm_set_tsc_khz / set_tsc_khz, vmx.c, svm.c):
 *
 *     guest_tsc = ((host_tsc * ratio) >> N) + offset      (full product, truncated to u64)
 *     ratio     = floor(2^N * user_tsc_khz / host_tsc_khz)
 *
 * with N = 48 fractional bits on Intel VMX (TSC_MULTIPLIER) and 32 on AMD SVM (TSC_RATIO).
 */
import { mulDiv, mulShr, u64 } from '../u64.ts';
import { rejectUnknownKeys, requireBigInt, requireBoolean, requireObject, requireOneOf } from '../../validate.ts';

/** The two hardware scaling formats. */
export type TscVendor = 'vmx' | 'svm';
/** Every vendor, for validation and the CLI. */
export const TSC_VENDORS: readonly TscVendor[] = ['vmx', 'svm'];

/** Fixed-point format of a vendor's ratio register. */
export interface TscScalingFormat {
  readonly fracBits: bigint;
  readonly maxRatio: bigint;
  readonly defaultRatio: bigint;
}

/** VMX: 48 fractional bits, 16 integer bits. SVM: 32 fractional bits, 8 integer bits. */
export const TSC_SCALING: Readonly<Record<TscVendor, TscScalingFormat>> = {
  vmx: { fracBits: 48n, maxRatio: 0xffff_ffff_ffff_ffffn, defaultRatio: 1n << 48n },
  svm: { fracBits: 32n, maxRatio: 0x0000_00ff_ffff_ffffn, defaultRatio: 1n << 32n },
};

/** tsc_tolerance_ppm: requests this close to the host rate get no scaling at all. */
export const TSC_TOLERANCE_PPM = 250n;

/** KVM_SET_TSC_KHZ takes a u32. */
const KHZ_MAX = 0xffff_ffffn;

/** Per-vCPU scaling state after KVM_SET_TSC_KHZ. */
export interface TscScaling {
  readonly vendor: TscVendor;
  readonly ratio: bigint;
  /** What KVM_GET_TSC_KHZ reports: the requested rate, even when no scaling is applied. */
  readonly virtualTscKhz: bigint;
  /** The rate the guest TSC really runs at on this host (host rate * ratio / 2^N). */
  readonly effectiveKhz: bigint;
}

/** The outcome of KVM_SET_TSC_KHZ. */
export type SetTscKhzOutcome =
  | { readonly kind: 'identity'; readonly why: 'same-rate' | 'within-tolerance'; readonly scaling: TscScaling }
  | { readonly kind: 'scaled'; readonly scaling: TscScaling }
  | { readonly kind: 'catch-up'; readonly why: string; readonly scaling: TscScaling }
  | { readonly kind: 'error'; readonly errno: 'EINVAL'; readonly reason: string };

/** Options of {@link setTscKhz}. */
export interface SetTscKhzOptions {
  readonly userKhz: bigint;
  readonly hostKhz: bigint;
  readonly vendor: TscVendor;
  /** Whether the CPU has TSC scaling. @default true */
  readonly hostCanScale?: boolean;
}

/** adjust_tsc_khz(): khz * (10^6 + ppm) / 10^6, rounded down as the kernel does. */
function adjustKhz(khz: bigint, ppm: bigint): bigint {
  return (khz * (1_000_000n + ppm)) / 1_000_000n;
}

/** The identity scaling on `vendor` at `hostKhz`, reporting `virtualTscKhz`. */
export function identityScaling(vendor: TscVendor, hostKhz: bigint, virtualTscKhz: bigint = hostKhz): TscScaling {
  return { vendor, ratio: TSC_SCALING[vendor].defaultRatio, virtualTscKhz, effectiveKhz: hostKhz };
}

/** KVM_SET_TSC_KHZ: picks the ratio, the +/-250 ppm no-scaling window, or catch-up mode. */
export function setTscKhz(options: SetTscKhzOptions): SetTscKhzOutcome {
  const o = requireObject('options', options);
  rejectUnknownKeys('options', o, ['userKhz', 'hostKhz', 'vendor', 'hostCanScale']);
  const userKhz = requireBigInt('userKhz', o.userKhz, 1n, KHZ_MAX);
  const hostKhz = requireBigInt('hostKhz', o.hostKhz, 1n, KHZ_MAX);
  const vendor = requireOneOf('vendor', o.vendor, TSC_VENDORS);
  const hostCanScale = requireBoolean('hostCanScale', o.hostCanScale, true);
  const fmt = TSC_SCALING[vendor];
  if (userKhz === hostKhz) return { kind: 'identity', why: 'same-rate', scaling: identityScaling(vendor, hostKhz) };
  // Inside the window KVM reports the requested kHz but runs the guest at the host rate:
  // migration between slightly different hosts is allowed to hide a mismatch of up to 250 ppm.
  if (userKhz >= adjustKhz(hostKhz, -TSC_TOLERANCE_PPM) && userKhz <= adjustKhz(hostKhz, TSC_TOLERANCE_PPM)) {
    return { kind: 'identity', why: 'within-tolerance', scaling: identityScaling(vendor, hostKhz, userKhz) };
  }
  if (!hostCanScale) {
    if (userKhz > hostKhz) {
      return {
        kind: 'catch-up',
        why: 'host cannot scale: KVM periodically steps the guest TSC forward to the requested rate',
        scaling: identityScaling(vendor, hostKhz, userKhz),
      };
    }
    return { kind: 'error', errno: 'EINVAL', reason: `host cannot scale and ${userKhz} kHz is below the host rate ${hostKhz} kHz` };
  }
  const ratio = mulDiv(1n << fmt.fracBits, userKhz, hostKhz);
  if (ratio === 0n || ratio >= fmt.maxRatio) {
    return { kind: 'error', errno: 'EINVAL', reason: `ratio ${ratio} for ${userKhz} kHz on a ${hostKhz} kHz host is outside (0, ${fmt.maxRatio})` };
  }
  const effectiveKhz = mulShr(hostKhz, ratio, fmt.fracBits);
  return { kind: 'scaled', scaling: { vendor, ratio, virtualTscKhz: userKhz, effectiveKhz } };
}

/** kvm_scale_tsc(): the host TSC as this vCPU's ratio sees it (multiply skipped at identity). */
export function scaleTsc(hostTsc: bigint, scaling: Pick<TscScaling, 'vendor' | 'ratio'>): bigint {
  const fmt = TSC_SCALING[scaling.vendor];
  if (scaling.ratio === fmt.defaultRatio) return u64(hostTsc);
  return mulShr(hostTsc, scaling.ratio, fmt.fracBits);
}

/** Guest TSC = scaled host TSC + offset (+ TSC_ADJUST, normally 0), modulo 2^64. */
export function guestTsc(hostTsc: bigint, scaling: Pick<TscScaling, 'vendor' | 'ratio'>, offset: bigint, tscAdjust = 0n): bigint {
  return u64(scaleTsc(hostTsc, scaling) + offset + tscAdjust);
}

/**
 * Nested composition (kvm_calc_nested_tsc_multiplier / _offset): L2 multiplier = L1 * L2 >> N,
 * L2 offset = L1 offset scaled by the L2 multiplier + the L2 offset.
 */
export function composeNested(
  vendor: TscVendor,
  l1: { readonly ratio: bigint; readonly offset: bigint },
  l2: { readonly ratio: bigint; readonly offset: bigint },
): { ratio: bigint; offset: bigint } {
  const { fracBits, defaultRatio } = TSC_SCALING[vendor];
  const ratio = l2.ratio === defaultRatio ? l1.ratio : mulShr(l1.ratio, l2.ratio, fracBits);
  const scaledL1Offset = l2.ratio === defaultRatio ? l1.offset : u64(mulShr(l1.offset, l2.ratio, fracBits));
  return { ratio, offset: u64(scaledL1Offset + l2.offset) };
}

/**
 * Cycles the truncated ratio loses against exact scaling over `hostCycles`: why comparisons of
 * expected vs scaled TSC need a tolerance (about hostCycles / 2^N at most).
 */
export function truncationLoss(hostCycles: bigint, userKhz: bigint, hostKhz: bigint, vendor: TscVendor): bigint {
  const exact = (hostCycles * userKhz) / hostKhz;
  const outcome = setTscKhz({ userKhz, hostKhz, vendor });
  if (outcome.kind === 'error') throw new RangeError(`userKhz must be a rate the host can scale to, got ${userKhz}n: ${outcome.reason}`);
  return exact - scaleTsc(hostCycles, outcome.scaling);
}

/** Converts nanoseconds to guest cycles: ns * kHz / 10^6 (cycles per ns = kHz / 10^6). */
export function nsToCycles(ns: bigint, khz: bigint): bigint {
  return mulDiv(ns, khz, 1_000_000n);
}
