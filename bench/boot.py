#!/usr/bin/env python3
"""Times one boot: process start -> first shell prompt -> power-off. Usage: boot.py CMD...
Prints 'prompt=SECONDS poweroff=SECONDS'. Sends 'poweroff -f' once the prompt appears."""
import os, re, select, subprocess, sys, time

PROMPT = re.compile(rb"(~ #|/ #) ")
start = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
buf, prompt_at = b"", None
deadline = start + 600
while time.monotonic() < deadline:
    r, _, _ = select.select([p.stdout], [], [], 1.0)
    if r:
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        if prompt_at is None and PROMPT.search(buf):
            prompt_at = time.monotonic() - start
            time.sleep(0.2)
            p.stdin.write(b"poweroff -f\n")
            p.stdin.flush()
    elif p.poll() is not None:
        break
p.wait(timeout=60)
end = time.monotonic() - start
if prompt_at is None or p.returncode != 0:
    sys.stderr.write(buf[-2000:].decode(errors="replace"))
    sys.exit(f"boot failed (exit {p.returncode}, prompt seen: {prompt_at is not None})")
print(f"prompt={prompt_at:.2f} poweroff={end:.2f}")
