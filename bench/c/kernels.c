/*
 * A C baseline of the engine's kernels (the assembly/ sources), written the way KVM writes them in C,
 * over the same arena byte layout: 16-byte kvm_dirty_gfn entries, free-running u32 indices,
 * bitmaps of little-endian 64-bit words, control blocks at the offsets of src/layout.ts.
 * Every access goes through a u32 byte offset into one arena, as in Wasm, so both sides do
 * the same loads of ring bases, sizes and bitmap addresses.
 *
 * Built by bench/c/compare.ts, which generates layout.h from src/layout.ts (the ABI table)
 * and compiles with -fno-strict-aliasing (as the kernel does: ring entries and bitmaps are
 * accessed through more than one width). Not part of the project build or tests.
 *
 *   kernels bench <pages> <kernel> <timeMs> <minIterations> <warmupIterations> <density>...
 *   kernels check <pages> <density>...
 *   kernels pipeline <ringEntries> <seconds>
 *
 * The densities must be the full list the JS bench uses (DENSITIES in src/bench/engine.ts),
 * in order: fixtures come from the same seeded mulberry32 sequence as casesFor() there, so
 * the list decides which random numbers each fixture gets.
 *
 * bench prints one JSON line per row (kernel, pages, density, unit, items, median, mad, min,
 * max, samples) in the JS bench's units; check prints one JSON object of results and checksums
 * for compare.ts's cross-check against the Wasm engine.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"

typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t i64;

/*
 * The arena; offsets are u32, as in Wasm32. It is mapped at a fixed address so its base is a
 * constant the compiler keeps in a register, like V8's memory-start register. (A global
 * pointer would be reloaded after every store, since with -fno-strict-aliasing any store
 * might alias it: a cost Wasm does not pay.)
 */
#define ARENA_BASE 0x200000000000ull
#define A ((uint8_t *)ARENA_BASE)

#define P32(o) ((u32 *)(A + (o)))
#define P64(o) ((u64 *)(A + (o)))
#define L32(o) (*P32(o))
#define L64(o) (*P64(o))

/* ---- dirty_gfn.ts: the flag handshake ---------------------------------------------- */

/*
 * -DWASM_ATOMICS prices Wasm's atomics in C, to split a gap into what Wasm forces and what
 * the engine or V8 adds. It emits what V8 11.3 (Node 20) emits for the engine's atomics on
 * x64 (seen with node --print-wasm-code): the DIRTY store in push becomes sequentially
 * consistent, an xchg, instead of a release mov as in KVM; the harvest writes RESET with plain
 * stores and publishes the batch with one sequentially consistent store of the fetch index
 * (assembly/dirty_gfn.ts gfnMarkHarvested); 64-bit and/or become a load + lock cmpxchg loop,
 * even when the result is unused, instead of lock btr (test-and-disarm) and lock or (set_bit,
 * re-arm). Not the baseline.
 */
#ifdef WASM_ATOMICS
#define PUBLISH_ORDER __ATOMIC_SEQ_CST
#define HARVEST_ORDER __ATOMIC_RELAXED
#define FETCH_ORDER __ATOMIC_SEQ_CST
static inline u64 fetch_and(u64 *w, u64 m)
{
	u64 old = __atomic_load_n(w, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(w, &old, old & m, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	return old;
}
static inline void rmw_or(u64 *w, u64 m)
{
	u64 old = __atomic_load_n(w, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(w, &old, old | m, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
}
#else
#define PUBLISH_ORDER __ATOMIC_RELEASE
#define HARVEST_ORDER __ATOMIC_RELEASE
#define FETCH_ORDER __ATOMIC_RELEASE
#define fetch_and(w, m) __atomic_fetch_and((w), (m), __ATOMIC_SEQ_CST)
#define rmw_or(w, m) ((void)__atomic_fetch_or((w), (m), __ATOMIC_SEQ_CST))
#endif

static inline u32 gfn_flags(u32 e) { return __atomic_load_n(P32(e + GFN_FLAGS), __ATOMIC_ACQUIRE); }

/* kvm_dirty_gfn_set_dirtied: payload, then smp_wmb + flag store == a release store. */
static inline void gfn_mark_dirty(u32 e, u32 slot, u64 offset)
{
	L32(e + GFN_SLOT) = slot;
	L64(e + GFN_OFFSET) = offset;
	__atomic_store_n(P32(e + GFN_FLAGS), GFN_F_DIRTY, PUBLISH_ORDER);
}

/* Userspace hands the entry back: store-release of RESET (QEMU's qatomic_store_release). */
static inline void gfn_mark_harvested(u32 e) { __atomic_store_n(P32(e + GFN_FLAGS), GFN_F_RESET, HARVEST_ORDER); }

/* kvm_dirty_gfn_set_invalid: smp_store_release(&gfn->flags, 0). */
static inline void gfn_mark_reset(u32 e) { __atomic_store_n(P32(e + GFN_FLAGS), 0, __ATOMIC_RELEASE); }

/* ---- bitmap.ts ---------------------------------------------------------------------- */

static inline u32 word_addr(u32 bitmap, u32 i) { return bitmap + (i << 3); }

/* First nonzero word in [i, n); aligned 64-byte blocks are OR-ed and skipped with one test. */
static u32 next_nonzero_word(u32 bitmap, u32 i, u32 n)
{
	while (i < n && (i & 7) != 0) {
		if (L64(word_addr(bitmap, i)) != 0)
			return i;
		i++;
	}
	while (i + 8 <= n) {
		const u64 *p = P64(word_addr(bitmap, i));
		if ((p[0] | p[1] | p[2] | p[3] | p[4] | p[5] | p[6] | p[7]) != 0)
			break;
		i += 8;
	}
	while (i < n) {
		if (L64(word_addr(bitmap, i)) != 0)
			return i;
		i++;
	}
	return n;
}

static void bitmap_fill(u32 bitmap, u32 npages, int ones)
{
	u32 full = npages >> 6;
	memset(A + bitmap, ones ? 0xff : 0, (size_t)full << 3);
	u32 tail = npages & 63;
	if (tail)
		L64(word_addr(bitmap, full)) = ones ? (1ull << tail) - 1 : 0;
}

/* test_and_clear_bit_le on the armed bitmap, with the plain-load fast path. */
static inline int test_and_disarm(u32 armed, u32 page)
{
	u64 *w = P64(word_addr(armed, page >> 6));
	u64 bit = 1ull << (page & 63);
	if ((__atomic_load_n(w, __ATOMIC_RELAXED) & bit) == 0)
		return 0;
	return (fetch_and(w, ~bit) & bit) != 0;
}

static inline void set_bit(u32 bitmap, u32 page)
{
	rmw_or(P64(word_addr(bitmap, page >> 6)), 1ull << (page & 63));
}

static void or_mask(u32 bitmap, u32 base, u64 mask)
{
	u32 sh = base & 63;
	u64 *w = P64(word_addr(bitmap, base >> 6));
	rmw_or(w, mask << sh);
	if (sh) {
		u64 hi = mask >> (64 - sh);
		if (hi)
			rmw_or(w + 1, hi);
	}
}

/* KVM_GET_DIRTY_LOG, classic (kvm_get_dirty_log_protect): memset the snapshot, then xchg
 * every nonzero word, keep it, re-arm those pages. */
static u32 get_dirty_log(u32 desc)
{
	u32 n = (L32(desc + SLOT_NPAGES) + 63) >> 6;
	u32 dirty = L32(desc + SLOT_DIRTY), armed = L32(desc + SLOT_ARMED), snap = L32(desc + SLOT_SNAPSHOT);
	memset(A + snap, 0, (size_t)n << 3);
	u32 count = 0;
	u32 i = next_nonzero_word(dirty, 0, n);
	while (i < n) {
		u64 old = __atomic_exchange_n(P64(word_addr(dirty, i)), 0, __ATOMIC_SEQ_CST);
		L64(word_addr(snap, i)) = old;
		rmw_or(P64(word_addr(armed, i)), old);
		count += (u32)__builtin_popcountll(old);
		i = next_nonzero_word(dirty, i + 1, n);
	}
	return count;
}

/* KVM_CLEAR_DIRTY_LOG from the clear-arg bitmap (kvm_clear_dirty_log_protect). */
static int32_t clear_dirty_log(u32 desc, u32 first, u32 num)
{
	u32 npages = L32(desc + SLOT_NPAGES);
	if (first & 63)
		return CLEAR_EINVAL_FIRST_PAGE;
	u64 end = (u64)first + num;
	if (end > npages)
		return CLEAR_EINVAL_RANGE;
	if ((num & 63) && end != npages)
		return CLEAR_EINVAL_NUM_PAGES;
	u32 dirty = L32(desc + SLOT_DIRTY), armed = L32(desc + SLOT_ARMED), arg = L32(desc + SLOT_CLEAR_ARG);
	u32 w0 = first >> 6;
	u32 n = (((u32)end + 63) >> 6) - w0;
	u32 tail = (u32)end & 63;
	u32 rearmed = 0;
	u32 j = next_nonzero_word(arg, 0, n);
	while (j < n) {
		u64 mask = L64(word_addr(arg, j));
		if (j == n - 1 && tail)
			mask &= (1ull << tail) - 1;
		u64 old = fetch_and(P64(word_addr(dirty, w0 + j)), ~mask);
		u64 cleared = old & mask;
		if (cleared) {
			rmw_or(P64(word_addr(armed, w0 + j)), cleared);
			rearmed += (u32)__builtin_popcountll(cleared);
		}
		j = next_nonzero_word(arg, j + 1, n);
	}
	return (int32_t)rearmed;
}

/* ---- dirty_ring.ts ------------------------------------------------------------------ */

static inline u32 entry_addr(u32 vcpu, u32 index)
{
	u32 mask = L32(vcpu + VCPU_ENTRIES) - 1;
	return L32(vcpu + VCPU_RING) + ((index & mask) << 4);
}

/* kvm_dirty_ring_push. */
static int ring_push(u32 vcpu, u32 slot, u32 offset)
{
	u32 di = L32(vcpu + VCPU_DIRTY_INDEX);
	u32 used = di - __atomic_load_n(P32(vcpu + VCPU_RESET_INDEX), __ATOMIC_ACQUIRE);
	u32 entries = L32(vcpu + VCPU_ENTRIES);
	if (used >= entries) {
		__atomic_fetch_add(P32(vcpu + VCPU_HARD_FULL), 1, __ATOMIC_SEQ_CST);
		return PUSH_HARD_FULL;
	}
	gfn_mark_dirty(entry_addr(vcpu, di), slot, offset);
	L32(vcpu + VCPU_DIRTY_INDEX) = di + 1;
	L64(vcpu + VCPU_PUSHES) = L64(vcpu + VCPU_PUSHES) + 1;
	return used + 1 >= L32(vcpu + VCPU_SOFT_LIMIT) ? PUSH_SOFT_FULL : PUSH_OK;
}

static u32 ring_push_batch(u32 vcpu, u32 slot, u32 pages, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (ring_push(vcpu, slot, L32(pages + (i << 2))) == PUSH_HARD_FULL)
			return i;
	return n;
}

/* Userspace's collection loop (QEMU's dirty_gfn_is_dirtied / dirty_gfn_set_collected). */
static u32 ring_harvest(u32 vcpu, u32 max)
{
	u32 out = L32(vcpu + VCPU_HARVEST_BUF);
	u32 entries = L32(vcpu + VCPU_ENTRIES);
	if (max > entries)
		max = entries;
	u32 fetch = L32(vcpu + VCPU_FETCH_INDEX);
	u32 n = 0;
	while (n < max) {
		u32 e = entry_addr(vcpu, fetch);
		if (gfn_flags(e) != GFN_F_DIRTY)
			break;
		u32 rec = out + (n << 4);
		L32(rec + GFN_SLOT) = L32(e + GFN_SLOT);
		L64(rec + GFN_OFFSET) = L64(e + GFN_OFFSET);
		gfn_mark_harvested(e);
		fetch++;
		n++;
	}
	__atomic_store_n(P32(vcpu + VCPU_FETCH_INDEX), fetch, FETCH_ORDER);
	return n;
}

/* kvm_reset_dirty_gfn's checks, then the re-arm of one 64-page window. */
static int reprotect(u32 slot, u64 base, u64 mask)
{
	u32 as_id = slot >> 16, id = slot & 0xffff;
	if (as_id < L32(VM_CTL + VM_NR_AS) && id < L32(VM_CTL + VM_NR_SLOTS)) {
		u32 desc = L32(VM_CTL + VM_SLOTS) + id * SLOT_STRIDE;
		u64 npages = L32(desc + SLOT_NPAGES);
		if (npages != 0 && (L32(desc + SLOT_FLAGS) & SLOT_F_LOG_DIRTY) && base < npages &&
		    base + (63 - __builtin_clzll(mask)) < npages) {
			or_mask(L32(desc + SLOT_ARMED), (u32)base, mask);
			return 1;
		}
	}
	__atomic_fetch_add(P32(VM_CTL + VM_REJECTED_BATCHES), 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(P32(VM_CTL + VM_REJECTED_PAGES), (u32)__builtin_popcountll(mask), __ATOMIC_SEQ_CST);
	return 0;
}

/* kvm_dirty_ring_reset, with forward and backward-rebase coalescing. */
static u32 ring_reset(u32 vcpu, u32 limit)
{
	u32 ri = L32(vcpu + VCPU_RESET_INDEX);
	u32 count = 0, cur_slot = 0, batches = 0;
	u64 base = 0, mask = 0;
	while (count < limit) {
		if (__atomic_load_n(P32(VM_CTL + VM_RESET_ABORT), __ATOMIC_RELAXED))
			break; /* signal_pending() */
		u32 e = entry_addr(vcpu, ri);
		if (!(gfn_flags(e) & GFN_F_RESET))
			break;
		u32 s = L32(e + GFN_SLOT);
		u64 o = L64(e + GFN_OFFSET);
		gfn_mark_reset(e);
		ri++;
		count++;
		if (mask) {
			if (s == cur_slot) {
				i64 d = (i64)(o - base);
				if (d >= 0 && d < 64) {
					mask |= 1ull << d;
					continue;
				}
				if (d > -64 && d < 0 && (i64)__builtin_clzll(mask) >= -d) {
					mask = (mask << -d) | 1;
					base = o;
					continue;
				}
			}
			if (reprotect(cur_slot, base, mask))
				batches++;
		}
		cur_slot = s;
		base = o;
		mask = 1;
	}
	if (mask && reprotect(cur_slot, base, mask))
		batches++;
	L32(vcpu + VCPU_RESET_BATCHES) = L32(vcpu + VCPU_RESET_BATCHES) + batches;
	__atomic_store_n(P32(vcpu + VCPU_RESET_INDEX), ri, __ATOMIC_RELEASE);
	return count;
}

/* ---- fault.ts ----------------------------------------------------------------------- */

static int fault_write(u32 vcpu, u32 desc, u32 page)
{
	if (page >= L32(desc + SLOT_NPAGES))
		return FAULT_OUT_OF_RANGE;
	u32 armed = L32(desc + SLOT_ARMED);
	if (!test_and_disarm(armed, page))
		return FAULT_CLEAN;
	if (vcpu != 0 && L32(vcpu + VCPU_ENTRIES) != 0) {
		int r = ring_push(vcpu, L32(desc + SLOT_ID), page);
		if (r == PUSH_HARD_FULL) {
			set_bit(armed, page);
			return FAULT_RING_FULL;
		}
		return r == PUSH_SOFT_FULL ? FAULT_RING_SOFT_FULL : FAULT_RING;
	}
	if (L32(desc + SLOT_FLAGS) & SLOT_F_HAS_BITMAP) {
		set_bit(L32(desc + SLOT_DIRTY), page);
		return FAULT_BITMAP;
	}
	__atomic_fetch_add(P32(VM_CTL + VM_NO_VCPU_LOGS), 1, __ATOMIC_SEQ_CST);
	return FAULT_NOT_LOGGED;
}

static u32 fault_write_batch(u32 vcpu, u32 desc, u32 pages, u32 n)
{
	for (u32 i = 0; i < n; i++) {
		int r = fault_write(vcpu, desc, L32(pages + (i << 2)));
		if (r == FAULT_RING_FULL)
			return i;
		if (r == FAULT_RING_SOFT_FULL)
			return i + 1;
	}
	return n;
}

/* ---- fixtures: the arena of src/bench/engine.ts's fixtureVm, the lists of casesFor ---- */

#define RING_ENTRIES 65536u
#define RING_BATCH (RING_ENTRIES - 64u)
#define MAX_MARKS (1u << 20)
#define INT_MAX_U 0x7fffffffu
#define MAX_DENSITIES 8

static u32 align_up(u32 n, u32 a) { return (n + a - 1) / a * a; }

/* One vCPU, one slot (id 0), as createVm({ dirtyRing?, slots: [{ pages }], vcpus: 1 }). */
struct arena {
	size_t bytes;
	u32 vcpu, desc, ring, harvest, armed, dirty, snapshot, clear_arg, collected, scratch, bitmap_bytes;
};

static struct arena make_ring_arena(u32 pages, u32 ring_entries);

static struct arena make_arena(u32 pages, int ring) { return make_ring_arena(pages, ring ? RING_ENTRIES : 0); }

static struct arena make_ring_arena(u32 pages, u32 ring_entries)
{
	struct arena r = { 0 };
	u32 vcpu_base = VM_CTL + VM_CTL_SIZE;
	u32 slot_table = vcpu_base + VCPU_STRIDE; /* maxVcpus = 1 */
	u32 at = REGIONS_BASE;
#define TAKE(bytes) (at += align_up((bytes), REGION_ALIGN), at - align_up((bytes), REGION_ALIGN))
	u32 ring_bytes = ring_entries * GFN_SIZE;
	r.vcpu = vcpu_base;
	r.desc = slot_table;
	r.ring = ring_bytes ? TAKE(ring_bytes) : 0;
	r.harvest = ring_bytes ? TAKE(ring_bytes) : 0;
	r.bitmap_bytes = (pages + 63) / 64 * 8;
	u32 stride = align_up(r.bitmap_bytes, REGION_ALIGN);
	r.armed = TAKE(stride);
	r.dirty = TAKE(stride);
	r.snapshot = TAKE(stride);
	r.clear_arg = TAKE(stride);
	r.collected = TAKE(stride);
	r.scratch = TAKE(4 * (RING_BATCH > MAX_MARKS ? RING_BATCH : MAX_MARKS));
#undef TAKE
	r.bytes = align_up(at, 65536);
	/* Anonymous zero pages, faulted in on first touch, like a Wasm memory. */
	void *m = mmap(A, r.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m != A) {
		perror("mmap");
		exit(1);
	}
	L32(VM_CTL + VM_NR_SLOTS) = 1;
	L32(VM_CTL + VM_NR_AS) = 1;
	L32(VM_CTL + VM_SLOTS) = slot_table;
	L32(r.vcpu + VCPU_RING) = r.ring;
	L32(r.vcpu + VCPU_ENTRIES) = ring_entries;
	L32(r.vcpu + VCPU_SOFT_LIMIT) = ring_entries ? ring_entries - 64 : 0;
	L32(r.vcpu + VCPU_HARVEST_BUF) = r.harvest;
	L32(r.desc + SLOT_NPAGES) = pages;
	L32(r.desc + SLOT_ID) = 0;
	L32(r.desc + SLOT_ARMED) = r.armed;
	L32(r.desc + SLOT_DIRTY) = r.dirty;
	L32(r.desc + SLOT_SNAPSHOT) = r.snapshot;
	L32(r.desc + SLOT_CLEAR_ARG) = r.clear_arg;
	L32(r.desc + SLOT_COLLECTED) = r.collected;
	/* Logging on: dirty clear, every page armed; ring mode has no bitmap. */
	bitmap_fill(r.dirty, pages, 0);
	bitmap_fill(r.armed, pages, 1);
	L32(r.desc + SLOT_FLAGS) = SLOT_F_LOG_DIRTY | (ring_entries ? 0 : SLOT_F_HAS_BITMAP);
	return r;
}

static void free_arena(struct arena *r) { munmap(A, r->bytes); }

/* mulberry32, bit for bit as prng() in src/bench/stats.ts. */
static u32 prng_state;
static double rnd(void)
{
	prng_state += 0x6d2b79f5u;
	u32 t = prng_state;
	t = (t ^ (t >> 15)) * (t | 1u);
	t ^= t + (t ^ (t >> 7)) * (t | 61u);
	return (double)(t ^ (t >> 14)) / 4294967296.0;
}

struct fixtures {
	u32 pages, n, ndens;
	u32 *seq, *random, *desc;
	double density[MAX_DENSITIES];
	uint8_t *tmpl[MAX_DENSITIES];
	u32 marks[MAX_DENSITIES];
	u32 *mark_list[MAX_DENSITIES];
};

static double js_round(double x) { return floor(x + 0.5); }

/* bitmapAtDensity() of src/bench/engine.ts. */
static uint8_t *bitmap_at_density(u32 pages, double density)
{
	size_t bytes = (size_t)(pages + 63) / 64 * 8;
	uint8_t *b = calloc(bytes, 1);
	if (density >= 0.5) {
		u32 *words = (u32 *)b;
		for (size_t i = 0; i < bytes / 4; i++)
			words[i] = (u32)floor(rnd() * 4294967296.0);
	} else {
		u32 count = (u32)js_round((double)pages * density);
		for (u32 i = 0; i < count; i++) {
			u32 p = (u32)floor(rnd() * pages);
			b[p >> 3] |= (uint8_t)(1u << (p & 7));
		}
	}
	for (u64 p = pages; p < bytes * 8; p++)
		b[p >> 3] &= (uint8_t) ~(1u << (p & 7));
	return b;
}

/* casesFor()'s fixtures, drawing the PRNG in the same order. */
static struct fixtures make_fixtures(u32 pages, int ndens, char **dens)
{
	struct fixtures f = { 0 };
	prng_state = 0x5eedu ^ pages;
	f.pages = pages;
	f.n = RING_BATCH < pages ? RING_BATCH : pages;
	u32 base = (u32)floor(rnd() * (pages - f.n));
	f.seq = malloc(f.n * 4);
	f.random = malloc(f.n * 4);
	f.desc = malloc(f.n * 4);
	for (u32 i = 0; i < f.n; i++)
		f.seq[i] = base + i;
	for (u32 i = 0; i < f.n; i++)
		f.random[i] = (u32)floor(rnd() * pages);
	for (u32 i = 0; i < f.n; i++)
		f.desc[i] = f.seq[f.n - 1 - i];
	if (ndens > MAX_DENSITIES) {
		fprintf(stderr, "too many densities\n");
		exit(2);
	}
	f.ndens = (u32)ndens;
	for (int d = 0; d < ndens; d++) {
		double density = strtod(dens[d], NULL);
		f.density[d] = density;
		f.tmpl[d] = bitmap_at_density(pages, density);
		double m = js_round((double)pages * density);
		if (m > MAX_MARKS)
			m = MAX_MARKS;
		if (m < 1)
			m = 1;
		f.marks[d] = (u32)m;
		f.mark_list[d] = malloc(f.marks[d] * 4);
		for (u32 i = 0; i < f.marks[d]; i++)
			f.mark_list[d][i] = (u32)floor(rnd() * pages);
	}
	return f;
}

/* ---- timing: tinybench's loop, with clock_gettime ------------------------------------ */

struct bench_opts {
	double time_ms;
	u32 min_iter, warmup;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(const double *sorted, size_t n, double q)
{
	double at = (n - 1) * q;
	size_t lo = (size_t)floor(at), hi = (size_t)ceil(at);
	return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

struct ctx {
	struct arena *ar;
	struct fixtures *fx;
	const u32 *list;
	u32 d; /* density index */
};

typedef void (*hook)(struct ctx *);
static volatile u32 sink;

/* warmup iterations, then sample until time_ms of timed work and min_iter samples (tinybench:
 * while (time < budget || samples < iterations)); before/after run outside the timed window. */
static void run(const char *kernel, struct ctx *c, hook before, hook fn, hook after, u32 items,
		const char *unit, const struct bench_opts *o, double density)
{
	size_t cap = 1 << 20, ns = 0;
	double *s = malloc(cap * sizeof *s), total = 0;
	for (u32 i = 0; i < o->warmup; i++) {
		if (before)
			before(c);
		fn(c);
		if (after)
			after(c);
	}
	while ((total < o->time_ms || ns < o->min_iter) && ns < cap) {
		if (before)
			before(c);
		double t0 = now_ms();
		fn(c);
		double t1 = now_ms();
		if (after)
			after(c);
		total += t1 - t0;
		s[ns++] = t1 - t0;
	}
	double scale = strcmp(unit, "ms/call") == 0 ? 1 : 1e6 / items;
	for (size_t i = 0; i < ns; i++)
		s[i] *= scale;
	qsort(s, ns, sizeof *s, cmp_double);
	double med = quantile(s, ns, 0.5);
	double *dev = malloc(ns * sizeof *dev);
	for (size_t i = 0; i < ns; i++)
		dev[i] = fabs(s[i] - med);
	qsort(dev, ns, sizeof *dev, cmp_double);
	double mad = quantile(dev, ns, 0.5);
	printf("{\"kernel\":\"%s\",\"pages\":%u,\"density\":", kernel, c->fx->pages);
	if (density < 0)
		printf("null");
	else
		printf("%g", density);
	printf(",\"unit\":\"%s\",\"items\":%u,\"median\":%.6g,\"mad\":%.6g,\"min\":%.6g,\"max\":%.6g,\"samples\":%zu}\n",
	       unit, items, med, mad, s[0], s[ns - 1], ns);
	fflush(stdout);
	free(dev);
	free(s);
}

/* The hooks of casesFor(), one per kernel phase. */
static void h_load_list(struct ctx *c) { memcpy(A + c->ar->scratch, c->list, c->fx->n * 4); }
static void h_push(struct ctx *c) { sink = ring_push_batch(c->ar->vcpu, 0, c->ar->scratch, c->fx->n); }
static void h_harvest(struct ctx *c) { sink = ring_harvest(c->ar->vcpu, c->fx->n); }
static void h_reset(struct ctx *c) { sink = ring_reset(c->ar->vcpu, INT_MAX_U); }
static void h_harvest_reset(struct ctx *c) { h_harvest(c); h_reset(c); }
static void h_push_harvest(struct ctx *c) { h_push(c); h_harvest(c); }
static void h_mark(struct ctx *c)
{
	sink = fault_write_batch(c->ar->vcpu, c->ar->desc, c->ar->scratch, c->fx->marks[c->d]);
}
static void h_mark_after(struct ctx *c)
{
	bitmap_fill(c->ar->armed, c->fx->pages, 1);
	bitmap_fill(c->ar->dirty, c->fx->pages, 0);
}
static void h_set_dirty(struct ctx *c) { memcpy(A + c->ar->dirty, c->fx->tmpl[c->d], c->ar->bitmap_bytes); }
static void h_set_dirty_arg(struct ctx *c)
{
	h_set_dirty(c);
	memcpy(A + c->ar->clear_arg, c->fx->tmpl[c->d], c->ar->bitmap_bytes);
}
static void h_get(struct ctx *c) { sink = get_dirty_log(c->ar->desc); }
static void h_clear(struct ctx *c) { sink = (u32)clear_dirty_log(c->ar->desc, 0, c->fx->pages); }

static int is_ring_kernel(const char *k)
{
	return !strcmp(k, "push") || !strcmp(k, "harvest") || !strncmp(k, "reset-", 6);
}

static void bench(u32 pages, const char *kernel, const struct bench_opts *o, int ndens, char **dens)
{
	struct fixtures fx = make_fixtures(pages, ndens, dens);
	int ring = is_ring_kernel(kernel);
	struct arena ar = make_arena(pages, ring);
	struct ctx c = { &ar, &fx, fx.random, 0 };
	if (ring) {
		if (!strcmp(kernel, "reset-seq"))
			c.list = fx.seq;
		else if (!strcmp(kernel, "reset-desc"))
			c.list = fx.desc;
		h_load_list(&c); /* beforeAll */
		if (!strcmp(kernel, "push"))
			run(kernel, &c, NULL, h_push, h_harvest_reset, fx.n, "ns/entry", o, -1);
		else if (!strcmp(kernel, "harvest"))
			run(kernel, &c, h_push, h_harvest, h_reset, fx.n, "ns/entry", o, -1);
		else if (!strcmp(kernel, "reset-seq") || !strcmp(kernel, "reset-random") || !strcmp(kernel, "reset-desc"))
			run(kernel, &c, h_push_harvest, h_reset, NULL, fx.n, "ns/entry", o, -1);
		else {
			fprintf(stderr, "unknown kernel %s\n", kernel);
			exit(2);
		}
	} else {
		for (u32 d = 0; d < fx.ndens; d++) {
			c.d = d;
			if (!strcmp(kernel, "mark")) {
				memcpy(A + ar.scratch, fx.mark_list[d], fx.marks[d] * 4); /* beforeAll */
				run(kernel, &c, NULL, h_mark, h_mark_after, fx.marks[d], "ns/page", o, fx.density[d]);
			} else if (!strcmp(kernel, "get")) {
				run(kernel, &c, h_set_dirty, h_get, NULL, 1, "ms/call", o, fx.density[d]);
			} else if (!strcmp(kernel, "clear")) {
				run(kernel, &c, h_set_dirty_arg, h_clear, NULL, 1, "ms/call", o, fx.density[d]);
			} else {
				fprintf(stderr, "unknown kernel %s\n", kernel);
				exit(2);
			}
		}
	}
	free_arena(&ar);
}

/* ---- check: results and checksums for the cross-check against the Wasm engine --------- */

/* FNV-1a over u32 words; compare.ts computes the same over the Wasm arena. */
static u32 hash_words(const void *p, size_t bytes)
{
	const u32 *w = p;
	u32 h = 0x811c9dc5u;
	for (size_t i = 0; i < bytes / 4; i++)
		h = (h ^ w[i]) * 16777619u;
	return h;
}

static void check(u32 pages, int ndens, char **dens)
{
	struct fixtures fx = make_fixtures(pages, ndens, dens);
	printf("{\"pages\":%u,\"lists\":{\"seq\":%u,\"random\":%u,\"desc\":%u}", pages, hash_words(fx.seq, fx.n * 4),
	       hash_words(fx.random, fx.n * 4), hash_words(fx.desc, fx.n * 4));
	/* Ring: per pattern, on a fresh ring with the armed bitmap cleared, push, harvest, reset once. */
	printf(",\"ring\":{");
	const char *names[] = { "reset-seq", "reset-random", "reset-desc" };
	const u32 *lists[] = { fx.seq, fx.random, fx.desc };
	for (int k = 0; k < 3; k++) {
		struct arena ar = make_arena(pages, 1);
		bitmap_fill(ar.armed, pages, 0);
		memcpy(A + ar.scratch, lists[k], fx.n * 4);
		u32 pushed = ring_push_batch(ar.vcpu, 0, ar.scratch, fx.n);
		u32 harvested = ring_harvest(ar.vcpu, fx.n);
		u32 hbuf = hash_words(A + ar.harvest, fx.n * 16);
		u32 reset = ring_reset(ar.vcpu, INT_MAX_U);
		printf("%s\"%s\":{\"pushed\":%u,\"harvested\":%u,\"harvestBuf\":%u,\"reset\":%u,\"batches\":%u,\"armed\":%u,\"rejected\":%u}",
		       k ? "," : "", names[k], pushed, harvested, hbuf, reset, L32(ar.vcpu + VCPU_RESET_BATCHES),
		       hash_words(A + ar.armed, ar.bitmap_bytes), L32(VM_CTL + VM_REJECTED_BATCHES));
		free_arena(&ar);
	}
	/* Bitmap: per density, one mark, one GET (armed cleared first), one CLEAR. */
	printf("},\"bitmap\":[");
	for (u32 d = 0; d < fx.ndens; d++) {
		struct arena ar = make_arena(pages, 0);
		memcpy(A + ar.scratch, fx.mark_list[d], fx.marks[d] * 4);
		u32 marked = fault_write_batch(ar.vcpu, ar.desc, ar.scratch, fx.marks[d]);
		u32 mark_dirty = hash_words(A + ar.dirty, ar.bitmap_bytes), mark_armed = hash_words(A + ar.armed, ar.bitmap_bytes);
		bitmap_fill(ar.armed, pages, 0);
		memcpy(A + ar.dirty, fx.tmpl[d], ar.bitmap_bytes);
		u32 got = get_dirty_log(ar.desc);
		u32 get_snap = hash_words(A + ar.snapshot, ar.bitmap_bytes), get_armed = hash_words(A + ar.armed, ar.bitmap_bytes);
		bitmap_fill(ar.armed, pages, 0);
		memcpy(A + ar.dirty, fx.tmpl[d], ar.bitmap_bytes);
		/* A clear-arg of every other word of the template, so some dirty bits survive. */
		memcpy(A + ar.clear_arg, fx.tmpl[d], ar.bitmap_bytes);
		for (u32 i = 0; i < ar.bitmap_bytes / 8; i += 2)
			L64(word_addr(ar.clear_arg, i)) = 0;
		int32_t cleared = clear_dirty_log(ar.desc, 0, pages);
		printf("%s{\"density\":%g,\"template\":%u,\"marks\":%u,\"marked\":%u,\"markDirty\":%u,\"markArmed\":%u,"
		       "\"get\":%u,\"getSnapshot\":%u,\"getArmed\":%u,\"clear\":%d,\"clearDirty\":%u,\"clearArmed\":%u}",
		       d ? "," : "", fx.density[d], hash_words(fx.tmpl[d], ar.bitmap_bytes), hash_words(fx.mark_list[d], fx.marks[d] * 4),
		       marked, mark_dirty, mark_armed, got, get_snap, get_armed, cleared,
		       hash_words(A + ar.dirty, ar.bitmap_bytes), hash_words(A + ar.armed, ar.bitmap_bytes));
		free_arena(&ar);
	}
	printf("]}\n");
}


/* ---- the two-thread pipeline: the twin of `dirtylog bench transfer` ---------------------
 *
 * The same protocol as src/vcpu/vcpu-worker.ts and src/vmm/collector-worker.ts in poll mode,
 * on the same arena layout and kernels: a vCPU thread faults on fresh sequential pages of a
 * 64 GiB slot (every write pushes an entry); at the soft limit it exits, rings the reaper's
 * doorbell and waits for a reset (spinning 50 us, then sleeping on a futex). The reaper waits
 * (spinning) for a batch of 1/8 of the ring (its last entry DIRTY) or a doorbell, then, as
 * the collector's reap does, harvests a chunk of at most 512 entries straight into its
 * collected bitmap (QEMU's kvm_dirty_ring_reap_one), resets it (KVM_RESET_DIRTY_RINGS) and
 * wakes the vCPU, then chunks twice as large each time while 512 entries are there; a batch
 * found by polling, with nobody waiting, and a ring of 512 entries or fewer are reaped whole.
 * Stalls are counted in the engine's log-spaced buckets (layout.ts stallBucket).
 */
#define REAP_CHUNK 512u
#define STALL_BUCKETS 64

/* Each shared word on a line of its own: the reaper spins on bell_collector while the vCPU
 * counts every write, and the two on one line cost a cache-line transfer per write (it held
 * this twin to 4-6 M entries/s). */
#define LINE __attribute__((aligned(64)))
static LINE u32 bell_collector;
static LINE u32 bell_resume;
static LINE volatile int pipeline_stop;
static LINE u64 exits, stall_ns, written;
static u32 hist[STALL_BUCKETS];

static long futex(u32 *word, int op, u32 val, long timeout_ns)
{
	struct timespec t = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
	return syscall(SYS_futex, word, op, val, timeout_ns ? &t : NULL, NULL, 0);
}

static void ring_bell(u32 *word)
{
	__atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
	futex(word, FUTEX_WAKE_PRIVATE, 1 << 30, 0);
}

static u64 now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (u64)t.tv_sec * 1000000000u + (u64)t.tv_nsec;
}

static u32 ring_used(u32 vcpu)
{
	return __atomic_load_n(P32(vcpu + VCPU_DIRTY_INDEX), __ATOMIC_RELAXED) - __atomic_load_n(P32(vcpu + VCPU_RESET_INDEX), __ATOMIC_ACQUIRE);
}

/* Harvest with marking, in one pass, at most `max` entries: dirtyRingsCollect in assembly/collect.ts. */
static u32 ring_collect(u32 vcpu, u32 collected, u32 max)
{
	u32 entries = L32(vcpu + VCPU_ENTRIES);
	u32 fetch = L32(vcpu + VCPU_FETCH_INDEX), n = 0;
	if (max > entries)
		max = entries;
	while (n < max) {
		u32 e = entry_addr(vcpu, fetch);
		if (gfn_flags(e) != GFN_F_DIRTY)
			break;
		u64 o = L64(e + GFN_OFFSET);
		L64(collected + ((o >> 6) << 3)) |= 1ull << (o & 63);
		gfn_mark_harvested(e);
		fetch++;
		n++;
	}
	__atomic_store_n(P32(vcpu + VCPU_FETCH_INDEX), fetch, FETCH_ORDER);
	return n;
}

static void *pipeline_vcpu(void *arg)
{
	struct arena *ar = arg;
	u32 vcpu = ar->vcpu, soft = L32(vcpu + VCPU_SOFT_LIMIT), pages = L32(ar->desc + SLOT_NPAGES), page = 0;
	while (!pipeline_stop) {
		for (u32 k = 0; k < 4096; k++) { /* a slice: sliceWrites 4096, as the transfer bench */
			int r = fault_write(vcpu, ar->desc, page);
			if (r == FAULT_RING_FULL)
				break; /* retried after the reset */
			written++;
			page = page + 1 == pages ? 0 : page + 1;
			if (r == FAULT_RING_SOFT_FULL)
				break;
		}
		if (ring_used(vcpu) < soft)
			continue;
		/* KVM_EXIT_DIRTY_RING_FULL */
		u64 t0 = now_ns();
		exits++;
		ring_bell(&bell_collector);
		while (ring_used(vcpu) >= soft && !pipeline_stop) {
			u32 seen = __atomic_load_n(&bell_resume, __ATOMIC_ACQUIRE);
			if (ring_used(vcpu) < soft)
				break;
			u64 spin_until = now_ns() + 50000;
			while (__atomic_load_n(&bell_resume, __ATOMIC_ACQUIRE) == seen && now_ns() < spin_until)
				;
			if (__atomic_load_n(&bell_resume, __ATOMIC_ACQUIRE) == seen)
				futex(&bell_resume, FUTEX_WAIT_PRIVATE, seen, 5000000);
		}
		u64 ns = now_ns() - t0;
		stall_ns += ns;
		double us = ns / 1000.0;
		int b = us < 1 ? 0 : (int)floor(4 * log2(us));
		hist[b < STALL_BUCKETS ? b : STALL_BUCKETS - 1]++;
	}
	return NULL;
}

static u64 pipeline_harvested;

static void *pipeline_reaper(void *arg)
{
	struct arena *ar = arg;
	u32 vcpu = ar->vcpu, entries = L32(vcpu + VCPU_ENTRIES), batch = entries / 8;
	if (batch < 64)
		batch = 64;
	if (batch > entries)
		batch = entries;
	u32 chunk = REAP_CHUNK < entries ? REAP_CHUNK : entries;
	u32 bell = __atomic_load_n(&bell_collector, __ATOMIC_ACQUIRE);
	while (!pipeline_stop) {
		u32 seen = bell;
		for (u32 spins = 1; !pipeline_stop; spins++) {
			bell = __atomic_load_n(&bell_collector, __ATOMIC_ACQUIRE);
			if (bell != seen)
				break;
			/* The batch's last entry, never dirty_index: that line is written by every push. */
			if (spins % 64 == 0 && gfn_flags(entry_addr(vcpu, L32(vcpu + VCPU_FETCH_INDEX) + batch - 1)) == GFN_F_DIRTY)
				break;
		}
		/* Chunks only when the vCPU rang: a batch found by polling has nobody waiting. */
		for (u32 max = bell != seen ? chunk : entries;; max = max * 2 < entries ? max * 2 : entries) {
			u32 n = ring_collect(vcpu, ar->collected, max);
			if (!n)
				break;
			pipeline_harvested += n;
			ring_reset(vcpu, INT_MAX_U);
			ring_bell(&bell_resume);
			if (max == entries || pipeline_stop ||
			    gfn_flags(entry_addr(vcpu, L32(vcpu + VCPU_FETCH_INDEX) + chunk - 1)) != GFN_F_DIRTY)
				break;
		}
	}
	return NULL;
}

static double stall_quantile(double q)
{
	u64 total = 0, seen = 0;
	for (int b = 0; b < STALL_BUCKETS; b++)
		total += hist[b];
	if (!total)
		return 0;
	for (int b = 0; b < STALL_BUCKETS; b++) {
		seen += hist[b];
		if (seen >= q * total)
			return pow(2, (b + 0.5) / 4);
	}
	return pow(2, (STALL_BUCKETS - 0.5) / 4);
}

static void pipeline(u32 ring_entries, double seconds)
{
	struct arena ar = make_ring_arena(1u << 24, ring_entries); /* 64 GiB, as TRANSFER_GUEST */
	pthread_t v, r;
	pthread_create(&r, NULL, pipeline_reaper, &ar);
	pthread_create(&v, NULL, pipeline_vcpu, &ar);
	u64 t0 = now_ns();
	struct timespec d = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
	nanosleep(&d, NULL);
	pipeline_stop = 1;
	ring_bell(&bell_resume);
	pthread_join(v, NULL);
	pthread_join(r, NULL);
	double s = (now_ns() - t0) / 1e9;
	printf("{\"ring\":%u,\"seconds\":%.3f,\"writes\":%llu,\"entriesHarvested\":%llu,\"mEntriesPerSecond\":%.3f,"
	       "\"fullExitsPerSecond\":%.1f,\"stallShare\":%.4f,\"stallPerExitUs\":%.2f}\n",
	       ring_entries, s, (unsigned long long)written, (unsigned long long)pipeline_harvested,
	       pipeline_harvested / s / 1e6, exits / s, stall_ns / 1e9 / s, stall_quantile(0.5));
	free_arena(&ar);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "pipeline")) {
		pipeline((u32)strtoul(argv[2], NULL, 0), strtod(argv[3], NULL));
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "check")) {
		check((u32)strtoul(argv[2], NULL, 0), argc - 3, argv + 3);
		return 0;
	}
	if (argc >= 7 && !strcmp(argv[1], "bench")) {
		struct bench_opts o = { strtod(argv[4], NULL), (u32)strtoul(argv[5], NULL, 0), (u32)strtoul(argv[6], NULL, 0) };
		bench((u32)strtoul(argv[2], NULL, 0), argv[3], &o, argc - 7, argv + 7);
		return 0;
	}
	fprintf(stderr, "usage: kernels bench <pages> <kernel> <timeMs> <minIterations> <warmupIterations> <density>...\n"
			"       kernels check <pages> <density>...\n"
			"       kernels pipeline <ringEntries> <seconds>\n");
	return 2;
}
