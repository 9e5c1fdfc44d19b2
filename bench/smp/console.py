#!/usr/bin/env python3
"""Drives a guest's serial console through a pipe: waits for the shell prompt, types each command,
waits for the prompt again, and reports what the guest printed. Used by the SMP benchmarks.

  console.py [--timeout S] [--log FILE] --cmd 'uname -a' --cmd '@idle 30' --cmd 'poweroff -f' -- ./jvisor run ...

'@idle S' types nothing for S seconds. For each step it prints to stderr the wall time and the
CPU time the jvisor process (all its threads) used meanwhile, from /proc/PID/stat.
Exits with the guest's status, or 124 if a step timed out."""
import argparse, os, re, select, subprocess, sys, time

PROMPT = re.compile(rb'# (\x1b\[6n)?$')  # a root shell's prompt, last in the output (ash may query the cursor)
TICKS = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid):
    """User + system CPU time of process `pid`, all threads."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Guest:
    def __init__(self, argv, log):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = b''
        self.log = log

    def wait_for(self, pattern, timeout):
        """Reads output until `pattern` matches the text after the last match point; returns the text."""
        start, deadline = len(self.out), time.time() + timeout
        while time.time() < deadline:
            m = pattern.search(self.out, start)
            if m:
                return self.out[start:m.end()]
            r, _, _ = select.select([self.p.stdout], [], [], 0.5)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
                if self.log:
                    self.log.write(chunk)
                    self.log.flush()
        return None

    def type(self, line):
        self.p.stdin.write(line.encode() + b'\n')
        self.p.stdin.flush()


def report(step, t0, c0, pid):
    wall, cpu = time.time() - t0, cpu_seconds(pid) - c0
    print(f'console.py: {step}: wall {wall:.2f} s, jvisor CPU {cpu:.2f} s ({100 * cpu / wall:.1f}% of a core)',
          file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('--log')
    ap.add_argument('--cmd', action='append', default=[])
    ap.add_argument('argv', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = a.argv[1:] if a.argv and a.argv[0] == '--' else a.argv
    log = open(a.log, 'wb') if a.log else None
    g = Guest(argv, log)
    t0, c0 = time.time(), cpu_seconds(g.p.pid)
    if g.wait_for(PROMPT, a.timeout) is None:
        g.p.kill()
        sys.stdout.buffer.write(g.out)
        return 124
    report('boot', t0, c0, g.p.pid)
    for c in a.cmd:
        t0, c0 = time.time(), cpu_seconds(g.p.pid)
        if c.startswith('@idle '):
            time.sleep(float(c.split()[1]))
            report(c, t0, c0, g.p.pid)
            continue
        g.type(c)
        if c.startswith('poweroff'):
            break
        if g.wait_for(PROMPT, a.timeout) is None:
            g.p.kill()
            sys.stdout.buffer.write(g.out)
            return 124
        report(c, t0, c0, g.p.pid)
    try:
        rc = g.p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        g.p.kill()
        rc = 124
    rest = g.p.stdout.read()
    g.out += rest
    if log:
        log.write(rest)
    sys.stdout.buffer.write(g.out)
    return rc


if __name__ == '__main__':
    sys.exit(main())
