// jvisor's web console: sign in with the API token, the host's VMs live from the event stream and
// their stats, the actions of the API, a terminal and a chart for the VM that is open.
// Nothing here writes the token anywhere but sessionStorage and the Authorization header (or the
// console WebSocket's subprotocol); text from the daemon is only ever set as textContent.

import { Api } from './api.js';
import { ConsoleView } from './terminal.js';
import { History, LiveChart } from './chart.js';

const TOKEN_KEY = 'jvisor.token';
const POLL_MS = 2000;
const MAX_EVENTS = 50;

const $ = id => document.getElementById(id);

const state = {
  api: null,
  vms: new Map(),      // name -> { info, stats, prev, history }
  selected: null,      // the open VM's name
  view: null,          // its ConsoleView
  chart: null,         // its LiveChart
  events: null,        // the event stream's handle
  poller: null,
  migrated: null,      // the VM this page last migrated away
  signingIn: false,
  polling: false,
};

// ---- sign in and out ----

async function signIn(token, fromStorage) {
  if (state.signingIn) return;
  const error = $('sign-in-error');
  error.textContent = '';
  const api = new Api(token, e => {
    if (state.api === api) signOut('The daemon refused the token: ' + e.message);
  });
  let summary;
  state.signingIn = true;
  try {
    summary = await api.get('');
  } catch (e) {
    if (fromStorage) sessionStorage.removeItem(TOKEN_KEY);
    error.textContent = e.status === 401 ? 'Sign-in refused: ' + e.message : 'Cannot sign in: ' + e.message;
    $('token').setAttribute('aria-invalid', 'true');
    $('token').focus();
    return;
  } finally {
    state.signingIn = false;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  $('token').removeAttribute('aria-invalid');
  state.api = api;
  showSummary(summary);
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  try {
    await loadVms();
  } catch (e) {
    $('notice').textContent = 'Cannot list the VMs: ' + e.message;
  }
  state.events = api.followEvents({
    event: onEvent,
    connected: onEventsConnected,
    disconnected: (why, retry) => {
      $('events-status').textContent = `Lost the daemon (${why}); trying again in ${Math.ceil(retry / 1000)} s`;
    },
  });
  state.poller = setInterval(poll, POLL_MS);
  poll();
  const first = document.querySelector('#vm-rows button.open');
  (first || $('create').querySelector('summary')).focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.events) state.events.stop();
  clearInterval(state.poller);
  closePanel();
  state.api = null;
  state.events = null;
  state.vms.clear();
  $('vm-rows').replaceChildren();
  $('events').replaceChildren();
  $('notice').textContent = '';
  $('host-summary').textContent = '';
  $('events-status').textContent = '';
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message || '';
  $('token').focus();
}

// ---- the VM list ----

async function loadVms() {
  const list = await state.api.get('/vms');
  const names = new Set(list.map(v => v.name));
  for (const name of [...state.vms.keys()]) if (!names.has(name)) removeVm(name);
  for (const info of list) upsert(info);
  $('no-vms').hidden = state.vms.size > 0;
}

function upsert(info) {
  let vm = state.vms.get(info.name);
  if (!vm) {
    vm = { info, stats: null, prev: null, history: new History() };
    state.vms.set(info.name, vm);
    addRow(info.name);
  }
  const was = vm.info.state;
  vm.info = info;
  if (!active(info.state)) {
    vm.stats = null;
    vm.prev = null;
  }
  renderRow(info.name);
  if (state.selected === info.name) {
    renderPanel();
    if (was !== info.state && state.view) state.view.reconnectNow();
  }
  $('no-vms').hidden = true;
}

function removeVm(name, why) {
  if (state.selected === name && state.migrated !== name) $('notice').textContent = why || `${name} was deleted.`;
  state.vms.delete(name);
  const row = rowOf(name);
  if (row) row.remove();
  if (state.selected === name) closePanel();
  $('no-vms').hidden = state.vms.size > 0;
}

const rowOf = name => document.querySelector(`#vm-rows tr[data-vm="${CSS.escape(name)}"]`);

function addRow(name) {
  const tr = document.createElement('tr');
  tr.dataset.vm = name;
  const cell = cls => {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    tr.append(td);
    return td;
  };
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'open';
  open.textContent = name;
  open.setAttribute('aria-label', `Open ${name}: its console, chart and actions`);
  open.addEventListener('click', () => select(name));
  cell('name').append(open);
  const badge = document.createElement('span');
  badge.className = 'state';
  cell('st').append(badge);
  cell('cpu num');
  cell('mips num');
  cell('mem num');
  // Keep the rows sorted by name.
  const rows = $('vm-rows');
  const after = [...rows.children].find(r => r.dataset.vm.localeCompare(name) > 0);
  rows.insertBefore(tr, after || null);
}

function renderRow(name) {
  const vm = state.vms.get(name);
  const tr = rowOf(name);
  if (!vm || !tr) return;
  const badge = tr.querySelector('.state');
  badge.textContent = vm.info.state;
  badge.className = 'state ' + vm.info.state;
  if (vm.info.reason) badge.title = vm.info.reason; else badge.removeAttribute('title');
  const s = vm.stats;
  tr.querySelector('.cpu').textContent = s && s.cpu != null ? `${s.cpu.toFixed(0)} %` : '–';
  tr.querySelector('.mips').textContent = s && s.mips != null ? s.mips.toFixed(1) : '–';
  tr.querySelector('.mem').textContent = memoryText(vm);
  tr.classList.toggle('selected', state.selected === name);
  const open = tr.querySelector('button.open');
  if (state.selected === name) open.setAttribute('aria-current', 'true'); else open.removeAttribute('aria-current');
}

function memoryText(vm) {
  const defined = vm.info.definition ? vm.info.definition.memory : '';
  const s = vm.stats;
  if (s && s.touched != null) return `${mib(s.touched)} of ${mib(s.memory)} MiB`;
  return defined;
}

const mib = bytes => (bytes / 1048576).toFixed(0);
const active = st => st === 'running' || st === 'paused';

function showSummary(s) {
  $('host-summary').textContent =
    `${s.vms} VM${s.vms === 1 ? '' : 's'}, ${s.active} active · guest memory ${mib(s.usedMemory)} of ${mib(s.maxMemory)} MiB`;
}

// ---- events and stats ----

/** Events are handled one after the other, so a slow answer never puts back an older state. */
let eventChain = Promise.resolve();

function onEvent(message) {
  eventChain = eventChain.then(() => handleEvent(message)).catch(() => {});
}

async function handleEvent({ event, data }) {
  if (event !== 'state' || !state.api) return;
  let e;
  try { e = JSON.parse(data); } catch (err) { return; }
  logEvent(e);
  if (e.state === 'deleted') {
    removeVm(e.vm);
    return;
  }
  try {
    upsert(await state.api.get('/vms/' + encodeURIComponent(e.vm)));
  } catch (err) {
    if (err.status === 404) removeVm(e.vm);
  }
}

function logEvent(e) {
  const li = document.createElement('li');
  const time = document.createElement('time');
  const d = new Date(e.time);
  time.dateTime = d.toISOString();
  time.textContent = d.toLocaleTimeString();
  li.append(time, `${e.vm}: ${e.state}${e.message ? ' — ' + e.message : ''}`);
  const list = $('events');
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
}

async function onEventsConnected() {
  $('events-status').textContent = '';
  try {
    await loadVms(); // whatever changed while the stream was down
    showSummary(await state.api.get(''));
  } catch (e) { /* the next poll says */ }
  if (state.view) state.view.reconnectNow();
}

/** Stats of every active VM: MIPS and CPU from the counters' differences between two polls. */
async function poll() {
  if (!state.api || document.hidden || state.polling) return;
  state.polling = true;
  try {
    await pollOnce(state.api);
  } finally {
    state.polling = false;
  }
}

async function pollOnce(api) {
  try {
    showSummary(await api.get(''));
  } catch (e) {
    return; // the event stream reports the outage
  }
  await Promise.all([...state.vms.values()].filter(vm => active(vm.info.state)).map(async vm => {
    let s;
    try {
      s = await api.get('/vms/' + encodeURIComponent(vm.info.name) + '/stats');
    } catch (e) {
      return;
    }
    const now = Date.now() / 1000;
    const cpuTotal = (s.cpuSeconds || []).reduce((a, b) => a + b, 0);
    let mips = null;
    let cpu = null;
    const p = vm.prev;
    if (p && s.instructions != null && s.instructions >= p.insns && cpuTotal >= p.cpu && now > p.t) {
      mips = (s.instructions - p.insns) / (now - p.t) / 1e6;
      cpu = (cpuTotal - p.cpu) / (now - p.t) * 100;
    } else if (s.mips != null) {
      mips = s.mips;
    }
    vm.prev = s.instructions != null ? { t: now, insns: s.instructions, cpu: cpuTotal } : null;
    vm.stats = { mips, cpu, touched: s.touchedBytes, memory: s.memoryBytes, uptime: s.uptimeSeconds, harts: (s.cpuSeconds || []).length };
    if (s.state && s.state !== vm.info.state) vm.info = { ...vm.info, state: s.state };
    vm.history.add(now, mips, cpu);
    renderRow(vm.info.name);
    if (state.selected === vm.info.name) renderChart();
  }));
}

// ---- the open VM ----

const ALLOWED = {
  start: st => ['defined', 'stopped', 'crashed'].includes(st),
  stop: st => ['running', 'paused', 'saved'].includes(st),
  reboot: st => st === 'running',
  pause: st => st === 'running',
  resume: st => st === 'paused',
  save: st => active(st),
  restore: st => !active(st),
  migrate: st => active(st),
  delete: st => !active(st),
};
const KNOWN = new Set(['defined', 'running', 'paused', 'saved', 'stopped', 'crashed']);

function select(name) {
  if (state.selected === name) {
    $('vm-title').focus();
    return;
  }
  closePanel();
  state.selected = name;
  $('notice').textContent = '';
  const vm = state.vms.get(name);
  $('vm-panel').hidden = false;
  $('vm-title').textContent = name;
  $('action-message').textContent = '';
  $('migrate-form').hidden = true;
  renderPanel();
  for (const n of state.vms.keys()) renderRow(n);
  state.view = new ConsoleView({
    api: state.api, name, element: $('terminal'), status: $('terminal-status'), size: $('term-size'),
    screenReader: $('term-reader').checked,
    onLeave: () => document.querySelector('#actions button').focus(),
  });
  state.chart = new LiveChart($('chart'), vm.history);
  renderChart();
  $('vm-title').focus();
}

function closePanel() {
  if (state.view) state.view.dispose();
  if (state.chart) state.chart.dispose();
  state.view = null;
  state.chart = null;
  const was = state.selected;
  state.selected = null;
  $('vm-panel').hidden = true;
  if (was && state.vms.has(was)) renderRow(was);
}

function renderPanel() {
  const vm = state.vms.get(state.selected);
  if (!vm) return;
  const st = vm.info.state;
  const badge = $('vm-state');
  badge.textContent = st;
  badge.className = 'state ' + st;
  $('vm-reason').textContent = vm.info.reason || '';
  for (const b of document.querySelectorAll('#actions button')) {
    const ok = !KNOWN.has(st) || ALLOWED[b.dataset.action](st);
    // aria-disabled rather than disabled: the button keeps the focus when the state changes under it.
    b.setAttribute('aria-disabled', String(!ok));
  }
}

function renderChart() {
  const vm = state.vms.get(state.selected);
  if (!vm || !state.chart) return;
  state.chart.update();
  const s = vm.stats;
  $('chart-now').textContent = s
    ? `Now: ${s.mips != null ? s.mips.toFixed(1) : '–'} MIPS, CPU ${s.cpu != null ? s.cpu.toFixed(0) : '–'} % of one core`
      + ` (${s.harts} hart${s.harts === 1 ? '' : 's'}), up ${duration(s.uptime)}.`
    : `${vm.info.name} is ${vm.info.state}: no numbers while it does not run.`;
}

function duration(seconds) {
  if (seconds == null) return '–';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

const PROGRESS = {
  start: 'Starting', stop: 'Stopping', reboot: 'Rebooting', pause: 'Pausing', resume: 'Resuming',
  save: 'Saving', restore: 'Restoring', delete: 'Deleting', migrate: 'Migrating',
};

function message(text, ok) {
  const m = $('action-message');
  m.className = ok ? 'ok-message' : 'error';
  m.textContent = text;
}

async function act(action, button) {
  const name = state.selected;
  const vm = state.vms.get(name);
  if (!vm) return;
  if (button && button.getAttribute('aria-disabled') === 'true') {
    message(`${name} is ${vm.info.state}: ${action} does not apply.`);
    return;
  }
  if (action === 'migrate') {
    const form = $('migrate-form');
    form.hidden = !form.hidden;
    button.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) $('migrate-to').focus();
    return;
  }
  if (action === 'delete' && !confirm(`Delete ${name}, with its saved state and logs?`)) return;
  const path = '/vms/' + encodeURIComponent(name);
  const toolbar = $('actions');
  toolbar.setAttribute('aria-busy', 'true');
  message(`${PROGRESS[action] || action} ${name}…`, true);
  try {
    if (action === 'delete') {
      await state.api.call('DELETE', path);
      removeVm(name, `Deleted ${name}.`);
      message('');
      $('vm-rows').querySelector('button.open')?.focus();
      return;
    }
    let body;
    if (action === 'save' || action === 'restore') {
      const file = $('snapshot-file').value.trim();
      if (file) body = { file };
    }
    upsert(await state.api.post(`${path}/${action}`, body));
    message('');
  } catch (e) {
    message(e.message);
  } finally {
    toolbar.removeAttribute('aria-busy');
  }
}

async function migrate(ev) {
  ev.preventDefault();
  const name = state.selected;
  const to = $('migrate-to').value.trim();
  const body = { to, token: $('migrate-token').value.trim(), maxDowntimeMs: Number($('migrate-downtime').value) || 50 };
  message(`Migrating ${name} to ${to}…`, true);
  try {
    await state.api.post('/vms/' + encodeURIComponent(name) + '/migrate', body);
    $('migrate-token').value = '';
    $('migrate-form').hidden = true;
    document.querySelector('#actions [data-action=migrate]').setAttribute('aria-expanded', 'false');
    state.migrated = name;
    // The API answers at once; the migration goes on in the daemon: follow it until it ends.
    for (;;) {
      const s = await state.api.get('/vms/' + encodeURIComponent(name) + '/migration');
      if (s.phase === 'done') {
        const moved = `${name} moved to ${to} in ${s.totalSeconds.toFixed(2)} s: its console is on that daemon now`
          + ` (open ${to}/ and sign in with its token).`;
        message(moved, true);
        $('notice').textContent = moved; // stays when the VM leaves this daemon's list and its panel closes
        return;
      }
      if (['failed', 'cancelled', 'unknown'].includes(s.phase)) {
        state.migrated = null;
        message(`Migration of ${name} ${s.phase === 'unknown' ? 'has an unknown outcome' : s.phase}: ${s.error || ''}`);
        return;
      }
      const p = s.progress;
      message(`Migrating ${name} to ${to}: ${s.phase}` + (p ? `, round ${p.round}, ${(p.bytesSent / 1e6).toFixed(0)} MB sent` : '') + '…', true);
      await new Promise(r => setTimeout(r, 300));
    }
  } catch (e) {
    state.migrated = null;
    message(`Migration of ${name} failed: ${e.message}`);
  }
}

// ---- create ----

const lines = id => $(id).value.split('\n').map(s => s.trim()).filter(Boolean);

async function create(ev) {
  ev.preventDefault();
  const error = $('create-error');
  error.textContent = '';
  for (const el of $('create-form').querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const name = $('create-name').value.trim();
  const body = { name };
  if ($('create-source-image').checked) {
    body.image = $('create-image').value.trim();
  } else {
    body.kernel = $('create-kernel').value.trim();
    if ($('create-initrd').value.trim()) body.initrd = $('create-initrd').value.trim();
    if ($('create-append').value.trim()) body.append = $('create-append').value.trim();
  }
  if ($('create-memory').value.trim()) body.memory = $('create-memory').value.trim();
  if ($('create-cpus').value) body.cpus = Number($('create-cpus').value);
  for (const f of ['disks', 'nets', 'shares']) {
    const l = lines('create-' + f);
    if (l.length) body[f] = l;
  }
  if ($('create-rng').checked) body.rng = true;
  const start = $('create-start').checked;
  try {
    const info = await state.api.post('/vms' + (start ? '?start=true' : ''), body);
    upsert(info);
    $('create-name').value = '';
    select(info.name);
  } catch (e) {
    error.textContent = e.message;
    const field = e.field && $('create-' + e.field.split('.')[0].replace(/\[.*/, ''));
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }
}

function sourceChanged() {
  const image = $('create-source-image').checked;
  $('create-image-fields').hidden = !image;
  $('create-kernel-fields').hidden = image;
}

// ---- wiring ----

function init() {
  $('sign-in-form').addEventListener('submit', ev => {
    ev.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      $('sign-in-error').textContent = 'Enter the token first.';
      $('token').focus();
      return;
    }
    signIn(token, false);
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('create-form').addEventListener('submit', create);
  $('create-source-image').addEventListener('change', sourceChanged);
  $('create-source-kernel').addEventListener('change', sourceChanged);
  for (const b of document.querySelectorAll('#actions button')) {
    b.addEventListener('click', () => act(b.dataset.action, b));
  }
  $('migrate-form').addEventListener('submit', migrate);
  $('migrate-cancel').addEventListener('click', () => {
    $('migrate-form').hidden = true;
    const b = document.querySelector('#actions [data-action=migrate]');
    b.setAttribute('aria-expanded', 'false');
    b.focus();
  });
  $('migrate-form').addEventListener('keydown', ev => {
    if (ev.key === 'Escape') $('migrate-cancel').click();
  });
  $('term-copy').addEventListener('click', () => state.view && state.view.copy());
  $('term-paste').addEventListener('click', () => state.view && state.view.paste());
  $('term-stty').addEventListener('click', () => state.view && state.view.sendSize());
  $('term-reader').addEventListener('change', ev => state.view && state.view.setScreenReader(ev.target.checked));
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !state.api) return;
    if (state.events) state.events.hurry();
    if (state.view) state.view.reconnectNow();
    poll();
  });
  // For scripts and tests: what the open VM's terminal shows.
  window.jvisor = {
    selected: () => state.selected,
    terminalText: () => state.view ? state.view.text() : null,
    consoleConnected: () => !!(state.view && state.view.connected),
  };
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved, true); else $('token').focus();
}

init();
