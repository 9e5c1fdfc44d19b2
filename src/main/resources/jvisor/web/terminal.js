// A VM's serial console in xterm.js over the console WebSocket. The daemon replays the last
// 64 KiB on every attach, so a (re)connection starts from a clean terminal and the replay
// repaints it: after a daemon restart or a migration the terminal shows what the console holds,
// without doubled lines.

const encoder = new TextEncoder();

export class ConsoleView {
  /**
   * @param api     the Api (its consoleSocket carries the token)
   * @param name    the VM's name
   * @param element where the terminal goes
   * @param status  element for the connection state (a live region)
   * @param size    element for the terminal's size
   * @param onLeave called on Ctrl+] (the terminal keeps Tab, so this is the keyboard's way out)
   */
  constructor({ api, name, element, status, size, onLeave, screenReader }) {
    this.api = api;
    this.name = name;
    this.status = status;
    this.sizeEl = size;
    this.onLeave = onLeave;
    this.ws = null;
    this.attempts = 0;
    this.retryTimer = null;
    this.disposed = false;

    this.term = new Terminal({
      cursorBlink: true,
      fontFamily: '"DejaVu Sans Mono", "Liberation Mono", monospace',
      fontSize: 14,
      scrollback: 5000,
      screenReaderMode: !!screenReader,
      theme: { background: '#000000', foreground: '#d6dde6', selection: 'rgba(120, 170, 255, 0.4)' },
    });
    this.fit = new FitAddon.FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(element);
    this.term.textarea.setAttribute('aria-label', `Console of ${name}`);
    this.term.onResize(({ cols, rows }) => this.showSize(cols, rows));
    this.term.onData(data => this.send(encoder.encode(data)));
    this.term.onBinary(data => this.send(Uint8Array.from(data, c => c.charCodeAt(0) & 0xff)));
    this.term.attachCustomKeyEventHandler(e => this.key(e));
    this.resizer = new ResizeObserver(() => this.refit());
    this.resizer.observe(element);
    this.refit();
    this.showSize(this.term.cols, this.term.rows);
    this.connect();
  }

  /** Keys the page takes before the terminal: Ctrl+] leaves, Ctrl+Shift+C copies, Ctrl+Shift+V pastes. */
  key(e) {
    if (e.type !== 'keydown') return true;
    if (e.ctrlKey && !e.altKey && (e.key === ']' || e.code === 'BracketRight')) {
      e.preventDefault();
      this.onLeave();
      return false;
    }
    if (e.ctrlKey && e.shiftKey && (e.key === 'C' || e.key === 'c')) {
      e.preventDefault();
      this.copy();
      return false;
    }
    if (e.ctrlKey && e.shiftKey && (e.key === 'V' || e.key === 'v')) {
      return false; // the browser's own paste event follows, and xterm.js types it
    }
    return true;
  }

  refit() {
    if (this.disposed || !this.term.element || this.term.element.offsetParent === null) return;
    if (this.fitPending) return;
    this.fitPending = true;
    requestAnimationFrame(() => {
      this.fitPending = false;
      if (!this.disposed) this.fit.fit();
    });
  }

  showSize(cols, rows) {
    if (this.sizeEl) this.sizeEl.textContent = `${cols}×${rows}`;
  }

  setStatus(text, kind) {
    this.status.textContent = text;
    this.status.className = 'term-status' + (kind ? ' ' + kind : '');
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.disposed) return;
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
    }
    const ws = this.api.consoleSocket(this.name);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.setStatus('connecting…');
    ws.onopen = () => {
      this.attempts = 0;
      this.term.reset(); // the replay repaints it
      this.setStatus('connected', 'live');
    };
    ws.onmessage = m => {
      this.term.write(typeof m.data === 'string' ? m.data : new Uint8Array(m.data));
    };
    ws.onclose = e => {
      if (this.ws !== ws || this.disposed) return;
      this.ws = null;
      const why = e.code === 4404 ? `no VM ${this.name} on this daemon`
        : e.reason ? e.reason : e.code === 1006 ? 'the connection was lost' : `closed (${e.code})`;
      const delay = Math.min(1000 * 2 ** this.attempts, 10000);
      this.attempts++;
      this.setStatus(`disconnected: ${why}; reconnecting in ${Math.round(delay / 1000)} s`, 'down');
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
  }

  /** Reconnects at once if the socket is down (the daemon is back, the VM came back). */
  reconnectNow() {
    if (!this.disposed && !this.ws) this.connect();
  }

  get connected() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  send(bytes) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  copy() {
    const text = this.term.getSelection();
    if (text && navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
    this.term.focus();
  }

  async paste() {
    try {
      const text = await navigator.clipboard.readText();
      if (text) this.term.paste(text);
    } catch (e) {
      this.setStatus('the browser did not allow reading the clipboard: use Ctrl+Shift+V in the terminal', 'down');
    }
    this.term.focus();
  }

  /** Types `stty rows R cols C` so the guest's programs use the terminal's size (a serial line carries none). */
  sendSize() {
    this.send(encoder.encode(`stty rows ${this.term.rows} cols ${this.term.cols}\r`));
    this.term.focus();
  }

  setScreenReader(on) { this.term.setOption('screenReaderMode', on); }

  focus() { this.term.focus(); }

  /** The terminal's whole buffer as text (wrapped lines joined), for scripts and tests. */
  text() {
    const b = this.term.buffer.active;
    let out = '';
    for (let i = 0; i < b.length; i++) {
      const line = b.getLine(i);
      if (!line) continue;
      if (i > 0 && !line.isWrapped) out += '\n';
      out += line.translateToString(true);
    }
    return out;
  }

  dispose() {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    this.resizer.disconnect();
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
    this.term.dispose();
  }
}
