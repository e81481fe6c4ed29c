# The kvm backend's guest: 64-bit code that runs natively at CPL3 (see guest.ts for why).
# `npm run gen:guest` assembles it with the offsets of guest.ts (--defsym) into
# guest-code.generated.ts; a test fails when that file is stale. No stack, no call: every
# value lives in registers or in the vCPU's guest control block (GCB), so a ring-full exit
# can stop the guest on any store and KVM_RUN resumes it there.

        .text
        .code64

# store_list: vcpu.write(). Stores RDX to each of the RCX addresses listed at RSI, then
# stores to RDI (no memslot: KVM_EXIT_MMIO) for "done". A ring-full exit leaves RIP on
# `mov %rdx, (%rax)`; KVM_RUN again retries exactly that store.
        .globl store_list
store_list:
        test    %rcx, %rcx
        jz      1f
        mov     (%rsi), %rax
        mov     %rdx, (%rax)
        add     $8, %rsi
        dec     %rcx
        jmp     store_list
1:      mov     %al, (%rdi)
        jmp     1b

# xorshift64* over GCB_RNG, as assembly/workload.ts next32: EAX = the top half of the
# product, the upper half of RAX zero. Clobbers RDX.
.macro NEXT32
        mov     GCB_RNG(%rdi), %rax
        mov     %rax, %rdx
        shr     $12, %rdx
        xor     %rdx, %rax
        mov     %rax, %rdx
        shl     $25, %rdx
        xor     %rdx, %rax
        mov     %rax, %rdx
        shr     $27, %rdx
        xor     %rdx, %rax
        mov     %rax, GCB_RNG(%rdi)
        movabs  $0x2545F4914F6CDD1D, %rdx
        imul    %rdx, %rax
        shr     $32, %rax
.endm

# run: a threaded run's vCPU (RDI = its GCB). The model's workloads, write for write: the
# page each write goes to is assembly/workload.ts nextPage on the same state, so the same
# seed gives the same pages in the same order on both backends. Each write stores the stamp
# (GCB_WRITES << 32 | GCB_STAMP) in the page's first 8 bytes, then records the page in the
# ground-truth bitmap read when the write began (the verifier's; GCB_TRUTH, 0 = off), then
# counts it. It looks at GCB_LEFT (the slice) before every write and at GCB_STOP (kicks,
# pauses) after every batch of GCB_BATCH writes (R10 counts it down; 1 but in tests), so a
# guest entered again always makes its batch first, as the model's vCPU makes a slice after
# answering a kick. Either sends it out through a store to DONE (KVM_EXIT_MMIO); KVM_RUN again
# carries on.
        .globl run
run:
        cmpq    $0, GCB_LEFT(%rdi)
        je      leave
        mov     GCB_PATTERN(%rdi), %eax
        cmp     $PATTERN_RANDOM, %eax
        je      random
        cmp     $PATTERN_ZIPF, %eax
        je      zipf
# sequential, strided, memstress: the cursor, wrapping (and counting a pass) past the region
        mov     $1, %ecx
        cmp     $PATTERN_STRIDED, %eax
        jne     1f
        mov     GCB_STRIDE(%rdi), %ecx
1:      mov     GCB_CURSOR(%rdi), %esi
        lea     (%rsi,%rcx), %rax
        mov     GCB_PAGES(%rdi), %ecx
        cmp     %rcx, %rax
        jb      2f
        xor     %edx, %edx
        div     %rcx
        mov     %rdx, %rax
        incl    GCB_PASSES(%rdi)
2:      mov     %eax, GCB_CURSOR(%rdi)
        mov     %esi, %eax
        jmp     store
# random: uniform in the region, the high half of a 32x32 product
random:
        NEXT32
        mov     GCB_PAGES(%rdi), %ecx
        imul    %rcx, %rax
        shr     $32, %rax
        jmp     store
# zipf: the smallest rank whose CDF entry exceeds u, scattered over the region
zipf:
        NEXT32
        mov     GCB_ZIPF(%rdi), %rsi
        xor     %ecx, %ecx
        mov     GCB_ZIPF_N(%rdi), %edx
        dec     %edx
3:      cmp     %edx, %ecx
        jae     5f
        lea     (%rcx,%rdx), %r8d
        shr     $1, %r8d
        cmp     %eax, (%rsi,%r8,4)
        jbe     4f
        mov     %r8d, %edx
        jmp     3b
4:      lea     1(%r8), %ecx
        jmp     3b
5:      mov     %ecx, %eax
        mov     $0x9E3779B1, %edx
        imul    %rdx, %rax
        mov     GCB_PAGES(%rdi), %ecx
        xor     %edx, %edx
        div     %rcx
        mov     %edx, %eax
# the write: EAX = the page's index in the region
store:
        add     GCB_START(%rdi), %eax
        mov     %eax, %ebx
        mov     %rax, %rsi
        shl     $12, %rsi
        add     GCB_SLOT_GPA(%rdi), %rsi
        mov     GCB_WRITES(%rdi), %rdx
        shl     $32, %rdx
        mov     GCB_STAMP(%rdi), %ecx
        or      %rcx, %rdx
        mov     GCB_TRUTH(%rdi), %r9
        mov     %rdx, (%rsi)
        test    %r9, %r9
        jz      6f
        bts     %rbx, (%r9)
6:      incq    GCB_WRITES(%rdi)
        decq    GCB_LEFT(%rdi)
        dec     %r10d
        jg      run
        mov     GCB_BATCH(%rdi), %r10d
        cmpl    $0, GCB_STOP(%rdi)
        je      run
leave:
        mov     %al, DONE
        jmp     run
