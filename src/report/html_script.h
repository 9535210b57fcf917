#pragma once

// The second half of the --html page's inline script (html_report.cc; the first half,
// html_diagram.h, reads the data and draws one sequence diagram): the page itself. Its header
// says which session and capture file it came from and what it leaves out; the findings follow,
// most important first, each a button that opens its story (the call, the outcome, the flow,
// the evidence frames, the kind's details and the sequence diagram with its evidence
// highlighted); with --all, one diagram per flow. Filters by finding, flow and pid; zoom (+/-,
// Ctrl+wheel) and pan (drag, scroll); a click or Enter on a packet shows its decoded fields
// and frame number. Keys: j/k or arrows between findings, Enter to open, Esc, t for the theme.
// Diagrams are drawn only when opened (and all of them before printing), so the page of a long
// session opens at once.

#include <string_view>

#include "src/report/html_diagram.h"

namespace netcorr::report {

inline constexpr std::string_view kHtmlPageScript = R"js(
(function () {
const D = NC.data, F = NC.facts, el = NC.el;
const MAX_EVENTS = 1500;  // per diagram: beyond, the first ones and all the evidence
const filter = { finding: '', flow: '', pid: '' };
const drawn = new Map();  // container -> redraw function, for zoom and filters
let selected = 0;

function sevWord(s) {
  return s === 'failure' ? '\u2716 failure' : s === 'slow' ? '\u25d4 slow' : '\u2139 info';
}

// ---- header ----
const app = document.getElementById('app');
const s = D.session, cap = D.capture;
const failures = D.findings.filter((f) => f.severity === 'failure').length;
const what = s.mode === 'analyze' ? 'analyze of ' + s.command.join(' ')
  : s.mode === 'attach' ? 'attached to pid ' + s.pids.join(', ') : 'launched `' + s.command.join(' ') + '`' +
    (s.pids.length ? ' (pid ' + s.pids.join(', ') + ')' : '');
const runFor = s.end_ns > s.start_ns && s.start_ns !== 0 ? ', ran ' + NC.dur(s.end_ns - s.start_ns) : '';
const frames = F.capture_file ? 'frame numbers are those of ' + F.capture_file
  : 'no packet file was written (-w): frame numbers count the captured packets from 1';
const kept = F.all ? 'This page holds every call and packet of the session (--all).'
  : 'This page holds the context around the findings: ' + D.calls.length + ' of ' + F.total_calls +
    ' calls and ' + D.packets.length + ' of ' + F.total_packets + ' packets (netcorr --all --html for everything).';
app.append(el('header', { class: 'top' },
  el('h1', { text: 'netcorr report: ' + D.findings.length + (D.findings.length === 1 ? ' finding' : ' findings') +
                   (D.findings.length ? ', ' + failures + ' failed' : '') }),
  el('p', { id: 'session', text: 'Session: netcorr ' + D.netcorr + ', ' + what + ', started ' + NC.t0Text + runFor +
                                  (s.stop_reason ? ' (' + s.stop_reason + ')' : '') + '.' }),
  el('p', { id: 'capture', text: cap.available
    ? 'Capture on ' + cap.interfaces.join(', ') + ', snaplen ' + cap.snaplen + ': ' + cap.received + ' packets received, ' +
      cap.kernel_dropped + ' dropped by the kernel, ' + cap.interface_dropped + ' by the interface; ' + frames + '.'
    : 'No capture: ' + cap.reason }),
  el('p', { text: kept }),
  el('p', { class: 'legend', text: '\u2716 failure, \u25d4 slow, \u2139 info \u00b7 \u2605[n]: evidence of finding n \u00b7 ' +
    '\u21bb retransmission \u00b7 \u2298 zero window \u00b7 \u22ef compressed gap \u00b7 calls: \u2716 failed, \u2714 returned, ' +
    '\u2026 still blocked. Click a finding for its story, a packet for its fields. Keys: j/k next/previous finding, ' +
    'Enter open, +/\u2212 zoom, 0 reset, t theme, Esc close.' })));

// ---- controls ----
const main = el('main');
app.append(main);
const opt = (value, text) => el('option', { value, text });
const findingSel = el('select', { id: 'filter-finding' }, opt('', 'all findings'),
  ...D.findings.map((f) => opt(String(f.id), '[' + f.id + '] ' + f.kind)));
const flows = new Map();
for (const p of D.packets) {
  const k = NC.flowKey(p);
  if (!flows.has(k)) flows.set(k, []);
  flows.get(k).push(p);
}
const flowSel = el('select', { id: 'filter-flow' }, opt('', 'all flows'),
  ...[...flows.keys()].slice(0, 2000).map((k) => opt(k, k)));
const pids = [...new Set(NC.calls.map((c) => c.pid))].sort((a, b) => a - b);
const pidSel = el('select', { id: 'filter-pid' }, opt('', 'all pids'), ...pids.map((p) => opt(String(p), String(p))));
const zoomText = el('span', { id: 'zoom-level', text: '1 ms/px' });
main.append(el('div', { class: 'controls', role: 'toolbar', 'aria-label': 'filters and zoom' },
  el('label', { for: 'filter-finding', text: 'Finding' }), findingSel,
  el('label', { for: 'filter-flow', text: 'Flow' }), flowSel,
  el('label', { for: 'filter-pid', text: 'Pid' }), pidSel,
  el('button', { id: 'zoom-out', text: '\u2212', 'aria-label': 'zoom out', onclick: () => zoom(0.5) }),
  el('button', { id: 'zoom-in', text: '+', 'aria-label': 'zoom in', onclick: () => zoom(2) }),
  el('button', { id: 'zoom-reset', text: 'reset zoom', onclick: () => zoom(0) }), zoomText,
  el('button', { id: 'theme', text: 'light / dark', onclick: toggleTheme })));
for (const sel of [findingSel, flowSel, pidSel]) {
  sel.addEventListener('change', () => {
    filter.finding = findingSel.value; filter.flow = flowSel.value; filter.pid = pidSel.value;
    applyFilters();
  });
}

// ---- findings ----
main.append(el('h2', { text: D.findings.length ? 'Findings, most important first' : 'No findings: no call failed or was slowed by the network' }));
const list = el('div', { id: 'findings', role: 'list' });
main.append(list);
const articles = [];
for (const f of D.findings) {
  const head = el('button', { class: 'head', id: 'finding-head-' + f.id, 'aria-expanded': 'false',
                              'aria-controls': 'story-' + f.id, onclick: () => toggle(f.id) },
    el('span', { class: 'sev', text: sevWord(f.severity) }),
    el('span', { class: 'kind', text: '[' + f.id + '] ' + f.kind }),
    el('span', { class: 'summary', text: f.summary }),
    el('span', { class: 'call' }, 'call: ', el('code', { text: f.call.display }), ' at ' + NC.rel(f.call.entry_ns)),
    el('span', { class: 'hint', text: 'hint: ' + f.hint }));
  const story = el('div', { class: 'story', id: 'story-' + f.id, role: 'region', 'aria-label': 'story of finding ' + f.id });
  const art = el('article', { class: 'finding ' + f.severity, id: 'finding-' + f.id, 'data-finding': f.id, role: 'listitem' },
                 head, story);
  art.nc = { f, story, done: false };
  articles.push(art);
  list.append(art);
}

function detailRows(obj, prefix, out) {
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    if (Array.isArray(v)) out.push([prefix + k, v.map((x) => /_ns$/.test(k) ? NC.rel(x) : String(x)).join(', ')]);
    else if (typeof v === 'object') detailRows(v, prefix + k + '.', out);
    else out.push([prefix + k, /_ns$/.test(k) && k !== 'idle_before_ns' && k !== 'lost_ns' ? NC.rel(v)
                              : /_ns$/.test(k) ? NC.dur(v) : String(v)]);
  }
  return out;
}

// The calls and packets of a finding's story: its call, the call that resolved it, the calls on
// its socket and the packets of its flow from its connect (when shown) to its end, and its
// evidence wherever it is.
function storyEvents(f) {
  const ev = new Set(f.evidence);
  let lo = f.call.entry_ns, hi = Math.max(f.call.exit_ns, f.call.entry_ns);
  for (const id of f.evidence) { const p = NC.packetById.get(id); if (p) { lo = Math.min(lo, p.ts_ns); hi = Math.max(hi, p.ts_ns); } }
  if (f.resolved_by) hi = Math.max(hi, f.resolved_by.exit_ns);
  const sameSocket = (c) => c.pid === f.call.pid && f.call.fd >= 0 &&
    (c.fd === f.call.fd || c.waited.some((w) => w.fd === f.call.fd));
  // A failure on an established connection reads better from its connect(): the latest one on
  // the same socket before it (a program that reuses fd 3 for each attempt has older ones).
  if (f.call.name !== 'connect') {
    let start = null;
    for (const c of NC.calls) {
      if (c.name === 'connect' && sameSocket(c) && c.entry_ns <= lo && (start === null || c.entry_ns > start)) start = c.entry_ns;
    }
    if (start !== null) lo = start;
  }
  const calls = NC.calls.filter((c) => c.id === f.call.id || (f.resolved_by && c.id === f.resolved_by.id) ||
    (sameSocket(c) && c.entry_ns <= hi && c.exit_ns >= lo));
  let packets = D.packets.filter((p) => ev.has(p.id) || (NC.onFlow(p, f.flow) && p.ts_ns >= lo - 1e6 && p.ts_ns <= hi + 1e6));
  return { calls, packets };
}

function diagramBox(title, events, finding) {
  const box = el('div', { class: 'diagram', tabindex: 0, 'aria-label': 'diagram: ' + title + ' (drag or scroll to pan)' });
  const note = el('p', { class: 'diagram-note' });
  const redraw = () => {
    let { calls, packets } = events();
    let cut = '';
    if (calls.length + packets.length > MAX_EVENTS) {
      const total = calls.length + packets.length;
      const keep = packets.filter((p, i) => i < MAX_EVENTS - calls.length || (p.evidence_for || []).length);
      cut = ' Drawn: the first ' + keep.length + ' of ' + packets.length + ' packets (and all evidence) of ' + total + ' events; filter by flow or pid for the rest.';
      packets = keep;
    }
    const r = NC.draw(calls, packets, { finding, pid: filter.pid, title });
    box.replaceChildren(r.svg);
    note.textContent = r.events + ' events, ' + r.arrows + ' packets; time runs down, gaps longer than ' +
      NC.dur(120 * 1e6 / NC.zoom) + ' are compressed.' + cut;
    markSelected();
  };
  drawn.set(box, redraw);
  redraw();
  return [note, box];
}

function renderStory(art) {
  if (art.nc.done) return;
  art.nc.done = true;
  const f = art.nc.f;
  const rows = [['severity', sevWord(f.severity)], ['kind', f.kind], ['call', f.call.display],
                ['outcome', f.outcome_errno || (f.call.finished ? 'returned' : 'still blocked')]];
  if (f.resolved_by) rows.push(['resolved by', f.resolved_by.display]);
  if (f.stalled_waits) rows.push(['stalled waits', f.stalled_waits.count + ' (' + f.stalled_waits.first.name + ' ...)']);
  if (f.later_calls) rows.push(['later calls', f.later_calls.count + ', last: ' + f.later_calls.last.display]);
  if (f.flow) rows.push(['flow', NC.flowText(f.flow)]);
  rows.push(['based on', f.based_on]);
  const dl = el('dl');
  for (const [k, v] of rows) dl.append(el('dt', { text: k }), el('dd', { text: v }));
  const framesDd = el('dd', { class: 'frames' });
  if (!f.evidence.length) framesDd.append('none (no packet of this flow was captured)');
  for (const id of f.evidence) framesDd.append(el('button', { text: '#' + id, 'aria-label': 'frame ' + id, onclick: () => showPacket(id, art) }));
  dl.append(el('dt', { text: 'evidence' }), framesDd);
  for (const key of ['handshake', 'icmp', 'stream', 'retransmissions', 'dns', 'tls', 'neighbour', 'zero_window']) {
    if (f[key]) for (const [k, v] of detailRows(f[key], key + '.', [])) dl.append(el('dt', { text: k }), el('dd', { text: v }));
  }
  if (f.unexplained_reason) dl.append(el('dt', { text: 'why unexplained' }), el('dd', { text: f.unexplained_reason }));
  // With peer captures (analyze --peer-pcap): where the packet was lost, and each capture's say.
  if (f.path) {
    const words = v => v.replace(/_/g, ' ');
    dl.append(el('dt', { text: 'path' }), el('dd', { text: words(f.path.verdict) + ': ' + f.path.summary }));
    for (const p of f.path.peers) {
      const frames = p.peer_frames.length ? ' (its frames ' + p.peer_frames.map(x => '#' + x).join(', ') + ')' : '';
      dl.append(el('dt', { text: 'peer ' + p.capture }), el('dd', { text: words(p.verdict) + (p.detail ? ': ' + p.detail : '') + frames }));
    }
    if (f.path.hint) dl.append(el('dt', { text: 'path hint' }), el('dd', { text: f.path.hint }));
  }
  // The diagram first, where the eye goes; every field of the finding below it.
  art.nc.story.append(...diagramBox('finding ' + f.id, () => storyEvents(f), f), dl);
}

function toggle(id, forceOpen) {
  const art = articles[id - 1];
  const open = forceOpen || !art.classList.contains('open');
  art.classList.toggle('open', open);
  art.querySelector('.head').setAttribute('aria-expanded', String(open));
  if (open) { renderStory(art); selected = id; } else if (selected === id) selected = 0;
  markSelected();
}

// The selected finding and its evidence, in every diagram drawn.
function markSelected() {
  for (const a of articles) a.classList.toggle('selected', a.nc.f.id === selected);
  for (const g of document.querySelectorAll('svg.seq .arrow')) {
    g.classList.toggle('hl', selected !== 0 && g.dataset.evidence.split(' ').includes(String(selected)));
  }
}

// ---- flows ----
const flowSection = el('section', { class: 'flows' });
main.append(el('h2', { text: F.all ? 'Every flow' : 'Flows around the findings' }), flowSection);
const flowDetails = [];
let flowCount = 0;
for (const [k, ps] of flows) {
  if (++flowCount > 3000) { flowSection.append(el('p', { text: (flows.size - 3000) + ' more flows: filter by flow to see one.' })); break; }
  const ev = [...new Set(ps.flatMap((p) => p.evidence_for || []))];
  const det = el('details', { 'data-flow': k },
    el('summary', { text: k + ' \u00b7 ' + ps.length + ' packets' + (ev.length ? ' \u00b7 evidence of [' + ev.join(', ') + ']' : '') }));
  det.addEventListener('toggle', () => {
    if (!det.open || det.nc) return;
    det.nc = true;
    const pk = new Set(ps.map((p) => p.id));
    const flowCalls = () => NC.calls.filter((c) => c.socket && c.socket.local && c.socket.remote &&
      ps.some((p) => NC.onFlow(p, { transport: c.socket.transport, local: c.socket.local, remote: c.socket.remote })));
    det.append(...diagramBox(k, () => ({ calls: flowCalls(), packets: D.packets.filter((p) => pk.has(p.id)) }), null));
  });
  flowDetails.push(det);
  flowSection.append(det);
}

function applyFilters() {
  for (const a of articles) {
    const f = a.nc.f;
    let show = !filter.finding || String(f.id) === filter.finding;
    if (filter.pid && String(f.call.pid) !== filter.pid) show = false;
    if (filter.flow && !(flows.get(filter.flow) || []).some((p) => NC.onFlow(p, f.flow))) show = false;
    a.classList.toggle('hidden', !show);
  }
  for (const d of flowDetails) {
    const ps = flows.get(d.dataset.flow);
    let show = !filter.flow || d.dataset.flow === filter.flow;
    if (filter.finding && !ps.some((p) => (p.evidence_for || []).includes(Number(filter.finding)))) show = false;
    d.classList.toggle('hidden', !show);
  }
  for (const redraw of drawn.values()) redraw();
}

// ---- packet details ----
const details = el('aside', { id: 'details', role: 'region', 'aria-live': 'polite', 'aria-label': 'packet details' });
document.body.append(details);
function showPacket(id, scope) {
  const p = NC.packetById.get(id);
  if (!p) return;
  for (const g of document.querySelectorAll('svg.seq .arrow.picked')) g.classList.remove('picked');
  const arrow = (scope || document).querySelector(`svg.seq .arrow[data-packet-id="${id}"]`);
  if (arrow) { arrow.classList.add('picked'); arrow.scrollIntoView({ block: 'nearest', inline: 'nearest' }); }
  const rows = [['frame', id + ' in ' + (F.capture_file || 'the capture')], ['time', NC.rel(p.ts_ns)],
                ['described', NC.describe(p).text], ['tcpdump', p.display], ['interface', p.interface],
                ['length', p.wire_len + ' on the wire, ' + p.captured_len + ' captured']];
  if (p.src) rows.push(['from \u2192 to', NC.ep(p.src) + ' \u2192 ' + NC.ep(p.dst) + ' (' + p.transport + ', ' + p.ip + ')']);
  for (const key of ['tcp', 'icmp', 'dns', 'tls', 'neighbour']) if (p[key]) rows.push(...detailRows(p[key], key + '.', []));
  if ((p.evidence_for || []).length) rows.push(['evidence of', p.evidence_for.map((n) => '[' + n + '] ' + D.findings[n - 1].kind).join(', ')]);
  const table = el('table');
  for (const [k, v] of rows) table.append(el('tr', {}, el('td', { text: k }), el('td', { class: 'mono', text: String(v) })));
  // The findings it explains, one click away.
  const links = (p.evidence_for || []).map((n) => el('button', { text: 'open finding [' + n + ']', onclick: () => {
    toggle(n, true);
    articles[n - 1].scrollIntoView({ block: 'start' });
  } }));
  details.replaceChildren(el('h3', { text: 'Frame ' + id }), table, ...links,
    el('button', { text: 'close (Esc)', onclick: () => details.classList.remove('shown') }));
  details.classList.add('shown');
}
document.addEventListener('click', (e) => {
  const g = e.target.closest && e.target.closest('svg.seq .arrow');
  if (g) showPacket(Number(g.dataset.packetId), g.closest('.story, details'));
});

// ---- zoom, pan, theme, keys ----
function zoom(factor) {
  NC.zoom = factor === 0 ? 1 : Math.min(1024, Math.max(1 / 1024, NC.zoom * factor));
  const nsPerPx = 1e6 / NC.zoom;
  zoomText.textContent = NC.dur(nsPerPx) + '/px';
  for (const redraw of drawn.values()) redraw();
}
document.addEventListener('wheel', (e) => {
  if (!e.ctrlKey || !e.target.closest('.diagram')) return;
  e.preventDefault();
  zoom(e.deltaY < 0 ? 2 : 0.5);
}, { passive: false });
let drag = null;
document.addEventListener('mousedown', (e) => {
  const box = e.target.closest && e.target.closest('.diagram');
  if (!box || e.target.closest('.arrow') || e.button !== 0) return;
  drag = { box, x: e.clientX, y: e.clientY, l: box.scrollLeft, t: box.scrollTop };
  box.classList.add('dragging');
});
document.addEventListener('mousemove', (e) => {
  if (!drag) return;
  drag.box.scrollLeft = drag.l - (e.clientX - drag.x);
  drag.box.scrollTop = drag.t - (e.clientY - drag.y);
});
document.addEventListener('mouseup', () => { if (drag) drag.box.classList.remove('dragging'); drag = null; });
function toggleTheme() {
  const root = document.documentElement;
  const dark = root.dataset.theme ? root.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  root.dataset.theme = dark ? 'light' : 'dark';
}
document.addEventListener('keydown', (e) => {
  const t = e.target;
  if (t.tagName === 'SELECT' || e.ctrlKey || e.metaKey || e.altKey) return;
  const heads = articles.filter((a) => !a.classList.contains('hidden')).map((a) => a.querySelector('.head'));
  const at = heads.indexOf(t);
  if ((e.key === 'j' || (e.key === 'ArrowDown' && at >= 0)) && heads.length) {
    heads[Math.min(heads.length - 1, at + 1)].focus(); e.preventDefault();
  } else if ((e.key === 'k' || (e.key === 'ArrowUp' && at >= 0)) && heads.length) {
    heads[Math.max(0, at - 1)].focus(); e.preventDefault();
  } else if ((e.key === 'Enter' || e.key === ' ') && t.classList && t.classList.contains('arrow')) {
    showPacket(Number(t.dataset.packetId), t.closest('.story, details')); e.preventDefault();
  } else if (e.key === '+' || e.key === '=') zoom(2);
  else if (e.key === '-') zoom(0.5);
  else if (e.key === '0') zoom(0);
  else if (e.key === 't') toggleTheme();
  else if (e.key === 'Escape') details.classList.remove('shown');
});
window.addEventListener('beforeprint', () => { for (const a of articles) renderStory(a); });

NC.page = { toggle, showPacket, articles };
document.documentElement.dataset.rendered = 'yes';
window.netcorrRenderMs = NC.timings.rendered_ms = performance.now();
})();
)js";

// Both halves, in order.
inline constexpr std::string_view kHtmlScriptParts[] = {kHtmlDiagramScript, kHtmlPageScript};

}  // namespace netcorr::report
