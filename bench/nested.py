#!/usr/bin/env python3
"""A nested KVM boot inside a guest (bench/nested.sh runs it): boots the test guest given by ARGV
(its /init loads 9p and kvm and prints the ready line), mounts the share tagged `guest` (the test
guest's own folder, with qemu/), runs the QEMU in it with -accel kvm on the same kernel and
initramfs, as KvmGuestTest does, waits for the nested guest's ready line, checks that the shell
answering is the nested one, powers the nested guest off and then the outer one.

  nested.py LOG VCPUS -- ARGV...

Prints one line: `outer S nested S exit S status OK` (seconds from starting the process to the
outer shell, from typing the nested QEMU command to the nested ready line, and from typing the
nested `poweroff -f` to QEMU's exit), or, when a step does not finish in its time,
`failed STEP after S s` followed by the console's last lines."""
import os, re, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import console as c

READY = re.compile(rb'jvisor-test-ready\r*\n')
MOUNT = 'mount -t 9p -o trans=virtio,version=9p2000.L guest /mnt'
NESTED = ('/mnt/qemu/lib/ld-linux-riscv64-lp64d.so.1 --library-path /mnt/qemu/lib /mnt/qemu/qemu-system-riscv64'
          ' -M virt -accel kvm -cpu host -smp {cpus} -m 128M -nographic -bios none -kernel /mnt/vmlinux'
          " -initrd /mnt/initrd.gz -append 'console=ttyS0 quiet jvisor.nested=yes'; echo \"QEMU-\"\"EXIT $?\"")
OUTER_TIMEOUT, NESTED_TIMEOUT = 600, 3600


def main():
    log, cpus, argv = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
    g = c.Guest(argv, open(log, 'wb'))
    t = g.started

    seen = 0  # where the next step's search starts: after the last step's match

    def step(name, pattern, timeout):
        nonlocal seen
        deadline = time.time() + timeout
        while not (m := pattern.search(g.out, seen)):
            left = deadline - time.time()
            if left <= 0 or (not g._read(min(left, 0.2)) and g._reap()):
                tail = g.out.decode(errors='replace').replace('\r', '').splitlines()[-15:]
                print(f'failed {name} after {timeout - max(left, 0):.1f} s')
                print('\n'.join(tail))
                g.kill()
                sys.exit(1)
        seen = m.end()

    step('outer boot', READY, OUTER_TIMEOUT)
    step('outer shell', c.PROMPT, OUTER_TIMEOUT)
    outer = time.time() - t
    g.type(MOUNT)
    step('mount', c.PROMPT, 60)
    t = time.time()
    g.type(NESTED.format(cpus=cpus))
    step('nested boot', READY, NESTED_TIMEOUT)
    nested = time.time() - t
    step('nested shell', c.PROMPT, 120)
    g.type('grep -o jvisor.nested=yes /proc/cmdline')
    step('nested command line', re.compile(rb'\njvisor.nested=yes\r*\n'), 120)
    step('nested shell', c.PROMPT, 120)
    t = time.time()
    g.type('poweroff -f')
    step('nested poweroff', re.compile(rb'QEMU-EXIT 0'), 600)
    down = time.time() - t
    step('outer shell', c.PROMPT, 120)
    g.type('poweroff -f')
    g.wait_exit(120)
    print(f'outer {outer:.2f} nested {nested:.2f} exit {down:.2f} status OK')


if __name__ == '__main__':
    main()
