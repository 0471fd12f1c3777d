// app.js - the Meetopia page: consent, camera, Start/Next/Stop, chat,
// report, connection states.  Plain ES modules, no build step; runs under
// the server's Content-Security-Policy (script-src 'self', style-src 'self':
// no inline script or style, no eval).  Text from the network is only ever
// put into the page with textContent.  What state the page is in (searching,
// paired, banned, the socket's link...) is state.js's pure state machine:
// this file turns events into its events and does the side effects.

import { Signal } from './signal.js';
import { Media, LEVELS, START_LEVEL, mediaErrorText } from './media.js';
import { Call, rtcConfig } from './call.js';
import { Quality, grade, formatBitrate } from './quality.js';
import { codePoints, unescapeChat } from './text.js';
import { INITIAL, reduce, view, mayRequeue } from './state.js';

const $ = (id) => document.getElementById(id);
const el = {
  status: $('status'), intro: $('intro'), setup: $('setup'), room: $('room'),
  consentForm: $('consent-form'), adult: $('adult'), consentContinue: $('consent-continue'),
  allowMedia: $('allow-media'), noMedia: $('no-media'), mediaError: $('media-error'),
  remote: $('remote-video'), local: $('local-video'), stageMessage: $('stage-message'), quality: $('quality'),
  start: $('start'), next: $('next'), stop: $('stop'), report: $('report'),
  cameraSelect: $('camera-select'), micSelect: $('mic-select'), interests: $('interests'),
  toggleCamera: $('toggle-camera'), toggleMic: $('toggle-mic'),
  chatLog: $('chat-log'), typing: $('typing'), chatForm: $('chat-form'), chatInput: $('chat-input'),
  chatCount: $('chat-count'), chatSend: $('chat-send'), error: $('error'),
  reportDialog: $('report-dialog'), reportForm: $('report-form'), reportDetail: $('report-detail'),
  reportCount: $('report-count'), reportNext: $('report-next'), reportCancel: $('report-cancel'),
};

const params = new URLSearchParams(location.search);
const transport = ['udp', 'tcp', 'tls'].includes(params.get('transport')) ? params.get('transport') : null;

const LEFT_WORDS = {
  next: 'Your partner moved on to someone else.',
  leave: 'Your partner left the chat.',
  disconnect: 'Your partner lost their connection.',
  banned: 'Your partner was removed for breaking the rules.',
};

const ERROR_WORDS = {
  bad_request: 'Something went wrong: the server did not understand a message from this page. Reload the page if it happens again.',
  too_long: 'That is too long to send.',
  no_partner: 'You are not talking to anyone right now.',
  banned: 'This address is banned from Meetopia for breaking the rules. The ban ends on its own after some time.',
  bad_token: 'Your previous session had expired, so a new one was started.',
  internal: 'The server had a problem. Please try again.',
};

class App {
  constructor() {
    // Timings in ms from the start of the page load (navigation start is
    // performance.now()'s origin).
    this.t0 = 0;
    this.timings = { welcome: null, start: null, matched: null, connected: null, firstFrame: null, connectMs: null };
    this.media = new Media();
    this.signal = new Signal((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    this.call = new Call((m) => this.signal.send(m));
    this.quality = new Quality();
    this.level = START_LEVEL;
    this.st = INITIAL;          // state.js: searching, phase, link, banned, paired, ...
    this.iceServers = null;     // the latest credentials (welcome, then matched)
    this.statsTimer = null;
    this.statsSent = false;
    this.typingSentAt = -Infinity;
    this.typingTimer = null;
    this.requeueTimer = null;
    this.limits = { maxMessageLength: 500 };
    this.bind();
  }

  // Feeds an event to the state machine; false when it does not apply.
  dispatch(ev) {
    const before = this.st;
    this.st = reduce(before, ev);
    return this.st !== before;
  }

  // ---- screens -------------------------------------------------------
  bind() {
    el.adult.addEventListener('change', () => { el.consentContinue.disabled = !el.adult.checked; });
    el.consentForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!el.adult.checked) return;
      el.intro.hidden = true;
      el.setup.hidden = false;
      el.allowMedia.focus();
    });
    el.allowMedia.addEventListener('click', () => this.askMedia());
    el.noMedia.addEventListener('click', () => this.enterRoom(false));
    el.start.addEventListener('click', () => this.start());
    el.next.addEventListener('click', () => this.next());
    el.stop.addEventListener('click', () => this.stop());
    el.report.addEventListener('click', () => this.openReport());
    el.reportCancel.addEventListener('click', () => el.reportDialog.close());
    el.reportForm.addEventListener('submit', (e) => { e.preventDefault(); this.sendReport(); });
    el.reportDetail.addEventListener('input', () => this.countReport());
    el.chatForm.addEventListener('submit', (e) => { e.preventDefault(); this.sendChat(); });
    el.chatInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendChat();
      }
    });
    el.chatInput.addEventListener('input', () => { this.countChat(); this.sendTyping(); });
    el.cameraSelect.addEventListener('change', () => this.switchCamera());
    el.micSelect.addEventListener('change', () => this.switchMic());
    el.toggleCamera.addEventListener('click', () => this.toggle('video', el.toggleCamera));
    el.toggleMic.addEventListener('click', () => this.toggle('audio', el.toggleMic));
    el.remote.addEventListener('loadeddata', () => this.onFirstFrame());
    window.addEventListener('pagehide', () => {
      if (this.signal.isOpen()) this.signal.send({ type: 'leave' });
      this.call.closeAll();
      this.signal.close();
    });

    const s = this.signal;
    s.addEventListener('link', (e) => this.onLink(e.detail));
    s.addEventListener('welcome', (e) => this.onWelcome(e.detail));
    s.addEventListener('session', (e) => this.onSession(e.detail));
    s.addEventListener('resumed', (e) => this.onResumed(e.detail));
    s.addEventListener('waiting', () => this.onWaiting());
    s.addEventListener('matched', (e) => this.onMatched(e.detail));
    s.addEventListener('relay', (e) => this.onRelay(e.detail));
    s.addEventListener('offer', (e) => this.call.onOffer(e.detail.sdp));
    s.addEventListener('answer', (e) => this.call.onAnswer(e.detail.sdp));
    s.addEventListener('candidate', (e) => this.call.onCandidate(e.detail));
    s.addEventListener('chat', (e) => this.onChat(e.detail));
    s.addEventListener('typing', () => this.onTyping());
    s.addEventListener('partner_left', (e) => this.onPartnerLeft(e.detail));
    s.addEventListener('reported', (e) => this.system('Thank you. Your report was received (number ' + Number(e.detail.id) + ').'));
    s.addEventListener('error', (e) => this.onError(e.detail));
    s.addEventListener('banned', () => this.onBanned());

    const c = this.call;
    c.addEventListener('state', (e) => this.onCallState(e.detail.state));
    c.addEventListener('track', (e) => {
      if (el.remote.srcObject !== e.detail.stream) el.remote.srcObject = e.detail.stream;
    });
    c.addEventListener('negotiated', () => this.call.applyLevel(LEVELS[this.level]));
    c.addEventListener('restart', (e) => this.system('The connection to your partner broke; trying again (' + e.detail.n + ').'));
    c.addEventListener('failed', (e) => this.onCallFailed(e.detail));
    c.addEventListener('log', (e) => console.warn('meetopia:', e.detail.text));
  }

  async askMedia() {
    el.mediaError.hidden = true;
    el.allowMedia.disabled = true;
    try {
      await this.media.start();
      this.enterRoom(true);
    } catch (err) {
      el.mediaError.textContent = mediaErrorText(err);
      el.mediaError.hidden = false;
      el.allowMedia.textContent = 'Try again';
    } finally {
      el.allowMedia.disabled = false;
    }
  }

  enterRoom(withMedia) {
    el.setup.hidden = true;
    el.room.hidden = false;
    if (withMedia && this.media.stream) {
      el.local.srcObject = this.media.stream;
      this.fillDevices();
    } else {
      el.local.hidden = true;
      el.toggleCamera.disabled = el.toggleMic.disabled = true;
      el.cameraSelect.disabled = el.micSelect.disabled = true;
      this.system('You are not sending video or sound. You can still see and hear your partner and chat.');
    }
    // The signaling socket opens now, so that Start is quick.
    this.signal.connect();
    el.start.focus();
    this.render();
  }

  fillDevices() {
    const fill = (select, list, current, what) => {
      select.replaceChildren();
      list.forEach((d, i) => {
        const o = document.createElement('option');
        o.value = d.deviceId;
        o.textContent = d.label || what + ' ' + (i + 1);
        if (d.deviceId === current) o.selected = true;
        select.append(o);
      });
      select.disabled = list.length < 2;
    };
    fill(el.cameraSelect, this.media.cameras, this.media.cameraId, 'Camera');
    fill(el.micSelect, this.media.mics, this.media.micId, 'Microphone');
  }

  async switchCamera() {
    try {
      const t = await this.media.useCamera(el.cameraSelect.value);
      await this.call.replaceTrack(t);
      await this.call.applyLevel(LEVELS[this.level]);
      el.local.srcObject = this.media.stream;
    } catch (err) {
      this.showError(mediaErrorText(err));
    }
  }

  async switchMic() {
    try {
      const t = await this.media.useMic(el.micSelect.value);
      await this.call.replaceTrack(t);
    } catch (err) {
      this.showError(mediaErrorText(err));
    }
  }

  toggle(kind, button) {
    const s = this.media.stream;
    if (!s) return;
    const tracks = kind === 'video' ? s.getVideoTracks() : s.getAudioTracks();
    const off = button.getAttribute('aria-pressed') !== 'true';
    for (const t of tracks) t.enabled = !off;
    button.setAttribute('aria-pressed', String(off));
    if (kind === 'video') button.textContent = off ? 'Camera on' : 'Camera off';
    else button.textContent = off ? 'Unmute' : 'Mute';
  }

  // ---- Start / Next / Stop ------------------------------------------
  interests() {
    return el.interests.value.split(',').map((x) => x.trim()).filter((x) => x).slice(0, 16)
      .map((x) => x.slice(0, 64));
  }

  find() {
    const i = this.interests();
    this.signal.send(i.length ? { type: 'find', interests: i } : { type: 'find' });
  }

  start() {
    if (!this.dispatch({ type: 'start' })) return;
    this.clearError();
    if (this.timings.start == null) this.timings.start = performance.now() - this.t0;
    this.signal.connect();
    if (this.signal.isOpen()) this.find();
    this.render();
  }

  next() {
    const was = this.st.paired;
    if (!this.dispatch({ type: 'next' })) return;
    clearTimeout(this.requeueTimer);
    this.endCall();
    this.signal.send({ type: 'next' });
    if (was) this.system('You left. Looking for someone new…');
    this.render();
  }

  stop() {
    clearTimeout(this.requeueTimer);
    this.dispatch({ type: 'stop' });
    this.signal.send({ type: 'leave' });
    this.endCall();
    this.call.dropWarm();
    this.render();
  }

  // ---- signaling events ----------------------------------------------
  onLink(d) {
    this.dispatch({ type: 'link', state: d.state, session: Boolean(this.signal.session) });
    if (d.state === 'refused' && !this.st.banned) {
      this.showError('The server refused the connection. This happens when too many Meetopia tabs are open ' +
        'from your network, or when this address has been banned. Retrying…');
    } else if (d.state === 'open') {
      this.clearError();
    }
    this.render();
  }

  onWelcome(w) {
    if (this.timings.welcome == null) this.timings.welcome = performance.now() - this.t0;
    this.welcome = w;
    this.iceServers = w.iceServers;
    if (w.limits && w.limits.maxMessageLength) this.limits.maxMessageLength = w.limits.maxMessageLength;
    this.countChat();
  }

  // A session to use: the first one, or a fresh one after the old one
  // could not be resumed (the partner, if any, is gone).
  onSession() {
    const was = this.st.paired;
    this.dispatch({ type: 'session' });
    if (was) {
      this.endCall();
      this.system('The connection to the server was lost for too long; your partner is gone.');
    }
    if (this.st.searching) this.find();
    this.render();
  }

  onResumed(r) {
    const was = this.st.paired;
    this.dispatch({ type: 'resumed', partner: Boolean(r.partner) });
    if (was && !this.st.paired) {
      this.endCall();
      this.system('Your partner is gone.');
      this.requeue();
    } else if (this.st.paired && this.call.pc && this.call.pc.connectionState !== 'connected') {
      this.call.restartIce();
    }
    this.render();
  }

  onWaiting() {
    if (!this.dispatch({ type: 'waiting' })) return;
    // Relay candidates gathered now, while nobody is there yet.
    if (this.welcome && this.iceServers) this.call.prewarm(rtcConfig(this.welcome, this.iceServers, transport));
    this.render();
  }

  onMatched(m) {
    if (!this.dispatch({ type: 'matched' })) {
      this.signal.send({ type: 'leave' });
      return;
    }
    clearTimeout(this.requeueTimer);
    this.timings.matched = performance.now() - this.t0;
    if (Array.isArray(m.iceServers) && m.iceServers.length) this.iceServers = m.iceServers;
    this.statsSent = false;
    this.level = START_LEVEL;
    this.quality.reset();
    el.chatLog.replaceChildren();
    this.system('You are now talking to a stranger. Say hi!');
    this.call.start(m.role, rtcConfig(this.welcome, this.iceServers, transport), this.media.stream, LEVELS[this.level]);
    this.startStats();
    this.render();
  }

  // The pair's relay node died (cluster): its servers are gone, use the
  // live node's and restart ICE on them.
  onRelay(m) {
    if (!Array.isArray(m.iceServers) || !m.iceServers.length) return;
    this.iceServers = m.iceServers;
    if (this.st.paired && this.welcome)
      this.call.moveRelay(rtcConfig(this.welcome, this.iceServers, transport));
  }

  onChat(m) {
    if (typeof m.text !== 'string') return;
    this.hideTyping();
    this.line(unescapeChat(m.text), 'them', 'Stranger');
  }

  onTyping() {
    el.typing.textContent = 'Stranger is typing…';
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), 3000);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    el.typing.textContent = '';
  }

  onPartnerLeft(m) {
    this.dispatch({ type: 'partner_left' });
    this.endCall();
    this.system(LEFT_WORDS[m.reason] || 'Your partner left.');
    this.requeue();
    this.render();
  }

  // After a partner leaves, look for the next one on our own.
  requeue() {
    clearTimeout(this.requeueTimer);
    if (!mayRequeue(this.st)) return;
    this.requeueTimer = setTimeout(() => {
      if (this.dispatch({ type: 'requeue' })) {
        this.find();
        this.render();
      }
    }, 1500);
  }

  onError(m) {
    let text = ERROR_WORDS[m.code] || 'Something went wrong.';
    if (m.code === 'rate_limited') {
      const s = Number(m.retryAfter) > 0 ? Number(m.retryAfter) : 5;
      text = 'You are sending too fast. Wait ' + s + ' second' + (s === 1 ? '' : 's') + ' and try again.';
    } else if (m.code === 'too_long') {
      text = 'That is too long to send (the limit is ' + this.limits.maxMessageLength + ' characters for chat, 200 for report details).';
    }
    if (m.code === 'banned') return;     // onBanned says it
    if (m.code === 'bad_request' || m.code === 'internal') console.warn('meetopia: server error', m.code, m.message);
    this.showError(text);
  }

  onBanned() {
    this.dispatch({ type: 'banned' });
    this.endCall();
    this.call.dropWarm();
    this.showError(ERROR_WORDS.banned);
    this.render();
  }

  // ---- the call ------------------------------------------------------
  onCallState(state) {
    if (!this.dispatch({ type: 'call', state })) return;
    if (state === 'connected') {
      if (this.timings.connected == null) this.timings.connected = performance.now() - this.t0;
      this.timings.connectMs = this.call.connectMs();
    }
    this.render();
  }

  onFirstFrame() {
    if (this.st.paired && this.timings.firstFrame == null) this.timings.firstFrame = performance.now() - this.t0;
  }

  onCallFailed(d) {
    if (!this.statsSent) {
      this.signal.send({ type: 'stats', state: 'failed' });
      this.statsSent = true;
    }
    this.dispatch({ type: 'call_failed' });
    this.endCall();
    this.showError(d.connected
      ? 'The connection to your partner was lost and could not be restored. Press Next to meet someone else.'
      : 'Could not connect to your partner. A firewall may block the connection. Press Next to try someone else.');
    this.render();
  }

  endCall() {
    this.stopStats();
    this.call.end();
    el.remote.srcObject = null;
    this.hideTyping();
    el.quality.dataset.level = 'none';
  }

  startStats() {
    this.stopStats();
    this.statsTimer = setInterval(() => this.tick(), 1000);
  }

  stopStats() {
    clearInterval(this.statsTimer);
    this.statsTimer = null;
  }

  async tick() {
    const pc = this.call.pc;
    if (!pc || pc.connectionState === 'closed') return;
    let s;
    try {
      s = await this.quality.sample(pc);
    } catch (e) {
      return;
    }
    if (pc !== this.call.pc) return;
    const loss = Quality.loss(s);
    if (this.st.phase === 'connected' || this.st.phase === 'reconnecting') {
      const g = grade(s.rtt, loss);
      el.quality.dataset.level = g === 'none' ? 'good' : g;
      const parts = [];
      if (this.media.videoTrack()) parts.push('sending ' + LEVELS[this.level].name);
      if (s.frameHeight) parts.push('receiving ' + s.frameHeight + 'p');
      parts.push('RTT ' + (s.rtt == null ? '—' : Math.round(s.rtt) + ' ms'));
      parts.push('loss ' + (loss == null ? '—' : (loss * 100).toFixed(1) + '%'));
      parts.push('↓' + formatBitrate(s.inBitrate) + ' ↑' + formatBitrate(s.outBitrate));
      el.quality.textContent = parts.join(' · ');
      el.quality.title = 'Connection ' + g + (s.relayProtocol ? ' (relay over ' + s.relayProtocol.toUpperCase() + ')' : '');
    }
    if (this.st.phase === 'connected') {
      if (!this.statsSent) {
        const m = { type: 'stats', state: 'connected', connectMs: this.call.connectMs() || 0 };
        if (s.rtt != null) m.rtt = Math.round(s.rtt);
        if (loss != null) m.loss = Math.round(loss * 10000) / 100;   // percent
        this.signal.send(m);
        this.statsSent = true;
      }
      if (this.media.videoTrack()) {
        const lvl = this.quality.decide(this.level, s);
        if (lvl !== this.level) {
          const up = lvl > this.level;
          this.level = lvl;
          await this.call.applyLevel(LEVELS[lvl]);
          console.info('meetopia: sending quality', up ? 'up' : 'down', 'to', LEVELS[lvl].name);
        }
      }
    }
  }

  // ---- chat ----------------------------------------------------------
  countChat() {
    const n = codePoints(el.chatInput.value);
    const max = this.limits.maxMessageLength;
    el.chatCount.textContent = n + ' / ' + max;
    const over = n > max;
    el.chatCount.classList.toggle('over', over);
    el.chatSend.disabled = !this.st.paired || n === 0 || over || !el.chatInput.value.trim();
    return { n, over };
  }

  sendChat() {
    const text = el.chatInput.value;
    const { over } = this.countChat();
    if (!this.st.paired || !text.trim()) return;
    if (over) {
      this.showError('Your message is too long: the limit is ' + this.limits.maxMessageLength + ' characters.');
      return;
    }
    this.signal.send({ type: 'chat', text });
    this.line(text, 'me', 'You');
    el.chatInput.value = '';
    this.countChat();
  }

  sendTyping() {
    const now = performance.now();
    if (!this.st.paired || now - this.typingSentAt < 2000 || !el.chatInput.value) return;
    this.typingSentAt = now;
    this.signal.send({ type: 'typing' });
  }

  line(text, who, label) {
    const li = document.createElement('li');
    li.className = who;
    const name = document.createElement('span');
    name.className = 'visually-hidden';
    name.textContent = label + ': ';
    li.append(name, document.createTextNode(text));
    el.chatLog.append(li);
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  }

  system(text) {
    const li = document.createElement('li');
    li.className = 'system';
    li.textContent = text;
    el.chatLog.append(li);
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  }

  // ---- report --------------------------------------------------------
  openReport() {
    if (!this.st.hadPartner) return;
    el.reportForm.reset();
    el.reportNext.checked = this.st.paired;
    el.reportNext.disabled = !this.st.paired;
    this.countReport();
    el.reportDialog.showModal();
  }

  countReport() {
    const n = codePoints(el.reportDetail.value);
    el.reportCount.textContent = n + ' / 200';
    el.reportCount.classList.toggle('over', n > 200);
  }

  sendReport() {
    const reason = new FormData(el.reportForm).get('reason');
    const detail = el.reportDetail.value.trim();
    if (!reason) return;
    if (codePoints(detail) > 200) {
      this.countReport();
      return;
    }
    const m = { type: 'report', reason };
    if (detail) m.detail = detail;
    this.signal.send(m);
    el.reportDialog.close();
    if (el.reportNext.checked && this.st.paired) this.next();
  }

  // ---- state display -------------------------------------------------
  showError(text) {
    el.error.textContent = text;
    el.error.hidden = false;
  }

  clearError() {
    if (this.st.banned) return;
    el.error.hidden = true;
    el.error.textContent = '';
  }

  status() {
    return view(this.st).status;
  }

  render() {
    const v = view(this.st);
    el.status.textContent = v.words;
    el.status.dataset.state = v.dataState;
    document.body.dataset.state = v.status;
    el.stageMessage.textContent = v.stage;
    el.stageMessage.hidden = !el.stageMessage.textContent;

    el.start.disabled = !v.start;
    el.next.disabled = !v.next;
    el.stop.disabled = !v.stop;
    el.report.disabled = !v.report;
    el.chatInput.disabled = !v.chat;
    this.countChat();
  }
}

const app = new App();
app.render();
// Read-only view for debugging and for the end-to-end tests.
window.meetopia = Object.freeze({
  get state() { return app.status(); },
  get phase() { return app.st.phase; },
  get pc() { return app.call.pc; },
  get usedWarm() { return app.call.usedWarm; },
  get level() { return LEVELS[app.level].name; },
  get stats() { return app.quality.last; },
  get timings() { return { ...app.timings }; },
  get session() { return app.signal.session; },
  dropSocket() { app.signal.drop(); },
});
