// A small kernel written the way teaching kernels for QEMU's virt board are (xv6's shape):
// every hart starts in M-mode, hart 0 prints on the 16550 UART, takes CLINT timer interrupts,
// routes the disk's interrupt through the PLIC, and drives virtio-blk like xv6's driver: it
// checks QEMU's vendor id and negotiates only the low feature word, without VERSION_1. It
// reads sector 0, writes sector 1, reads it back, then powers off through the test device
// (status 0) or fails with a code that names the step that went wrong.
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

#define REG32(a) (*(volatile u32 *)(a))
#define REG64(a) (*(volatile u64 *)(a))

#define UART 0x10000000UL
#define TEST 0x100000UL
#define CLINT_MTIMECMP(h) (0x02004000UL + 8 * (h))
#define CLINT_MTIME 0x0200BFF8UL
#define PLIC 0x0C000000UL
#define PLIC_ENABLE(ctx) (PLIC + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (PLIC + 0x200004 + 0x1000 * (ctx))
#define VIRTIO0 0x10001000UL
#define VIRTIO0_IRQ 1
#define TICK 10000 // 1 ms at 10 MHz

// virtio-mmio registers and bits (virtio 1.2 §4.2.2, §2.1, §5.2)
#define V(off) REG32(VIRTIO0 + (off))
#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define VENDOR_ID 0x00c
#define DEVICE_FEATURES 0x010
#define DRIVER_FEATURES 0x020
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define F_BLK_RO 5
#define F_BLK_SCSI 7
#define F_BLK_CONFIG_WCE 11
#define F_BLK_MQ 12
#define F_ANY_LAYOUT 27
#define F_INDIRECT_DESC 28
#define F_EVENT_IDX 29
#define D_NEXT 1
#define D_WRITE 2
#define NUM 8

struct desc { u64 addr; u32 len; u16 flags; u16 next; };
struct avail { u16 flags; u16 idx; u16 ring[NUM]; u16 unused; };
struct used_elem { u32 id; u32 len; };
struct used { u16 flags; u16 idx; struct used_elem ring[NUM]; };
struct blk_req { u32 type; u32 reserved; u64 sector; };

static struct desc desc[NUM] __attribute__((aligned(4096)));
static struct avail avail __attribute__((aligned(4096)));
static struct used used __attribute__((aligned(4096)));
static struct blk_req req;
static volatile u8 req_status;
static u8 buf[512];
static u16 seen_used;

static volatile u32 started;       // secondary harts that reached C
static volatile u64 ticks;         // timer interrupts taken
static volatile u64 disk_irqs;     // virtio interrupts claimed from the PLIC
extern void trapvec(void);

static void putc(char c) {
  while ((*(volatile u8 *)(UART + 5) & 0x20) == 0) { } // LSR.THRE (byte registers, as on QEMU)
  *(volatile u8 *)UART = c;
}

static void puts(const char *s) { while (*s) putc(*s++); }

static void putnum(u64 n) {
  char b[21];
  int i = 20;
  b[i] = 0;
  do { b[--i] = '0' + n % 10; n /= 10; } while (n);
  puts(b + i);
}

static void fail(int code) {
  puts("teaching kernel: FAILED at step ");
  putnum(code);
  putc('\n');
  REG32(TEST) = 0x3333 | code << 16;
  for (;;) { }
}

static u64 r_mcause(void) { u64 x; asm volatile("csrr %0, mcause" : "=r"(x)); return x; }

void trap(void) {
  u64 cause = r_mcause();
  if (cause == (1UL << 63 | 7)) {            // machine timer
    ticks++;
    REG64(CLINT_MTIMECMP(0)) = ticks < 3 ? REG64(CLINT_MTIME) + TICK : ~0UL;
  } else if (cause == (1UL << 63 | 11)) {    // machine external, through the PLIC
    u32 irq = REG32(PLIC_CLAIM(0));
    if (irq == VIRTIO0_IRQ) {
      disk_irqs++;
      V(INTERRUPT_ACK) = V(INTERRUPT_STATUS) & 3;
    }
    if (irq) REG32(PLIC_CLAIM(0)) = irq;     // complete
  } else {
    fail(100 + (int)cause);
  }
}

static void virtio_init(void) {
  if (V(MAGIC) != 0x74726976 || V(VERSION) != 2 || V(DEVICE_ID) != 2 || V(VENDOR_ID) != 0x554d4551) fail(10);
  u32 status = 0;
  V(STATUS) = status;
  V(STATUS) = status |= S_ACKNOWLEDGE;
  V(STATUS) = status |= S_DRIVER;
  u32 features = V(DEVICE_FEATURES); // the low word only, as xv6 does
  features &= ~(1u << F_BLK_RO | 1u << F_BLK_SCSI | 1u << F_BLK_CONFIG_WCE | 1u << F_BLK_MQ
                | 1u << F_ANY_LAYOUT | 1u << F_EVENT_IDX | 1u << F_INDIRECT_DESC);
  V(DRIVER_FEATURES) = features;
  V(STATUS) = status |= S_FEATURES_OK;
  if (!(V(STATUS) & S_FEATURES_OK)) fail(11);
  V(QUEUE_SEL) = 0;
  if (V(QUEUE_READY)) fail(12);
  if (V(QUEUE_NUM_MAX) < NUM) fail(13);
  V(QUEUE_NUM) = NUM;
  V(QUEUE_DESC_LOW) = (u64)desc;
  V(QUEUE_DESC_HIGH) = (u64)desc >> 32;
  V(QUEUE_DRIVER_LOW) = (u64)&avail;
  V(QUEUE_DRIVER_HIGH) = (u64)&avail >> 32;
  V(QUEUE_DEVICE_LOW) = (u64)&used;
  V(QUEUE_DEVICE_HIGH) = (u64)&used >> 32;
  V(QUEUE_READY) = 1;
  V(STATUS) = status |= S_DRIVER_OK;
}

// One request of three descriptors (header, data, status); waits for the interrupt.
static void disk_rw(u64 sector, int write) {
  req.type = write ? 1 : 0; // VIRTIO_BLK_T_OUT : T_IN
  req.reserved = 0;
  req.sector = sector;
  req_status = 0xff;
  desc[0] = (struct desc){(u64)&req, sizeof req, D_NEXT, 1};
  desc[1] = (struct desc){(u64)buf, 512, (u16)(D_NEXT | (write ? 0 : D_WRITE)), 2};
  desc[2] = (struct desc){(u64)&req_status, 1, D_WRITE, 0};
  avail.ring[avail.idx % NUM] = 0;
  __sync_synchronize();
  avail.idx++;
  __sync_synchronize();
  V(QUEUE_NOTIFY) = 0;
  // Sleep until the device returns the request; interrupts wake us (one may be for an earlier one).
  while (*(volatile u16 *)&used.idx == seen_used) asm volatile("wfi");
  __sync_synchronize();
  if (used.idx != (u16)(seen_used + 1) || used.ring[seen_used % NUM].id != 0) fail(20);
  seen_used = used.idx;
  if (req_status != 0) fail(21);
}

static int same(const u8 *a, const char *b, int n) {
  for (int i = 0; i < n; i++) if (a[i] != (u8)b[i]) return 0;
  return 1;
}

void start(u64 hartid) {
  if (hartid != 0) { // every hart starts here; the others report in and idle
    __sync_fetch_and_add(&started, 1);
    for (;;) asm volatile("wfi");
  }
  puts("teaching kernel: hart 0 in M-mode\n");
  for (u64 spin = 0; started == 0; spin++) if (spin > 100000000) fail(1);
  puts("teaching kernel: harts up: ");
  putnum(started + 1);
  putc('\n');

  asm volatile("csrw mtvec, %0" : : "r"(trapvec));
  REG32(PLIC + 4 * VIRTIO0_IRQ) = 1;              // priority
  REG32(PLIC_ENABLE(0)) = 1u << VIRTIO0_IRQ;      // hart 0, M-mode context
  REG32(PLIC_THRESHOLD(0)) = 0;
  REG64(CLINT_MTIMECMP(0)) = REG64(CLINT_MTIME) + TICK;
  asm volatile("csrs mie, %0" : : "r"(1UL << 7 | 1UL << 11)); // MTIE, MEIE
  asm volatile("csrs mstatus, %0" : : "r"(1UL << 3));          // MIE
  while (ticks < 3) asm volatile("wfi");
  puts("teaching kernel: timer ticks: ");
  putnum(ticks);
  putc('\n');

  virtio_init();
  disk_rw(0, 0);
  if (!same(buf, "jvisor test disk", 16)) fail(30);
  puts("teaching kernel: sector 0: ");
  for (int i = 0; i < 16; i++) putc(buf[i]);
  putc('\n');
  const char *msg = "written by the teaching kernel";
  for (int i = 0; i < 512; i++) buf[i] = i < 30 ? msg[i] : (u8)i;
  disk_rw(1, 1);
  for (int i = 0; i < 512; i++) buf[i] = 0;
  disk_rw(1, 0);
  if (!same(buf, msg, 30) || buf[511] != (u8)511) fail(31);
  puts("teaching kernel: disk interrupts: ");
  putnum(disk_irqs);
  puts("\nteaching kernel: ok\n");
  REG32(TEST) = 0x5555;
  for (;;) { }
}
