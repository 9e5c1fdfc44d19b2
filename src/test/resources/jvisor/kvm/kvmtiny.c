/*
 * kvmtiny: the smallest KVM virtual machine monitor we could write for RISC-V (issue 19).
 *
 * It asks /dev/kvm for a VM with one vcpu and 64 KiB of RAM at guest-physical 0x8000_0000,
 * puts a few hand-assembled instructions there and runs them. The guest stores to and loads from
 * a device at 0x1000_0000, outside every memory slot, so each access leaves KVM_RUN with
 * KVM_EXIT_MMIO; we print it (the test compares the lines), answer loads and run on. On the way
 * the guest takes traps of its own (a breakpoint KVM delegates, an illegal instruction KVM
 * redirects, a page fault of its own page tables and a timer interrupt it asked for through SBI),
 * makes an SBI call (of an experimental extension) that KVM hands to us, and turns on paging, so
 * that its page-table walks go through KVM's stage-2 tables. It also stores to its own RAM, which
 * we check in our mapping.
 *
 * Built static with Debian's riscv64-linux-gnu-gcc; run inside a jvisor guest whose kernel has
 * loaded kvm.ko. With the argument "migrate" it moves itself to the next CPU before every
 * KVM_RUN, so that the vcpu's state, its VMID and the stage-2 TLB entries must follow it from hart
 * to hart. Exits 0 when every step happened as expected.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_BASE 0x80000000UL
#define RAM_SIZE 0x10000UL
#define HANDLER 0x200         /* the guest's trap handler, an offset in its RAM */
#define RESULT 0x800          /* where the guest stores to its own RAM */
#define PAGE_TABLE 0x1000     /* its Sv39 root page table */
#define DEVICE 0x10000000UL   /* the device it talks to: no memory slot here */
#define DONE (DEVICE + 0x48)  /* the guest's last store */
#define ANSWER 0x12345678UL   /* what its MMIO load reads */
#define SBI_ANSWER 0x55       /* what its SBI call returns */

/*
 * The guest (t0 = DEVICE all along, t1 = 42; the handler reports scause at DEVICE + 0x20 and, for
 * exceptions, sepc at DEVICE + 0x28, then skips the trapping instruction).
 */
static const uint32_t guest[] = {
    0x100002b7, /* 00  lui   t0, 0x10000 */
    0x02a00313, /* 04  addi  t1, zero, 42 */
    0x0062a023, /* 08  sw    t1, 0(t0)          MMIO store, 4 bytes */
    0x0082a383, /* 0c  lw    t2, 8(t0)          MMIO load, 4 bytes */
    0x00138393, /* 10  addi  t2, t2, 1 */
    0x0072b823, /* 14  sd    t2, 16(t0)         MMIO store, 8 bytes */
    0x00000e17, /* 18  auipc t3, 0 */
    0x7e7e3423, /* 1c  sd    t2, 2024(t3)       RAM store at RESULT */
    0x00628c23, /* 20  sb    t1, 24(t0)         MMIO store, 1 byte */
    0x00000e17, /* 24  auipc t3, 0 */
    0x1dce0e13, /* 28  addi  t3, t3, 476        t3 = the handler */
    0x105e1073, /* 2c  csrw  stvec, t3 */
    0x00100073, /* 30  ebreak                   KVM's hedeleg sends it to us */
    0xc0001073, /* 34  csrw  cycle, zero        illegal: KVM redirects it to us */
    0x080008b7, /* 38  lui   a7, 0x8000         SBI experimental extension 0x08000000 ... */
    0x04b00513, /* 3c  addi  a0, zero, 'K' */
    0x00000073, /* 40  ecall                    ... which KVM forwards to the monitor */
    0x02a2b823, /* 44  sd    a0, 48(t0)         MMIO store of what the call returned */
    0x80001e37, /* 48  lui   t3, 0x80001 */
    0x020e1e13, /* 4c  slli  t3, t3, 32 */
    0x02ce5e13, /* 50  srli  t3, t3, 44         t3 = PPN of the page table */
    0xfff00e93, /* 54  addi  t4, zero, -1 */
    0x03fe9e93, /* 58  slli  t4, t4, 63         t4 = Sv39 mode */
    0x01de6e33, /* 5c  or    t3, t3, t4 */
    0x180e1073, /* 60  csrw  satp, t3           paging on */
    0x12000073, /* 64  sfence.vma */
    0xd0000eb7, /* 68  lui   t4, 0xd0000        t4 = 0xffffffffd0000000, DEVICE's alias */
    0x046ea023, /* 6c  sw    t1, 64(t4)         MMIO store through the alias */
    0x40000eb7, /* 70  lui   t4, 0x40000 */
    0x000ebf03, /* 74  ld    t5, 0(t4)          unmapped: our own load page fault */
    0x00000493, /* 78  addi  s1, zero, 0 */
    0x02000e13, /* 7c  addi  t3, zero, 32 */
    0x104e2073, /* 80  csrs  sie, t3            STIE */
    0x10016073, /* 84  csrsi sstatus, 2         SIE */
    0xc0102573, /* 88  rdtime a0 */
    0x00002e37, /* 8c  lui   t3, 2 */
    0x01c50533, /* 90  add   a0, a0, t3         a0 = now + 8192 ticks */
    0x00000813, /* 94  addi  a6, zero, 0        SBI TIME set_timer ... */
    0x544958b7, /* 98  lui   a7, 0x54495 */
    0xd4588893, /* 9c  addi  a7, a7, -699       a7 = 0x54494d45 "TIME" */
    0x00000073, /* a0  ecall                    ... which KVM answers itself */
    0x10500073, /* a4  wfi */
    0xfe048ee3, /* a8  beqz  s1, 0xa4           until the timer interrupt came */
    0x04628423, /* ac  sb    t1, 72(t0)         MMIO store at DONE */
    0x0000006f, /* b0  j     0xb0 */
};

static const uint32_t handler[] = {
    0x14202f73, /* 200  csrr  t5, scause */
    0x03e2b023, /* 204  sd    t5, 32(t0)        MMIO store of scause */
    0x000f4c63, /* 208  bltz  t5, 0x220 */
    0x14102f73, /* 20c  csrr  t5, sepc */
    0x03e2b423, /* 210  sd    t5, 40(t0)        MMIO store of sepc */
    0x004f0f13, /* 214  addi  t5, t5, 4 */
    0x141f1073, /* 218  csrw  sepc, t5 */
    0x10200073, /* 21c  sret */
    0x00100493, /* 220  addi  s1, zero, 1       an interrupt (the timer's) */
    0x10401073, /* 224  csrw  sie, zero */
    0x10200073, /* 228  sret */
};

static void die(const char *what) {
    printf("kvmtiny: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint64_t core_reg(size_t offset) {
    return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | (offset / sizeof(unsigned long));
}

static uint64_t get_reg(int vcpu, uint64_t id) {
    uint64_t v = 0;
    struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&v };
    if (ioctl(vcpu, KVM_GET_ONE_REG, &r) < 0) die("KVM_GET_ONE_REG");
    return v;
}

/* Moves the calling thread to the next online CPU, round robin. */
static void next_cpu(int step) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(step % cpus, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity");
}

int main(int argc, char **argv) {
    int migrate = argc > 1 && strcmp(argv[1], "migrate") == 0;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("open /dev/kvm");
    int version = ioctl(kvm, KVM_GET_API_VERSION, 0);
    printf("kvmtiny: api version %d\n", version);
    if (version != KVM_API_VERSION) return 1;

    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED) die("mmap ram");
    memcpy(ram, guest, sizeof guest);
    memcpy(ram + HANDLER, handler, sizeof handler);
    /* Gigapages, valid, readable, writable, executable, accessed and dirty: 0 -> 0 (the device),
       RAM_BASE -> RAM_BASE (the code) and 0xffffffffc0000000 -> 0; 0x40000000 stays unmapped. */
    uint64_t *root = (uint64_t *)(ram + PAGE_TABLE);
    root[0] = 0xcf;
    root[RAM_BASE >> 30] = (RAM_BASE >> 12) << 10 | 0xcf;
    root[511] = 0xcf;
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = RAM_SIZE, .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0) die("KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    uint64_t pc = RAM_BASE;
    uint64_t pc_id = core_reg(offsetof(struct kvm_riscv_core, regs.pc));
    struct kvm_one_reg set_pc = { .id = pc_id, .addr = (uint64_t)(uintptr_t)&pc };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &set_pc) < 0) die("KVM_SET_ONE_REG pc");

    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run)) die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    for (int exits = 0;; exits++) {
        if (exits == 30) {
            printf("kvmtiny: too many exits\n");
            return 1;
        }
        if (migrate) next_cpu(exits);
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die("KVM_RUN");
        }
        if (run->exit_reason == KVM_EXIT_INTR) continue;
        if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write) {
            uint64_t data = 0;
            memcpy(&data, run->mmio.data, run->mmio.len); /* little-endian, as the guest stored it */
            printf("kvmtiny: mmio write 0x%llx len %u data 0x%llx\n", (unsigned long long)run->mmio.phys_addr,
                   run->mmio.len, (unsigned long long)data);
            if (run->mmio.phys_addr == DONE) break;
        } else if (run->exit_reason == KVM_EXIT_MMIO) {
            uint64_t answer = ANSWER;
            memcpy(run->mmio.data, &answer, run->mmio.len);
            printf("kvmtiny: mmio read 0x%llx len %u answered 0x%llx\n", (unsigned long long)run->mmio.phys_addr,
                   run->mmio.len, (unsigned long long)answer);
        } else if (run->exit_reason == KVM_EXIT_RISCV_SBI) {
            printf("kvmtiny: sbi extension 0x%lx function %lu a0 0x%lx answered 0x%x\n", run->riscv_sbi.extension_id,
                   run->riscv_sbi.function_id, run->riscv_sbi.args[0], SBI_ANSWER);
            run->riscv_sbi.ret[0] = SBI_ANSWER;
            run->riscv_sbi.ret[1] = 0;
        } else {
            printf("kvmtiny: unexpected exit %u at pc 0x%llx\n", run->exit_reason,
                   (unsigned long long)get_reg(vcpu, pc_id));
            return 1;
        }
    }
    uint64_t in_ram;
    memcpy(&in_ram, ram + RESULT, sizeof in_ram);
    printf("kvmtiny: ram 0x%lx holds 0x%llx, t2 0x%llx, pc 0x%llx\n", RAM_BASE + RESULT, (unsigned long long)in_ram,
           (unsigned long long)get_reg(vcpu, core_reg(offsetof(struct kvm_riscv_core, regs.t2))),
           (unsigned long long)get_reg(vcpu, pc_id));
    int ok = in_ram == ANSWER + 1;
    printf("kvmtiny: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
