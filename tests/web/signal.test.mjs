// signal.test.mjs - the signaling socket (signaling/web/signal.js) on a
// fake WebSocket: a `reconnect` from a draining node closes the socket and
// opens a new one to the same URL after `after` ms, which resumes.
import test from 'node:test';
import assert from 'node:assert/strict';

const sockets = [];
class FakeWS {
  static OPEN = 1;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closed = null;
    sockets.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close(code) { this.closed = code ?? 1005; this.readyState = 3; }
  open() { this.readyState = 1; this.onopen(); }
  message(m) { this.onmessage({ data: JSON.stringify(m) }); }
}
globalThis.WebSocket = FakeWS;
globalThis.window = new EventTarget();
if (typeof globalThis.CustomEvent === 'undefined') {
  globalThis.CustomEvent = class extends Event {
    constructor(type, init) { super(type); this.detail = init && init.detail; }
  };
}
const { Signal } = await import('../../signaling/web/signal.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('reconnect closes the socket and resumes on a new one after `after`', async () => {
  const s = new Signal('ws://example.test/ws');
  s.connect();
  const first = sockets.at(-1);
  first.open();
  first.message({ type: 'welcome', session: 's1', resumeToken: 'tok1', iceServers: [] });
  assert.equal(s.session, 's1');
  first.message({ type: 'reconnect', after: 60 });
  assert.equal(first.closed, 1000, 'the old socket is closed');
  assert.equal(sockets.at(-1), first, 'no new socket before `after`');
  await sleep(20);
  assert.equal(sockets.at(-1), first, 'still none after 20 ms');
  await sleep(80);
  const second = sockets.at(-1);
  assert.notEqual(second, first, 'a new socket after `after`');
  assert.equal(second.url, 'ws://example.test/ws', 'to the same URL');
  second.open();
  assert.deepEqual(second.sent[0], { type: 'resume', token: 'tok1' }, 'which resumes the session');
  second.message({ type: 'resumed', session: 's1', resumeToken: 'tok2' });
  assert.equal(s.token, 'tok2');
  s.close();
});

test('a reconnect with a silly delay waits at most a minute', async () => {
  const s = new Signal('ws://example.test/ws');
  let delay = null;
  s.addEventListener('link', (ev) => { if (ev.detail.delay !== undefined) delay = ev.detail.delay; });
  s.connect();
  const ws = sockets.at(-1);
  ws.open();
  ws.message({ type: 'welcome', session: 's2', resumeToken: 't', iceServers: [] });
  ws.message({ type: 'reconnect', after: 1e12 });
  assert.equal(delay, 60000);
  s.close();
});
