// node_dial: Node.js's way of making a TCP connection (libuv: a non-blocking connect, epoll,
// getsockopt(SO_ERROR); a thread pool beside the loop), for netcorr's runtime stories
// (tests/runtime_story_e2e_test.cc).
//
//   node node_dial.js connect HOST PORT TIMEOUT_MS   net.connect, then close
//   node node_dial.js request HOST PORT TIMEOUT_MS   connect, write "hello\n", read the answer
//
// socket.setTimeout bounds every wait; on it the program gives up (destroys the socket). Prints
// one line, "result: ok ..." or "result: CALL ERROR", and exits 1 on failure.
'use strict';
const net = require('net');

const [mode, host, port, ms] = process.argv.slice(2);
if (!['connect', 'request'].includes(mode) || !(Number(ms) > 0)) {
  console.error('usage: node node_dial.js connect|request HOST PORT TIMEOUT_MS');
  process.exit(2);
}

let connected = false;
let done = false;
const sock = net.connect({host, port: Number(port)});
sock.setTimeout(Number(ms));

function finish(line, code) {
  if (done) return;
  done = true;
  console.log(line);
  sock.destroy();
  process.exitCode = code;
}

const phase = () => (connected ? 'recv' : 'connect');
sock.on('connect', () => {
  connected = true;
  if (mode === 'connect') {
    finish('result: ok connected', 0);
  } else {
    sock.write('hello\n');
  }
});
sock.on('data', (d) => finish('result: ok ' + JSON.stringify(d.toString()), 0));
sock.on('timeout', () => finish(`result: ${phase()} timeout`, 1));
sock.on('error', (e) => finish(`result: ${phase()} ${e.code}`, 1));
sock.on('end', () => finish(`result: recv eof`, 1));
