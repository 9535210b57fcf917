#pragma once

// The first half of the --html page's inline script (html_report.cc): reading the embedded
// --json document, naming packets the way a person reads them (SYN, SYN-ACK, RST, data 36 B,
// retransmission, zero window, ICMP from a hop, DNS query and answer, TLS alert), and drawing
// one sequence diagram as SVG: a lane for the program (its calls as boxes from entry to exit,
// the errno marked), one for this host's wire, one per remote host, per hop that sent an ICMP
// error and per neighbour asked for on the link; packets as arrows in time. Time runs down on a
// shared axis whose scale the zoom sets; a gap too long for it is compressed to a band that
// says how long it was, so a 3-second timeout and a 50-microsecond RST fit on one screen.
// html_script.h holds the second half (the page: findings, stories, filters, keys).

#include <string_view>

namespace netcorr::report {

inline constexpr std::string_view kHtmlDiagramScript = R"js(
'use strict';
const NC = {};
(function () {
const facts0 = JSON.parse(document.getElementById('netcorr-page').textContent);
const T0 = BigInt(facts0.t0_ns);
// Times are nanoseconds since the epoch, above 2^53: made relative to the first event, exactly,
// in the text before it is parsed (a reviver that reads each number's source is several times
// slower on a large page). Every time's key ends in _ns; such a key followed by ':' can only be
// a real key, since inside a JSON string every '"' is escaped and so follows a backslash.
function relative(text) {
  const rel = (digits) => String(BigInt(digits) - T0);
  return text.replace(/"([a-z_]+_ns)":\s*(\d{16,})/g, (m, key, digits) => '"' + key + '":' + rel(digits))
             .replace(/"([a-z_]+_ns)":\s*\[([\d,\s]+)\]/g, (m, key, list) =>
               '"' + key + '":[' + list.split(',').map((d) => d.trim().length >= 16 ? rel(d.trim()) : d).join(',') + ']');
}
NC.facts = JSON.parse(relative(document.getElementById('netcorr-page').textContent));
NC.data = JSON.parse(relative(document.getElementById('netcorr-data').textContent));
NC.timings = { parsed_ms: performance.now() };
NC.t0Text = new Date(Number(T0 / 1000000n)).toISOString().replace('T', ' ').replace('Z', ' UTC');
NC.zoom = 1;

const SVGNS = 'http://www.w3.org/2000/svg';
NC.el = function (tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
};
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
NC.dur = function (ns) {
  if (!(ns > 0)) return '0';
  if (ns < 1e3) return ns.toFixed(0) + ' ns';
  if (ns < 1e6) return (ns / 1e3).toFixed(ns < 1e4 ? 1 : 0) + ' \u00b5s';
  if (ns < 1e9) return (ns / 1e6).toFixed(ns < 1e7 ? 2 : 1) + ' ms';
  return (ns / 1e9).toFixed(ns < 1e10 ? 2 : 1) + ' s';
};
NC.rel = (ns) => '+' + (ns / 1e9).toFixed(6) + ' s';
NC.ep = (e) => !e ? '?' : (e.ip.includes(':') ? '[' + e.ip + ']' : e.ip) + ':' + e.port;
NC.flowText = (f) => !f ? '' : f.transport.toUpperCase() + ' ' + NC.ep(f.local) + ' \u2192 ' + NC.ep(f.remote);

const D = NC.data;
NC.packetById = new Map(D.packets.map((p) => [p.id, p]));
NC.callById = new Map(D.calls.map((c) => [c.id, c]));
for (const f of D.findings) {
  if (!NC.callById.has(f.call.id)) NC.callById.set(f.call.id, f.call);
  if (f.resolved_by && !NC.callById.has(f.resolved_by.id)) NC.callById.set(f.resolved_by.id, f.resolved_by);
}
NC.calls = [...NC.callById.values()];

// This host's addresses: the local side of the program's sockets and flows, and the sender of
// every packet sent to an address the program talked to.
const known = (ip) => ip && ip !== '0.0.0.0' && ip !== '::';
NC.local = new Set();
const remotes = new Set();
for (const f of D.findings) {
  if (f.flow) { if (known(f.flow.local.ip)) NC.local.add(f.flow.local.ip); remotes.add(f.flow.remote.ip); }
}
for (const c of NC.calls) {
  if (c.socket && c.socket.local && known(c.socket.local.ip)) NC.local.add(c.socket.local.ip);
  if (c.socket && c.socket.remote) remotes.add(c.socket.remote.ip);
  if (c.address) remotes.add(c.address.ip);
}
for (const p of D.packets) {
  if (p.src && remotes.has(p.dst.ip) && !remotes.has(p.src.ip)) NC.local.add(p.src.ip);
  if (p.neighbour && !p.neighbour.op.startsWith('r')) NC.local.add(p.neighbour.sender_ip);
}

// Endpoints match when every known part is equal (a connect that failed before the kernel chose
// a source port has local port 0), as the text report's timeline matches them.
const epMatch = (want, got) => got && (!known(want.ip) || want.ip === got.ip) && (want.port === 0 || want.port === got.port);
NC.onFlow = function (p, flow) {
  if (!flow) return false;
  if (p.icmp) {
    const o = p.icmp.original;
    return o.transport === flow.transport && epMatch(flow.local, o.local) && epMatch(flow.remote, o.remote);
  }
  if (!p.src || p.transport !== flow.transport) return false;
  return (epMatch(flow.local, p.src) && epMatch(flow.remote, p.dst)) ||
         (epMatch(flow.local, p.dst) && epMatch(flow.remote, p.src));
};
NC.flowKey = function (p) {
  let t, a, b;
  if (p.icmp) { t = p.icmp.original.transport; a = p.icmp.original.local; b = p.icmp.original.remote; }
  else if (p.src) { t = p.transport; a = p.src; b = p.dst; }
  else return 'neighbour';
  const x = NC.ep(a), y = NC.ep(b);
  return t.toUpperCase() + ' ' + (x < y ? x + ' \u21c4 ' + y : y + ' \u21c4 ' + x);
};

// Retransmissions: a segment that carries sequence space (data, SYN, FIN) sent again with the
// same sequence number and length in the same direction.
NC.retrans = new Set();
{
  const sent = new Set();
  for (const p of D.packets) {
    const t = p.tcp;
    if (!t || t.flags_num & 4) continue;
    const space = t.payload_len + ((t.flags_num & 3) ? 1 : 0);
    if (space === 0) continue;
    const k = NC.ep(p.src) + '>' + NC.ep(p.dst) + ' ' + t.seq + ' ' + t.payload_len + ' ' + (t.flags_num & 3);
    if (sent.has(k)) NC.retrans.add(p.id); else sent.add(k);
  }
}

NC.timings.indexed_ms = performance.now();

// What a packet is, in the words of the sequence diagram, with the classes that mark it.
NC.describe = function (p) {
  const parts = [], cls = [];
  const t = p.tcp;
  if (t) {
    const f = t.flags_num;
    let name = (f & 4) ? 'RST' : (f & 2) ? ((f & 16) ? 'SYN-ACK' : 'SYN') : (f & 1) ? 'FIN' : t.payload_len > 0 ? 'data' : 'ACK';
    if (f & 4) cls.push('rst');
    if (t.payload_len > 0) name = (name === 'data' ? 'data ' : name + ' + data ') + t.payload_len + ' B';
    parts.push(name);
    if (t.window === 0 && !(f & 6)) { parts.push('\u2298 zero window'); cls.push('zerowin'); }
  }
  if (p.tls) {
    if (p.tls.alert) { parts.push('TLS alert ' + p.tls.alert.level_name + ' ' + p.tls.alert.description_name); cls.push('alert'); }
    else if (p.tls.client_hello) parts.push('TLS ClientHello' + (p.tls.client_hello.sni ? ' SNI ' + p.tls.client_hello.sni : ''));
  }
  if (p.dns) {
    const d = p.dns;
    if (d.response) {
      parts.push('DNS ' + d.rcode_name + (d.truncated ? ' TC' : '') + ' ' + d.qname + ' (' + d.answers + ' answers)');
      if (d.rcode !== 0) cls.push('dnserr');
    } else parts.push('DNS ' + d.qtype_name + '? ' + d.qname);
  }
  if (p.icmp) {
    parts.push('ICMP ' + p.icmp.description + (p.icmp.next_hop_mtu ? ' mtu ' + p.icmp.next_hop_mtu : ''));
    cls.push('icmp');
  }
  if (p.neighbour) {
    const n = p.neighbour, kind = n.v6 ? 'ND' : 'ARP';
    parts.push(n.op === 'request' ? kind + ' who-has ' + n.target_ip : kind + ' ' + n.sender_ip + ' is-at ' + (n.sender_mac || '?'));
  }
  if (parts.length === 0) parts.push(p.transport.toUpperCase() + ' ' + p.payload_len + ' B');
  if (NC.retrans.has(p.id)) { parts.unshift('\u21bb retransmission'); cls.push('retrans'); }
  return { text: parts.join(' \u00b7 '), cls };
};

// Which lanes a packet goes between: this host's wire, a remote host, a hop, a neighbour.
function ends(p) {
  if (p.icmp) {
    const s = p.icmp.sender;
    if (NC.local.has(s)) return { from: ['host'], to: ['host'] };
    const role = s === p.icmp.original.remote.ip ? 'remote host' : 'hop (sent ICMP)';
    return { from: [s, role], to: ['host'] };
  }
  if (p.neighbour) {
    const n = p.neighbour, who = n.op === 'request' ? n.target_ip : n.sender_ip;
    const lane = [who, n.v6 ? 'neighbour (ND)' : 'neighbour (ARP)'];
    return NC.local.has(n.sender_ip) ? { from: ['host'], to: lane } : { from: lane, to: ['host'] };
  }
  const sl = NC.local.has(p.src.ip), dl = NC.local.has(p.dst.ip);
  if (sl && dl) return { from: ['host'], to: ['host'] };
  if (sl) return { from: ['host'], to: [p.dst.ip, 'remote host'] };
  if (dl) return { from: [p.src.ip, 'remote host'], to: ['host'] };
  return { from: [p.src.ip, 'remote host'], to: [p.dst.ip, 'remote host'] };
}

const AXIS_W = 118, PROG_W = 330, LANE_W = 200, HEAD_H = 48, ROW_H = 26, GAP_H = 36, CAP_PX = 120;

// Draws calls and packets as one sequence diagram. opts.finding: the finding whose story this
// is (its call is outlined, its evidence starred); opts.pid: only that pid's calls.
NC.draw = function (calls, packets, opts) {
  const items = [];
  // At one nanosecond (common with strace's microseconds): a packet, then a call's return (the
  // packet arrived while it was in the kernel), then the next call's entry, so boxes never
  // overlap; a call that took no time returns after its own entry.
  for (const c of calls) {
    if (opts.pid && String(c.pid) !== opts.pid) continue;
    items.push({ t: c.entry_ns, o: 2, id: c.id, call: c, end: false });
    const exit = Math.max(c.exit_ns, c.entry_ns);
    if (c.finished) items.push({ t: exit, o: exit === c.entry_ns ? 3 : 1, id: c.id, call: c, end: true });
  }
  for (const p of packets) items.push({ t: p.ts_ns, o: 0, id: p.id, pkt: p });
  items.sort((a, b) => a.t - b.t || a.o - b.o || a.id - b.id);

  const lanes = [{ key: 'prog', label: 'program', sub: 'calls, entry to exit' },
                 { key: 'host', label: 'this host', sub: [...NC.local].slice(0, 2).join(', ') || 'wire' }];
  const laneIx = new Map([['prog', 0], ['host', 1]]);
  const lane = (spec) => {
    if (!laneIx.has(spec[0])) { laneIx.set(spec[0], lanes.length); lanes.push({ key: spec[0], label: spec[0], sub: spec[1] }); }
    return laneIx.get(spec[0]);
  };
  const arrows = [];
  for (const it of items) if (it.pkt) { const e = ends(it.pkt); it.from = lane(e.from); it.to = lane(e.to); }
  const laneX = (i) => i === 0 ? AXIS_W + PROG_W / 2 : AXIS_W + PROG_W + (i - 1) * LANE_W + LANE_W / 2;
  const width = AXIS_W + PROG_W + (lanes.length - 1) * LANE_W + 240;  // room for the last labels

  // Rows: each event its own, the time between them drawn to scale up to CAP_PX, beyond that
  // compressed into a labelled band.
  const nsPerPx = 1e6 / NC.zoom;
  let y = HEAD_H + 18, prev = null;
  const gaps = [];
  for (const it of items) {
    if (prev !== null) {
      const px = (it.t - prev) / nsPerPx;
      if (px > CAP_PX) { gaps.push({ y: y + ROW_H / 2, ns: it.t - prev }); y += ROW_H + GAP_H; }
      else y += ROW_H + px;
    }
    it.y = y;
    prev = it.t;
  }
  const height = y + ROW_H + 10;
  const root = svg('svg', { class: 'seq', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group',
                            'aria-label': 'sequence diagram: ' + (opts.title || '') });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'ah' + (++NC.markerSeq), viewBox: '0 0 10 10', refX: 9, refY: 5,
                                 markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse',
                                 orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'mark-head' }));
  defs.append(marker);
  root.append(defs);

  for (const g of gaps) {
    const band = svg('g', { class: 'gap' });
    band.append(svg('rect', { x: 0, y: g.y + 4, width, height: GAP_H - 2 }));
    for (let i = 0; i < lanes.length; ++i) {
      const x = laneX(i), y0 = g.y + 6;
      band.append(svg('path', { d: `M${x - 8},${y0 + 8} l16,-6 M${x - 8},${y0 + 20} l16,-6` }));
    }
    root.append(band);
  }
  // The bands' words go on top of everything else, right of the program's lane.
  const gapWords = gaps.map((g) => svg('text', { x: AXIS_W + PROG_W + 8, y: g.y + GAP_H / 2 + 8, class: 'gap-text' },
                                       '\u22ef ' + NC.dur(g.ns) + ' without events here (compressed) \u22ef'));
  lanes.forEach((l, i) => {
    const x = laneX(i), w = (i === 0 ? PROG_W : LANE_W) - 12;
    const head = svg('g', { class: 'lane-head' });
    head.append(svg('rect', { x: x - w / 2, y: 4, width: w, height: HEAD_H - 10, rx: 5 }));
    head.append(svg('text', { x, y: 22, 'text-anchor': 'middle' }, l.label));
    head.append(svg('text', { x, y: 37, 'text-anchor': 'middle', class: 'sub' }, l.sub));
    root.append(head, svg('line', { class: 'lane-line', x1: x, y1: HEAD_H, x2: x, y2: height }));
  });
  const axis = svg('g', { class: 'axis' });
  for (const it of items) axis.append(svg('text', { x: 6, y: it.y + 4 }, NC.rel(it.t)));
  root.append(axis);

  const px0 = laneX(0) - PROG_W / 2 + 8;
  const entryY = new Map();
  for (const it of items) {
    if (!it.call) continue;
    const c = it.call;
    if (!it.end) {
      entryY.set(c.id, it.y);
      if (!c.finished) drawCall(c, it.y, height - 8);
      continue;
    }
    drawCall(c, entryY.get(c.id), it.y);
  }
  function drawCall(c, y0, y1) {
    const fc = opts.finding && opts.finding.call.id === c.id;
    const g = svg('g', { class: 'call' + (c.failed || !c.finished ? ' failed' : '') + (fc ? ' finding-call' : ''),
                         'data-call-id': c.id });
    g.append(svg('rect', { x: px0, y: y0 - 10, width: PROG_W - 16, height: Math.max(20, y1 - y0 + 20), rx: 4 }));
    const headText = '[' + c.pid + '] ' + c.display.replace(/^\[[^\]]*\] /, '');
    const m = /^(.*?) (= .*|\.\.\. still blocked.*)$/.exec(headText);
    const head = m ? m[1] : headText, outcome = m ? m[2] : '';
    const short = (s, n) => s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
    g.append(svg('text', { x: px0 + 6, y: y0 + 4 }, short(head, 44)));
    const mark = c.failed ? '\u2716 ' : !c.finished ? '\u2026 ' : '\u2714 ';
    g.append(svg('text', { x: px0 + 6, y: (c.finished ? y1 : y0 + 20) + 4, class: 'outcome' }, mark + short(outcome, 42)));
    g.append(svg('title', {}, c.display));
    root.append(g);
  }

  for (const it of items) {
    if (!it.pkt) continue;
    const p = it.pkt, d = NC.describe(p);
    const ev = p.evidence_for || [];
    const cls = ['arrow', ...d.cls];
    if (ev.length) cls.push('evidence');
    const g = svg('g', { class: cls.join(' '), 'data-packet-id': p.id, 'data-evidence': ev.join(' '),
                         tabindex: 0, role: 'button', 'aria-label': 'frame ' + p.id + ': ' + d.text });
    const x1 = laneX(it.from), x2 = laneX(it.to);
    const star = ev.length ? '\u2605[' + ev.join(',') + '] ' : '';
    const label = star + '#' + p.id + ' ' + d.text;
    let lx;
    if (x1 === x2) {
      const path = `M${x1},${it.y - 6} h40 v12 h-36`;
      g.append(svg('path', { d: path, class: 'self', 'marker-end': `url(#${marker.id})` }));
      g.append(svg('line', { x1, y1: it.y, x2: x1 + 40, y2: it.y, class: 'hit' }));
      lx = x1 + 46;
      g.append(svg('text', { x: lx, y: it.y - 4, class: 'lbl' }, label));
    } else {
      g.append(svg('line', { x1, y1: it.y, x2: x2 + (x2 > x1 ? -3 : 3), y2: it.y, 'marker-end': `url(#${marker.id})` }));
      g.append(svg('line', { x1, y1: it.y, x2, y2: it.y, class: 'hit' }));
      lx = Math.min(x1, x2) + 6;
      g.append(svg('text', { x: lx, y: it.y - 5, class: 'lbl' }, label));
    }
    g.append(svg('title', {}, p.display));
    arrows.push(g);
    root.append(g);
  }
  const words = svg('g', { class: 'gap' });
  words.append(...gapWords);
  root.append(words);
  return { svg: root, arrows: arrows.length, events: items.length };
};
NC.markerSeq = 0;
})();
)js";

}  // namespace netcorr::report
