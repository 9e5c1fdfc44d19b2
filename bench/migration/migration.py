#!/usr/bin/env python3
"""One live migration of a booted Debian guest on this machine (bench/migration.sh runs it):
jvisor between two `jvisor serve` daemons through the REST API (what `jvisor vm migrate` does),
QEMU from one process to another started with `-incoming tcp:` through the source's monitor
(`migrate -d`). Both: 512 MiB, one hart, downtime limit 50 ms, no bandwidth cap. The guest runs
gapwatch (bench/migration/gapwatch.c), idle or writing memory; once the migration has ended the
destination's console must show gapwatch going on and answer a command, for CHECK seconds.

  migration.py OUTDIR jvisor|qemu idle|write KERNEL INITRD JVISOR

Prints a line per migration: SYSTEM MODE move K total S reported_ms MS guest_gap_ms MS bytes N rounds R
throttle P ok 1|0 (rounds: RAM passes; throttle: the auto-converge slow-down at the end, in %)
(reported_ms: the downtime the migrating program reports; guest_gap_ms: the longest 1 ms sleep
the guest saw after the migration began, less 1 ms, its own view of the downtime).
"""
import json, os, re, shutil, socket, subprocess, sys, time, urllib.request
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import console as c

CHECK = 10
MOVES = 4  # jvisor: back and forth between the same two daemons; the first move finds the destination's JVM cold
ATTACH_AFTER = 4  # seconds after a jvisor migration before its destination's console is attached
GAP = re.compile(rb'gapwatch max_us (\d+)')
ANSWER = re.compile(rb'R4\r*\n')  # a pty turns \n into \r\n, after the guest's \r


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def gaps_after(out, start=0):
    return [int(m.group(1)) for m in GAP.finditer(out, start)]


def check(dest):
    """The destination guest goes on: gapwatch lines keep coming and a command gets its answer."""
    start = len(dest.out)
    dest.idle(CHECK)
    alive = len(gaps_after(dest.out, start)) >= CHECK // 2
    dest.type('echo R$((2+2))')
    return alive and dest.wait_for(ANSWER, 60) is not None


class Daemon:
    def __init__(self, jvisor, state, log):
        self.p = subprocess.Popen([jvisor, 'serve', '--state', state, '--listen', '127.0.0.1:0'],
                                  stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not os.path.exists(os.path.join(state, 'address')):
            if time.time() > deadline or self.p.poll() is not None:
                sys.exit('migration.py: the daemon in ' + state + ' did not start')
            time.sleep(0.1)
        time.sleep(0.2)
        self.url = open(os.path.join(state, 'address')).read().strip()
        self.token = open(os.path.join(state, 'token')).read().strip()
        self.state = state

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.url + '/api/v1' + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={'Authorization': 'Bearer ' + self.token, 'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b'null')

    def console(self, jvisor, name, log):
        return c.Guest([jvisor, 'vm', '--state', self.state, 'console', name], log=log)

    def stop(self):
        self.p.terminate()
        self.p.wait(120)


def jvisor(out, mode, kernel, initrd, jv, moves):
    """Migrates the guest back and forth between two daemons `moves` times; returns a result per move."""
    shutil.rmtree(out, ignore_errors=True)  # a last run's daemons left their VM and address there
    os.makedirs(out)
    daemons = [Daemon(jv, os.path.join(out, n), open(os.path.join(out, n + '.log'), 'wb')) for n in ('a', 'b')]
    results = []
    try:
        a = daemons[0]
        a.call('POST', '/vms?start=true', {'name': 'g', 'kernel': kernel, 'initrd': initrd, 'memory': '512M',
                                           'append': 'console=ttyS0'})
        src = a.console(jv, 'g', open(os.path.join(out, 'jvisor-src.log'), 'wb'))
        if src.wait_for(c.PROMPT, 600) is None:
            sys.exit('migration.py: the jvisor guest did not reach its prompt')
        src.type('gapwatch' + (' write 64' if mode == 'write' else '') + ' &')
        src.idle(5)
        src.kill()
        for k in range(moves):
            a, b = daemons[k % 2], daemons[(k + 1) % 2]
            t = time.time()
            a.call('POST', '/vms/g/migrate', {'to': b.url, 'token': b.token, 'maxDowntimeMs': 50})
            while True:
                s = a.call('GET', '/vms/g/migration')
                if s['phase'] in ('done', 'failed', 'cancelled', 'unknown'):
                    break
                time.sleep(0.01)
            total = time.time() - t
            if s['phase'] != 'done':
                sys.exit('migration.py: the jvisor migration ended ' + json.dumps(s))
            # The console client is a JVM of its own (about a second of CPU on two cores): started
            # later, so that it does not compete with the guest in the seconds measured, whose
            # lines it gets from the daemon's replay of the console (QEMU's is attached throughout).
            time.sleep(ATTACH_AFTER)
            dest = b.console(jv, 'g', open(os.path.join(out, f'jvisor-dest{k}.log'), 'wb'))
            dest.wait_for(GAP, 30)
            ok = check(dest)
            gap = max(gaps_after(dest.out)[:3] or [-1000])
            dest.kill()
            results.append((total, s.get('downtimeMs') or -1, gap / 1000, s['progress']['bytesSent'], ok,
                            s['progress']['round'], s['progress']['throttlePercent']))
        return results
    finally:
        for d in daemons:
            d.stop()


def qemu(out, mode, kernel, initrd):
    base = ['qemu-system-riscv64', '-M', 'virt', '-nographic', '-m', '512M', '-smp', '1', '-nic', 'none',
            '-bios', 'default', '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0']
    mon = os.path.join(out, 'qemu-monitor.sock')
    if os.path.exists(mon):
        os.remove(mon)
    port = free_port()
    src = c.Guest(base + ['-monitor', f'unix:{mon},server,nowait'], log=open(os.path.join(out, 'qemu-src.log'), 'wb'))
    dest = c.Guest(base + ['-incoming', f'tcp:127.0.0.1:{port}'], log=open(os.path.join(out, 'qemu-dest.log'), 'wb'))
    try:
        if src.wait_for(c.PROMPT, 600) is None:
            sys.exit('migration.py: the QEMU guest did not reach its prompt')
        src.type('gapwatch' + (' write 64' if mode == 'write' else '') + ' &')
        src.idle(5)
        m = c.Monitor(mon)
        m('migrate_set_parameter downtime-limit 50')
        m('migrate_set_parameter max-bandwidth 100G')
        t = time.time()
        m(f'migrate -d tcp:127.0.0.1:{port}')
        while True:
            info = m('info migrate')
            if re.search(r'Migration status: (completed|failed|cancelled)', info):
                break
            src._read(0.005)
        total = time.time() - t
        if 'Migration status: completed' not in info:
            sys.exit('migration.py: the QEMU migration ended: ' + info)
        downtime = float(re.search(r'downtime: (\d+) ms', info).group(1))
        sent = int(re.search(r'transferred ram: (\d+) kbytes', info).group(1)) * 1024
        dest.wait_for(GAP, 30)
        ok = check(dest)
        gap = max(gaps_after(dest.out)[:3] or [-1000])
        rounds = re.search(r'dirty sync count: (\d+)', info)
        throttle = re.search(r'cpu throttle percentage: (\d+)', info)
        return total, downtime, gap / 1000, sent, ok, int(rounds.group(1)) if rounds else -1, int(throttle.group(1)) if throttle else 0
    finally:
        src.kill()
        dest.kill()


def main():
    out, system, mode, kernel, initrd, jv = sys.argv[1:7]
    os.makedirs(out, exist_ok=True)
    if system == 'jvisor':
        results = jvisor(os.path.join(out, 'jvisor'), mode, kernel, initrd, jv, MOVES)
    else:
        results = [qemu(out, mode, kernel, initrd)]
    for k, (total, reported, gap, sent, ok, rounds, throttle) in enumerate(results):
        print(f'{system} {mode} move {k} total {total:.3f} reported_ms {reported:.1f} guest_gap_ms {gap:.1f} bytes {sent}'
              f' rounds {rounds} throttle {throttle} ok {int(ok)}')


if __name__ == '__main__':
    main()
