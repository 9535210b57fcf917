// Opens netcorr --html pages in one headless Chromium and reports, as JSON on stdout, what a
// person would see: which findings are rendered, the packet arrows of each one's diagram, its
// evidence arrows, what is highlighted after a real mouse click on the finding, and the packet
// details after a click on an evidence arrow. Screenshots are saved as PNG. The assertions are
// the caller's (tests/html_report_e2e_test.cc); this only drives the browser and measures.
//
// No npm package: Chromium's DevTools protocol over --remote-debugging-pipe (JSON messages,
// NUL-terminated, commands on fd 3, replies and events on fd 4). Chromium runs in a network
// namespace of its own with no interface up (unshare --net), so it can reach nothing at all,
// whatever its background services try. Every wait is bounded.
//
//   node browser_check.js CONFIG.json
//   CONFIG: {"chromium": "/usr/bin/chromium", "timeout_ms": 90000,
//            "pages": [{"name": "refused", "html": "/abs/a.html", "png": "/abs/a.png",
//                       "max_findings": N (optional: open only the first N findings),
//                       "shot_finding": N (optional: the screenshot shows finding N, default 1)}]}
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const started = Date.now();
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'netcorr-chromium-'));
const args = ['--net', '--', config.chromium || '/usr/bin/chromium', '--headless=new', '--no-sandbox',
  '--disable-gpu', '--disable-dev-shm-usage', '--remote-debugging-pipe', '--user-data-dir=' + profile,
  '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-component-update',
  '--disable-background-networking', '--disable-sync', '--disable-default-apps', '--no-pings',
  '--disable-breakpad', '--mute-audio', '--hide-scrollbars', '--allow-file-access-from-files',
  'about:blank'];
const child = spawn('/usr/bin/unshare', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
child.stdio[2].on('data', (d) => { if (stderr.length < 20000) stderr += d; });
const toChrome = child.stdio[3], fromChrome = child.stdio[4];

function cleanup() {
  try { child.kill('SIGKILL'); } catch (e) { /* already gone */ }
  try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
}
function fail(message) {
  process.stdout.write(JSON.stringify({ error: message, stderr: stderr.slice(-4000) }) + '\n');
  cleanup();
  process.exit(2);
}
const deadline = setTimeout(() => fail('timed out after ' + (config.timeout_ms || 90000) + ' ms'),
                            config.timeout_ms || 90000);
child.on('exit', (code, signal) => { if (!finished) fail('chromium exited: ' + (code ?? signal)); });
child.on('error', (e) => fail('cannot start chromium: ' + e.message));
let finished = false;

// ---- the protocol ----
let nextId = 1, buffered = Buffer.alloc(0);
const pending = new Map(), waiters = [];
const exceptions = [];
fromChrome.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  for (let nul; (nul = buffered.indexOf(0)) >= 0;) {
    const msg = JSON.parse(buffered.subarray(0, nul).toString('utf8'));
    buffered = buffered.subarray(nul + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject, method } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(method + ': ' + msg.error.message)); else resolve(msg.result);
    } else if (msg.method) {
      if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        exceptions.push((d.exception && d.exception.description) || d.text);
      }
      for (let i = waiters.length - 1; i >= 0; --i) {
        if (waiters[i].method === msg.method) { waiters[i].resolve(msg.params); waiters.splice(i, 1); }
      }
    }
  }
});
function send(method, params, sessionId, timeoutMs = 20000) {
  const id = nextId++;
  const msg = { id, method, params: params || {} };
  if (sessionId) msg.sessionId = sessionId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { pending.delete(id); reject(new Error(method + ' timed out')); }, timeoutMs);
    pending.set(id, { method, resolve: (r) => { clearTimeout(timer); resolve(r); },
                      reject: (e) => { clearTimeout(timer); reject(e); } });
    toChrome.write(JSON.stringify(msg) + '\0');
  });
}
function event(method, timeoutMs) {
  return new Promise((resolve, reject) => {
    const w = { method, resolve };
    waiters.push(w);
    setTimeout(() => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); reject(new Error(method + ' never came')); } }, timeoutMs);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId: sid } = await send('Target.attachToTarget', { targetId, flatten: true });
  const evaluate = async (expression) => {
    const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sid);
    if (r.exceptionDetails) throw new Error('page: ' + (r.exceptionDetails.exception?.description || r.exceptionDetails.text));
    return r.result.value;
  };
  const click = async (x, y) => {
    await send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y }, sid);
    await send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', clickCount: 1 }, sid);
    await send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', clickCount: 1 }, sid);
  };
  await send('Page.enable', {}, sid);
  await send('Runtime.enable', {}, sid);
  await send('Emulation.setDeviceMetricsOverride',
             { width: config.width || 1280, height: config.height || 900, deviceScaleFactor: 1, mobile: false }, sid);

  const results = [];
  for (const page of config.pages) {
    exceptions.length = 0;
    const t = Date.now();
    const loaded = event('Page.loadEventFired', 60000);
    await send('Page.navigate', { url: 'file://' + page.html }, sid);
    await loaded;
    let rendered = '';
    for (let i = 0; i < 300 && rendered !== 'yes'; ++i) {
      rendered = await evaluate('document.documentElement.dataset.rendered || ""');
      if (rendered !== 'yes') await sleep(50);
    }
    const result = { name: page.name, rendered: rendered === 'yes', load_ms: Date.now() - t,
                     render_ms: await evaluate('window.netcorrRenderMs || null'),
                     timings: await evaluate('NC.timings'),
                     title: await evaluate('document.title'),
                     on_page: await evaluate('({findings: NC.data.findings.length, calls: NC.data.calls.length, packets: NC.data.packets.length})'),
                     header: await evaluate('(document.getElementById("session")?.textContent || "") + " | " + (document.getElementById("capture")?.textContent || "")'),
                     findings: [] };
    const listed = await evaluate('JSON.stringify(NC.data.findings.map((f) => ({id: f.id, kind: f.kind, evidence: f.evidence})))');
    const explore = JSON.parse(listed).slice(0, page.max_findings ?? Infinity);
    for (const f of explore) {
      const at = await evaluate(`(() => { const h = document.getElementById('finding-head-${f.id}');
        if (!h) return null; h.scrollIntoView({block: 'center'}); const r = h.getBoundingClientRect();
        return {x: r.left + 40, y: r.top + Math.min(12, r.height / 2)}; })()`);
      const seen = { id: f.id, kind: f.kind, evidence: f.evidence, head: at !== null };
      if (at) {
        await click(at.x, at.y);
        await sleep(50);
        Object.assign(seen, await evaluate(`(() => {
          const a = document.getElementById('finding-${f.id}');
          const story = a.querySelector('.story');
          const ids = (sel) => [...new Set([...a.querySelectorAll(sel)].map((g) => Number(g.dataset.packetId)))];
          return { open: a.classList.contains('open'), selected: a.classList.contains('selected'),
                   story_visible: getComputedStyle(story).display !== 'none',
                   summary_text: a.querySelector('.summary').textContent,
                   arrows: ids('svg.seq .arrow'), evidence_arrows: ids('svg.seq .arrow.evidence'),
                   highlighted: ids('svg.seq .arrow.hl'),
                   highlighted_style: (() => { const g = a.querySelector('svg.seq .arrow.hl line:not(.hit)');
                     return g ? getComputedStyle(g).strokeWidth : ''; })(),
                   finding_call_boxes: a.querySelectorAll('svg.seq .call.finding-call').length,
                   lanes: [...a.querySelectorAll('svg.seq .lane-head text:not(.sub)')].map((t) => t.textContent),
                   gaps: [...a.querySelectorAll('svg.seq .gap text')].map((t) => t.textContent),
                   labels: [...a.querySelectorAll('svg.seq .arrow text.lbl')].map((t) => t.textContent) };
        })()`));
      }
      if (at && f.evidence.length) {
        // A click on the first evidence arrow shows that packet's decoded fields.
        const spot = await evaluate(`(() => { const g = document.querySelector('#finding-${f.id} svg.seq .arrow[data-packet-id="${f.evidence[0]}"] line.hit');
          if (!g) return null; g.scrollIntoView({block: 'center', inline: 'nearest'}); const r = g.getBoundingClientRect();
          return {x: r.left + Math.min(30, r.width / 2), y: r.top + r.height / 2}; })()`);
        if (spot) {
          await click(spot.x, spot.y);
          await sleep(30);
          seen.details = await evaluate('document.getElementById("details").classList.contains("shown") ? document.getElementById("details").textContent : ""');
        }
      }
      // The screenshot: the finding's story, with the details of the evidence frame clicked.
      if (f.id === (page.shot_finding || 1) && page.png) {
        await evaluate(`document.getElementById('finding-${f.id}').scrollIntoView({block: 'start'})`);
        await sleep(30);
        const shot = await send('Page.captureScreenshot', { format: 'png' }, sid, 30000);
        fs.writeFileSync(page.png, Buffer.from(shot.data, 'base64'));
        result.screenshot = page.png;
      }
      // Closing it again with a second click leaves it closed and unselected.
      if (at && f.id === 1) {
        const again = await evaluate(`(() => { const h = document.getElementById('finding-head-${f.id}');
          h.scrollIntoView({block: 'center'}); const r = h.getBoundingClientRect(); return {x: r.left + 40, y: r.top + Math.min(12, r.height / 2)}; })()`);
        await click(again.x, again.y);
        await sleep(30);
        seen.closed_by_second_click = await evaluate(`!document.getElementById('finding-${f.id}').classList.contains('open')`);
        await click(again.x, again.y);
        await sleep(30);
      }
      result.findings.push(seen);
    }
    if (page.extras !== false && explore.length) {
      // Keys: j moves the focus from one finding to the next, Enter opens it.
      await evaluate(`document.getElementById('finding-head-1').focus()`);
      const key = async (k) => {
        for (const type of ['keyDown', 'keyUp']) {
          await send('Input.dispatchKeyEvent', { type, key: k, text: type === 'keyDown' && k.length === 1 ? k : undefined,
            code: k.length === 1 ? 'Key' + k.toUpperCase() : k, windowsVirtualKeyCode: k === 'Enter' ? 13 : k.toUpperCase().charCodeAt(0) }, sid);
        }
      };
      await key('j');
      result.focus_after_j = await evaluate('document.activeElement.id');
      // The filter by finding leaves that finding only.
      const last = explore[explore.length - 1].id;
      result.visible_with_finding_filter = await evaluate(`(() => { const s = document.getElementById('filter-finding');
        s.value = '${last}'; s.dispatchEvent(new Event('change'));
        const n = [...document.querySelectorAll('.finding')].filter((a) => a.offsetParent !== null).map((a) => Number(a.dataset.finding));
        s.value = ''; s.dispatchEvent(new Event('change')); return n; })()`);
      // A click on the first flow opens its own diagram.
      const flowAt = await evaluate(`(() => { const s = document.querySelector('.flows details summary');
        if (!s) return null; s.scrollIntoView({block: 'center'}); const r = s.getBoundingClientRect();
        return {x: r.left + 30, y: r.top + r.height / 2}; })()`);
      if (flowAt) {
        await click(flowAt.x, flowAt.y);
        await sleep(50);
        result.first_flow_arrows = await evaluate(`document.querySelectorAll('.flows details svg.seq .arrow').length`);
        result.first_flow_packets = await evaluate(`Number(/(\\d+) packets/.exec(document.querySelector('.flows details summary').textContent)[1])`);
      }
      // Dark when the system is dark; every story shown when printed.
      const bg = 'getComputedStyle(document.body).backgroundColor';
      await send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'light' }] }, sid);
      result.light_background = await evaluate(bg);
      await send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] }, sid);
      result.dark_background = await evaluate(bg);
      await send('Emulation.setEmulatedMedia', { media: 'print', features: [] }, sid);
      result.stories_shown_in_print = await evaluate(`[...document.querySelectorAll('.story')].filter((s) => getComputedStyle(s).display !== 'none').length`);
      result.controls_shown_in_print = await evaluate(`getComputedStyle(document.querySelector('.controls')).display !== 'none'`);
      await send('Emulation.setEmulatedMedia', { media: '', features: [] }, sid);
    }
    result.exceptions = exceptions.slice();
    results.push(result);
  }
  finished = true;
  clearTimeout(deadline);
  process.stdout.write(JSON.stringify({ chromium_ms: Date.now() - started, pages: results }) + '\n');
  await send('Browser.close', {}, undefined, 5000).catch(() => {});
  cleanup();
  process.exit(0);
}
main().catch((e) => fail(e.stack || String(e)));
