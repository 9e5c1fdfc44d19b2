#!/usr/bin/env python3
"""Save and restore of a booted, idle Debian guest (bench/snapshot.sh runs it): jvisor saves with
Ctrl-A S and restores with `jvisor restore`; QEMU saves with its monitor's `migrate "exec:cat > FILE"`
(bandwidth cap lifted) and restores with `-incoming "exec:cat FILE"`. For each it reports the save
time, the file's size (and its blocks on disk), and the time from starting the restoring process
until the guest has answered a console command typed at once.

  snapshot.py OUTDIR jvisor|qemu -- ARGV...   (ARGV boots the guest; prints one line of figures)
"""
import os, re, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import console as c

ANSWER = re.compile(rb'R4\r?\n')  # what `echo R$((2+2))` prints (the command itself echoes as R$((2+2)))


def restore_answer(argv, log):
    """Starts the restoring process with its console on pipes (as a script would drive it) and
    types a command every 20 ms until the guest answers one; returns the seconds from the start of
    the process to the first answer, or None if none came within 30 s. (QEMU drops what is typed
    before its guest runs; jvisor keeps it: typing again and again measures both the same way.)"""
    import select
    t = time.time()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, answered, typed = b'', None, 0.0
    while time.time() - t < 30:
        if time.time() - typed >= 0.02:
            p.stdin.write(b'echo R$((2+2))\r')
            p.stdin.flush()
            typed = time.time()
        r, _, _ = select.select([p.stdout], [], [], 0.005)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            if ANSWER.search(out):
                answered = time.time() - t
                break
    p.kill()
    p.wait()
    open(log, 'wb').write(out)
    return answered


def main():
    out, system, argv = sys.argv[1], sys.argv[2], sys.argv[4:]
    snap = os.path.join(out, f'{system}.snapshot')
    if os.path.exists(snap):
        os.remove(snap)
    if system == 'jvisor':
        argv = argv[:2] + ['--save-to', snap] + argv[2:]
    else:
        mon = os.path.join(out, 'qemu-monitor.sock')
        argv = argv + ['-monitor', f'unix:{mon},server,nowait']
    g = c.Guest(argv, log=open(os.path.join(out, f'{system}-save.log'), 'wb'))
    g.wait_for(c.PROMPT, 300)
    g.idle(3)
    if system == 'jvisor':
        t = time.time()
        os.write(g.fd, b'\x01s')
        g.wait_exit(120)
        m = re.search(rb'saved to .* \(([0-9.]+) MB in ([0-9.]+) s\)', g.out)
        save = float(m.group(2))
    else:
        monitor = c.Monitor(mon)
        monitor('migrate_set_parameter max-bandwidth 100G')
        t = time.time()
        monitor(f'migrate "exec:cat > {snap}"')
        while 'Migration status: completed' not in monitor('info migrate'):
            time.sleep(0.002)
        save = time.time() - t
        g.kill()
    size = os.path.getsize(snap)
    blocks = os.stat(snap).st_blocks * 512
    if system == 'jvisor':
        restore = [argv[0], 'restore', snap]
    else:
        restore = [a for a in argv if not a.startswith('unix:') and a != '-monitor'] + ['-incoming', f'exec:cat {snap}']
    log = os.path.join(out, f'{system}-restore.log')
    answered = restore_answer(restore, log)
    if answered is None and system == 'jvisor':
        sys.exit(f'snapshot.py: the restored jvisor guest never answered; see {log}')
    # QEMU 7.2 does not carry the RISC-V timer across a migration: now and then its restored
    # guest echoes what is typed and runs nothing more. Counted, not timed.
    answer = 'none' if answered is None else f'{answered:.3f}'
    print(f'{system} save {save:.3f} size {size} blocks {blocks} answer {answer}')


if __name__ == '__main__':
    main()
