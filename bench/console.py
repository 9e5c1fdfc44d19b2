#!/usr/bin/env python3
"""Drives a guest's serial console through a pseudo-terminal, as a person at a terminal would:
starts the machine (jvisor or QEMU) on the slave side of a fresh pty, waits for the shell
prompt, types each command, waits for the prompt again, and reports what the guest printed.
Every read has a deadline (select with a timeout), so a machine that stops talking cannot hang
the caller; on a timeout the machine's process group is killed.

  console.py [--timeout S] [--log FILE] [--login USER] --cmd 'uname -a' --cmd '@idle 30' --cmd 'poweroff -f' -- ./jvisor run ...

'@idle S' types nothing for S seconds (output is still read). The guest's console output goes to
stdout at the end (and to --log as it comes). For each step a line goes to stderr:

  console.py: STEP: wall W s, CPU C s (P% of a core)

where STEP is 'boot' for the time from starting the process to the first prompt, else the
command; CPU is the machine process's (all threads, from /proc/PID/stat). When the process
exits, a last line gives its exit status, the time since it was started, the CPU time it used
and its peak resident memory (ru_utime + ru_stime and ru_maxrss from wait4, what GNU time
reports):

  console.py: exit: status N, wall W s, CPU C s, max RSS M KiB

A command starting with 'poweroff' is not followed by a prompt: the driver waits for the
process to exit. Exits with the machine's status, or 124 if a step timed out.
The module is also imported by the other bench scripts (Guest, PROMPT)."""
import argparse, fcntl, os, pty, re, select, signal, socket, struct, subprocess, sys, termios, time

PROMPT = re.compile(rb'# (?:\x1b\[6n)?\Z')  # a root shell's prompt, last in the output (ash may query the cursor)
TICKS = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid):
    """User + system CPU time of process `pid`, all threads; None once it is gone."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def _controlling_tty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Guest:
    """A machine process whose console is the slave side of a pty that this object reads."""

    def __init__(self, argv, log=None, stderr=None):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
        self.log, self.out, self.fd = log, b'', master
        self.status = self.maxrss_kib = self.cpu = self.ended = None
        self.started = time.time()
        self.p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=stderr if stderr else slave,
                                  start_new_session=True, preexec_fn=_controlling_tty)
        os.close(slave)

    def _reap(self):
        if self.status is None:
            pid, st, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                self.ended = time.time()
                self.status, self.maxrss_kib = os.waitstatus_to_exitcode(st), ru.ru_maxrss
                self.cpu = ru.ru_utime + ru.ru_stime
                self.p.returncode = self.status  # reaped here, not by Popen
        return self.status is not None

    def _read(self, seconds):
        """Reads what the guest printed within `seconds`; False when the console closed."""
        if self.fd is None:
            time.sleep(seconds)
            return False
        r, _, _ = select.select([self.fd], [], [], seconds)
        if not r:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every process holding the slave side has gone
            chunk = b''
        if not chunk:
            os.close(self.fd)
            self.fd = None
            return False
        self.out += chunk
        if self.log:
            self.log.write(chunk)
            self.log.flush()
        return True

    def wait_for(self, pattern, timeout):
        """Reads output until `pattern` matches after the current end; returns the text up to the
        match, or None on timeout or when the machine exits first."""
        start, deadline = len(self.out), time.time() + timeout
        while True:
            m = pattern.search(self.out, start)
            if m:
                return self.out[start:m.end()]
            left = deadline - time.time()
            if left <= 0 or (not self._read(min(left, 0.2)) and self._reap()):
                return None

    def idle(self, seconds):
        """Types nothing for `seconds`, still reading the console."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            self._read(min(deadline - time.time(), 0.2))

    def type(self, line):
        """Types `line` and Enter."""
        os.write(self.fd, line.encode() + b'\r')

    def wait_exit(self, timeout):
        """Waits for the process to exit, reading the console; kills it on timeout. Returns the status."""
        deadline = time.time() + timeout
        while not self._reap():
            if time.time() >= deadline:
                self.kill()
                break
            self._read(min(deadline - time.time(), 0.1))
        while self._read(0.1):  # what is left in the pty
            pass
        return self.status

    def kill(self):
        """Kills the machine's process group (it was started in a session of its own) and reaps it."""
        if self.status is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            while not self._reap():
                time.sleep(0.05)
            self.status = 124


LOGIN = re.compile(rb'login: \Z')  # a getty's prompt


def run(argv, cmds, timeout, log=None, stderr=None, report=None, login=None):
    """Boots `argv`, types `cmds` at successive prompts; returns (status, guest output).
    With `login`, the boot ends at the login prompt, where `login` is typed (step 'login': until the
    shell's prompt). `report(step, wall, cpu)` is called after each step."""
    report = report or (lambda *a: None)
    g = Guest(argv, log, stderr)
    pid, c0 = g.p.pid, 0.0

    def done(step, t0, c0):
        c1 = cpu_seconds(pid)
        wall = time.time() - t0
        report(step, wall, None if c1 is None or c0 is None else c1 - c0)
        return c1

    if g.wait_for(LOGIN if login else PROMPT, timeout) is None:
        g.kill()
        return 124, g.out
    c0 = done('boot', g.started, c0)
    if login:
        t0 = time.time()
        g.type(login)
        if g.wait_for(PROMPT, timeout) is None:
            g.kill()
            return 124, g.out
        c0 = done('login', t0, c0)
    for c in cmds:
        t0 = time.time()
        if c.startswith('@idle '):
            g.idle(float(c.split()[1]))
        else:
            g.type(c)
            if c.startswith('poweroff'):
                break
            if g.wait_for(PROMPT, timeout) is None:
                g.kill()
                return 124, g.out
        c0 = done(c, t0, c0)
    status = g.wait_exit(60)
    print(f'console.py: exit: status {status}, wall {g.ended - g.started:.2f} s, CPU {g.cpu:.2f} s,'
          f' max RSS {g.maxrss_kib} KiB',
          file=sys.stderr, flush=True)
    return status, g.out


class Monitor:
    """QEMU's human monitor on a unix socket: one connection, a command at a time (waits up to
    30 s for QEMU to open the socket)."""
    def __init__(self, path):
        deadline = time.time() + 30
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.s.settimeout(30)
        self._until_prompt()

    def _until_prompt(self):
        out = b''
        while not out.endswith(b'(qemu) '):
            out += self.s.recv(65536)
        return out.decode(errors='replace')

    def __call__(self, command):
        self.s.sendall(command.encode() + b'\n')
        return self._until_prompt()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--timeout', type=float, default=600, help='seconds each step may take')
    ap.add_argument('--log', help='file that receives the console output as it comes')
    ap.add_argument('--cmd', action='append', default=[], help='a command to type at the prompt (repeatable)')
    ap.add_argument('--login', help="boot to a getty's login prompt and log in as this user (no password)")
    ap.add_argument('argv', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = a.argv[1:] if a.argv and a.argv[0] == '--' else a.argv

    def report(step, wall, cpu):
        cpu_text = 'CPU ? s' if cpu is None else f'CPU {cpu:.2f} s ({100 * cpu / max(wall, 1e-9):.1f}% of a core)'
        print(f'console.py: {step}: wall {wall:.2f} s, {cpu_text}', file=sys.stderr, flush=True)

    log = open(a.log, 'wb') if a.log else None
    status, out = run(argv, a.cmd, a.timeout, log, report=report, login=a.login)
    sys.stdout.buffer.write(out)
    return status


if __name__ == '__main__':
    sys.exit(main())
