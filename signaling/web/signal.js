// signal.js - the WebSocket to meetopiad's /ws (SPEC "Signaling: WebSocket /ws").
//
// One Signal object lives as long as the page.  It reconnects with
// exponential backoff (0.5 s doubling to 15 s, with jitter) and, when it
// had a session, sends `resume` with the last resumeToken as the first
// message of the new socket, so the queue place or the partner (and the call,
// whose media never went through this socket) survives a dropped socket.
//
// Events (CustomEvent, detail = the message object unless said otherwise):
//   welcome, resumed, waiting, matched, offer, answer, candidate, chat,
//   typing, partner_left, reported, error, pong  - as the server sent them
//   session   - {fresh: bool}: the session to use from now on is known
//               (fresh: a new one; the old session, if any, is gone)
//   link      - {state: 'connecting'|'open'|'reconnecting'|'refused'|'closed',
//               attempt, delay}
//   banned    - the server closed the socket because this address is banned

const BACKOFF_MIN = 500;
const BACKOFF_MAX = 15000;
const PING_EVERY = 20000;
const PONG_WITHIN = 10000;
const REFUSED_AFTER = 4;      // handshakes refused in a row before we say so
const QUEUE_MAX = 200;

export class Signal extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.session = null;        // our session id
    this.token = null;          // latest resumeToken
    this.welcome = null;        // the welcome of the session in use
    this.pendingWelcome = null; // welcome of the current socket while resuming
    this.resuming = false;
    this.attempt = 0;
    this.refusedInRow = 0;
    this.stopped = false;
    this.banned = false;
    this.queue = [];            // messages to send once the session is back
    this.ready = false;         // the session of this socket is known
    this.timer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.onOnline = () => { if (!this.ws && !this.stopped) this.connectNow(); };
    window.addEventListener('online', this.onOnline);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  connect() {
    this.stopped = false;
    if (this.ws) return;
    this.open();
  }

  connectNow() {
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  }

  open() {
    if (this.banned) return;
    let ws;
    this.ready = false;
    this.emit('link', { state: this.session ? 'reconnecting' : 'connecting', attempt: this.attempt });
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect(false);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      opened = true;
      this.refusedInRow = 0;
      this.resuming = Boolean(this.token);
      this.pendingWelcome = null;
      if (this.resuming) ws.send(JSON.stringify({ type: 'resume', token: this.token }));
      this.startPing();
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (!m || typeof m.type !== 'string') return;
      this.receive(m);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.ready = false;
      this.stopPing();
      if (ev.code === 1008 && /banned/i.test(ev.reason || '')) {
        this.banned = true;
        this.emit('banned', {});
        this.emit('link', { state: 'closed' });
        return;
      }
      if (this.stopped) {
        this.emit('link', { state: 'closed' });
        return;
      }
      this.scheduleReconnect(!opened);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  scheduleReconnect(handshakeFailed) {
    if (handshakeFailed) this.refusedInRow++;
    this.attempt++;
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** Math.min(this.attempt - 1, 10));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    if (handshakeFailed && this.refusedInRow >= REFUSED_AFTER) {
      // The server may be up and refusing us (403 banned, 429 too many
      // sockets from this address): a browser cannot see the status, so
      // ask /healthz whether the server itself answers.
      this.probeServer().then((up) => {
        this.emit('link', { state: up ? 'refused' : 'reconnecting', attempt: this.attempt, delay });
      });
    } else {
      this.emit('link', { state: 'reconnecting', attempt: this.attempt, delay });
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; this.open(); }, delay);
  }

  async probeServer() {
    try {
      const r = await fetch('/healthz', { cache: 'no-store' });
      return r.ok;
    } catch (e) {
      return false;
    }
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send('{"type":"ping"}');
      clearTimeout(this.pongTimer);
      // No pong: the socket is dead even if the browser has not noticed.
      this.pongTimer = setTimeout(() => this.drop(), PONG_WITHIN);
    }, PING_EVERY);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = this.pongTimer = null;
  }

  // The server is going away (a draining node, SPEC "reconnect"): close
  // this socket and open a new one to the same URL after `after` ms (the
  // server spreads them; at most a minute), which resumes the session.
  reconnectAfter(after) {
    const ws = this.ws;
    if (!ws) return;
    const delay = Number.isFinite(after) && after >= 0 ? Math.min(after, 60000) : BACKOFF_MIN;
    this.ws = null;
    this.ready = false;
    this.stopPing();
    try { ws.close(1000); } catch (e) { /* already closed */ }
    this.emit('link', { state: 'reconnecting', attempt: this.attempt, delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; this.open(); }, delay);
  }

  // Close the socket as if the network dropped it (also used by tests).
  drop() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.ready = false;
    this.stopPing();
    try { ws.close(); } catch (e) { /* already closed */ }
    this.scheduleReconnect(false);
  }

  receive(m) {
    switch (m.type) {
    case 'welcome':
      if (this.resuming) {
        // This socket's fresh session: used only if the resume fails.
        this.pendingWelcome = m;
        return;
      }
      this.adopt(m, true);
      return;
    case 'resumed':
      this.resuming = false;
      this.pendingWelcome = null;
      this.session = m.session;
      this.token = m.resumeToken;
      this.ready = true;
      this.attempt = 0;
      this.emit('link', { state: 'open' });
      this.emit('resumed', m);
      this.flush();
      return;
    case 'error':
      if (m.code === 'bad_token' && this.resuming) {
        // The old session is gone (resume-window passed): start afresh
        // with this socket's own session.
        this.resuming = false;
        if (this.pendingWelcome) this.adopt(this.pendingWelcome, true);
        this.pendingWelcome = null;
        return;
      }
      if (m.code === 'banned') {
        this.banned = true;
        this.emit('banned', m);
      }
      this.emit('error', m);
      return;
    case 'pong':
      clearTimeout(this.pongTimer);
      this.pongTimer = null;
      return;
    case 'reconnect':
      this.reconnectAfter(m.after);
      return;
    default:
      this.emit(m.type, m);
    }
  }

  adopt(welcome, fresh) {
    this.welcome = welcome;
    this.session = welcome.session;
    this.token = welcome.resumeToken;
    this.ready = true;
    this.attempt = 0;
    this.queue = [];            // messages for the lost session are void
    this.emit('link', { state: 'open' });
    this.emit('welcome', welcome);
    this.emit('session', { fresh });
  }

  flush() {
    const q = this.queue;
    this.queue = [];
    for (const m of q) this.send(m);
  }

  // Sends now when the session is up; otherwise keeps the message for the
  // resumed session (typing and stats are not worth keeping).
  send(m) {
    if (this.ws && this.ready && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(m));
      return true;
    }
    if (m.type !== 'typing' && m.type !== 'stats' && this.queue.length < QUEUE_MAX) this.queue.push(m);
    if (!this.ws && !this.timer && !this.stopped && !this.banned) this.connectNow();
    return false;
  }

  isOpen() {
    return Boolean(this.ws && this.ready && this.ws.readyState === WebSocket.OPEN);
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
    this.stopPing();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }
}
