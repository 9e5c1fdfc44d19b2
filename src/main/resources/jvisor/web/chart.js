// A small live chart of a VM's MIPS and CPU use (uPlot), fed by the page's stats polling.

const HEIGHT = 120;
const WINDOW = 300; // seconds shown

/** Samples of one VM: times (s since the epoch), MIPS, CPU % of one core; the last `max` kept. */
export class History {
  constructor(max = 160) {
    this.max = max;
    this.t = [];
    this.mips = [];
    this.cpu = [];
  }

  add(t, mips, cpu) {
    this.t.push(t);
    this.mips.push(mips);
    this.cpu.push(cpu);
    if (this.t.length > this.max) {
      this.t.shift();
      this.mips.shift();
      this.cpu.shift();
    }
  }

  data() { return [this.t, this.mips, this.cpu]; }
}

export class LiveChart {
  constructor(element, history) {
    this.element = element;
    this.history = history;
    const fmt = digits => (u, v) => v == null ? '–' : v.toFixed(digits);
    this.plot = new uPlot({
      width: Math.max(200, element.clientWidth),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        // Ends now; starts at the first sample (at least a minute, at most WINDOW back).
        x: {
          time: true,
          range: u => {
            const now = Date.now() / 1000;
            const first = u.data && u.data[0] && u.data[0].length ? u.data[0][0] : now;
            return [Math.max(now - WINDOW, Math.min(first, now - 60)), now];
          },
        },
        mips: { range: (u, min, max) => [0, Math.max(1, (max || 0) * 1.15)] },
        cpu: { range: (u, min, max) => [0, Math.max(100, (max || 0) * 1.1)] },
      },
      series: [
        {},
        { label: 'MIPS', scale: 'mips', stroke: '#1f5fbf', width: 2, fill: 'rgba(31, 95, 191, 0.08)', value: fmt(1) },
        { label: 'CPU %', scale: 'cpu', stroke: '#d9822b', width: 2, value: fmt(0) },
      ],
      axes: [
        { stroke: '#5a6472', grid: { stroke: '#eceff3' }, incrs: [15, 30, 60, 120, 300],
          values: (u, ticks) => ticks.map(t => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })) },
        { scale: 'mips', stroke: '#1f5fbf', grid: { stroke: '#eceff3' }, size: 50 },
        { scale: 'cpu', side: 1, stroke: '#d9822b', grid: { show: false }, size: 45 },
      ],
    }, history.data(), element);
    this.resizer = new ResizeObserver(() => {
      const w = Math.max(200, this.element.clientWidth);
      if (w !== this.plot.width) this.plot.setSize({ width: w, height: HEIGHT });
    });
    this.resizer.observe(element);
  }

  update() { this.plot.setData(this.history.data()); }

  dispose() {
    this.resizer.disconnect();
    this.plot.destroy();
  }
}
