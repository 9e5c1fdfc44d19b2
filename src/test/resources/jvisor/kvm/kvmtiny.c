/*
 * kvmtiny: the smallest KVM virtual machine monitor we could write for RISC-V (issue 19).
 *
 * It asks /dev/kvm for a VM with one vcpu and 64 KiB of RAM at guest-physical 0x8000_0000,
 * puts a few hand-assembled instructions there and runs them. The guest stores to and loads from
 * a device at 0x1000_0000, outside every memory slot, so each access leaves KVM_RUN with
 * KVM_EXIT_MMIO; we print it (the test compares the lines), answer the load and run on. The
 * guest also stores to its own RAM, which the monitor checks through its own mapping.
 *
 * Built static with Debian's riscv64-linux-gnu-gcc; run inside a jvisor guest whose kernel has
 * loaded kvm.ko. Exits 0 when every step happened as expected.
 */
#include <errno.h>
#include <fcntl.h>
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
#define DEVICE 0x10000000UL
#define ANSWER 0x12345678UL /* what the guest's MMIO load reads */

/*
 * The guest, one instruction a word (t0 = x5, t1 = x6, t2 = x7, t3 = x28):
 *   0x00 lui   t0, 0x10000        t0 = DEVICE
 *   0x04 addi  t1, zero, 42
 *   0x08 sw    t1, 0(t0)          MMIO store: 4 bytes of 42 at DEVICE
 *   0x0c lw    t2, 8(t0)          MMIO load: 4 bytes at DEVICE + 8 (we answer ANSWER)
 *   0x10 addi  t2, t2, 1
 *   0x14 sd    t2, 16(t0)         MMIO store: 8 bytes of ANSWER + 1 at DEVICE + 16
 *   0x18 auipc t3, 0              t3 = RAM_BASE + 0x18
 *   0x1c sd    t2, 232(t3)        RAM store at RAM_BASE + 0x100
 *   0x20 sb    t1, 24(t0)         MMIO store: 1 byte of 42 at DEVICE + 24
 *   0x24 j     0x24               (never reached: we stop at the last store)
 */
static const uint32_t guest[] = {
    0x100002b7, /* lui   t0, 0x10000 */
    0x02a00313, /* addi  t1, zero, 42 */
    0x0062a023, /* sw    t1, 0(t0) */
    0x0082a383, /* lw    t2, 8(t0) */
    0x00138393, /* addi  t2, t2, 1 */
    0x0072b823, /* sd    t2, 16(t0) */
    0x00000e17, /* auipc t3, 0 */
    0x0e7e3423, /* sd    t2, 232(t3) */
    0x00628c23, /* sb    t1, 24(t0) */
    0x0000006f, /* j     . */
};

static void die(const char *what) {
    printf("kvmtiny: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint64_t core_reg(size_t index) {
    return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | index;
}

static uint64_t get_reg(int vcpu, uint64_t id) {
    uint64_t v = 0;
    struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&v };
    if (ioctl(vcpu, KVM_GET_ONE_REG, &r) < 0) die("KVM_GET_ONE_REG");
    return v;
}

/* Runs the vcpu until its next MMIO exit; anything else ends the program. */
static void run_to_mmio(int vcpu, struct kvm_run *run) {
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die("KVM_RUN");
        }
        if (run->exit_reason == KVM_EXIT_MMIO) return;
        if (run->exit_reason == KVM_EXIT_INTR) continue;
        printf("kvmtiny: unexpected exit %u (pc 0x%llx)\n", run->exit_reason,
               (unsigned long long)get_reg(vcpu, core_reg(offsetof(struct kvm_riscv_core, regs.pc) / 8)));
        exit(1);
    }
}

static uint64_t data_of(struct kvm_run *run) {
    uint64_t v = 0;
    memcpy(&v, run->mmio.data, run->mmio.len); /* little-endian, as the guest stored it */
    return v;
}

int main(void) {
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
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = RAM_SIZE, .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0) die("KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    uint64_t pc = RAM_BASE;
    uint64_t pc_id = core_reg(offsetof(struct kvm_riscv_core, regs.pc) / sizeof(unsigned long));
    struct kvm_one_reg set_pc = { .id = pc_id, .addr = (uint64_t)(uintptr_t)&pc };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &set_pc) < 0) die("KVM_SET_ONE_REG pc");

    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run)) die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");

    for (int exits = 0; exits < 4; exits++) {
        run_to_mmio(vcpu, run);
        if (run->mmio.is_write) {
            printf("kvmtiny: mmio write 0x%llx len %u data 0x%llx\n", (unsigned long long)run->mmio.phys_addr,
                   run->mmio.len, (unsigned long long)data_of(run));
        } else {
            uint64_t answer = ANSWER;
            memcpy(run->mmio.data, &answer, run->mmio.len);
            printf("kvmtiny: mmio read 0x%llx len %u answered 0x%llx\n", (unsigned long long)run->mmio.phys_addr,
                   run->mmio.len, (unsigned long long)answer);
        }
    }
    uint64_t in_ram;
    memcpy(&in_ram, ram + 0x100, sizeof in_ram);
    size_t t2 = offsetof(struct kvm_riscv_core, regs.t2) / sizeof(unsigned long);
    printf("kvmtiny: ram 0x%lx holds 0x%llx, t2 0x%llx, pc 0x%llx\n", RAM_BASE + 0x100, (unsigned long long)in_ram,
           (unsigned long long)get_reg(vcpu, core_reg(t2)), (unsigned long long)get_reg(vcpu, pc_id));
    int ok = in_ram == ANSWER + 1;
    printf("kvmtiny: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
