// call.js - one RTCPeerConnection per partner, configured from the
// server's `welcome` and `matched` (iceServers, iceTransportPolicy,
// bundlePolicy, iceCandidatePoolSize).
//
// While the user waits, a peer connection is made ahead of time with the
// `welcome` credentials: with iceCandidatePoolSize > 0 the browser gathers
// relay candidates for it at once, so after `matched` the offer goes out
// with candidates already allocated.  Roles come from the server: the
// offerer offers (and restarts ICE when the path fails), the answerer
// answers; no glare is possible.

const RESTARTS_MAX = 3;
const DISCONNECTED_GRACE = 4000;   // ms in 'disconnected' before an ICE restart
const CONNECT_TIMEOUT = 30000;     // ms from matched to connected before giving up

// The expiry (Unix seconds) in a TURN REST username "EXPIRY[:ID]".
export function credentialExpiry(iceServers) {
  let min = Infinity;
  for (const s of iceServers || []) {
    const m = /^(\d+)(?::|$)/.exec(s.username || '');
    if (m) min = Math.min(min, Number(m[1]));
  }
  return min;
}

// Keeps only the TURN URLs of one transport ('udp', 'tcp' or 'tls'),
// for networks that let only one of them through (?transport= in the URL).
export function filterTransport(iceServers, transport) {
  if (!transport) return iceServers;
  const keep = (u) => {
    const tls = /^turns:/i.test(u);
    const tcp = /[?&]transport=tcp/i.test(u);
    if (transport === 'tls') return tls;
    if (transport === 'tcp') return !tls && tcp;
    if (transport === 'udp') return /^turn:/i.test(u) && !tcp;
    return true;
  };
  const out = [];
  for (const s of iceServers || []) {
    const urls = (Array.isArray(s.urls) ? s.urls : [s.urls]).filter(keep);
    if (urls.length) out.push({ ...s, urls });
  }
  return out;
}

// Whether two iceServers lists name the same servers (URLs, in any order),
// whatever their credentials: a warm connection gathered on one set is of
// no use when `matched` names another (a cluster's relay node).
export function sameServers(a, b) {
  const urls = (list) => (list || []).flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]))
    .map(String).sort();
  const x = urls(a), y = urls(b);
  return x.length === y.length && x.every((u, i) => u === y[i]);
}

export function rtcConfig(welcome, iceServers, transport) {
  return {
    iceServers: filterTransport(iceServers || welcome.iceServers || [], transport),
    iceTransportPolicy: welcome.iceTransportPolicy === 'relay' ? 'relay' : 'all',
    bundlePolicy: welcome.bundlePolicy || 'max-bundle',
    rtcpMuxPolicy: 'require',
    iceCandidatePoolSize: Number.isInteger(welcome.iceCandidatePoolSize) ? welcome.iceCandidatePoolSize : 1,
  };
}

export class Call extends EventTarget {
  // send(msg): to the signaling server.  Events: state ({state}), track
  // ({stream}), restart ({n}), failed, and log ({text}).
  constructor(send) {
    super();
    this.send = send;
    this.pc = null;
    this.warm = null;          // {pc, expiry, key}
    this.role = null;
    this.pendingCandidates = [];
    this.remoteStream = null;
    this.restarts = 0;
    this.discTimer = null;
    this.connectTimer = null;
    this.matchedAt = 0;
    this.connectedAt = 0;
    this.everConnected = false;
    this.senders = [];
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // A peer connection gathering relay candidates before a partner is known.
  prewarm(config) {
    const key = JSON.stringify(config);
    const expiry = credentialExpiry(config.iceServers);
    const now = Date.now() / 1000;
    if (this.warm && this.warm.key === key && this.warm.expiry - now > 300) return;
    this.dropWarm();
    if (!config.iceServers.length || expiry - now < 300) return;
    try {
      this.warm = { pc: new RTCPeerConnection(config), expiry, key, servers: config.iceServers };
    } catch (e) {
      this.warm = null;
    }
  }

  dropWarm() {
    if (this.warm) {
      try { this.warm.pc.close(); } catch (e) { /* closed */ }
      this.warm = null;
    }
  }

  // matched: take the warm connection if its credentials still have five
  // minutes and it gathered on the servers `matched` names, else a new one
  // with the fresh credentials of `matched`.
  start(role, config, stream, level) {
    this.end();
    this.role = role;
    this.restarts = 0;
    this.pendingCandidates = [];
    this.matchedAt = performance.now();
    this.connectedAt = 0;
    this.everConnected = false;
    const now = Date.now() / 1000;
    let pc = null;
    if (this.warm && this.warm.expiry - now > 300 && this.warm.pc.signalingState === 'stable' &&
        this.warm.pc.connectionState !== 'closed' &&
        sameServers(this.warm.servers, config.iceServers)) {
      pc = this.warm.pc;
      this.warm = null;
      this.usedWarm = true;
    } else {
      this.dropWarm();
      pc = new RTCPeerConnection(config);
      this.usedWarm = false;
    }
    this.pc = pc;
    this.remoteStream = new MediaStream();
    pc.onicecandidate = (ev) => {
      if (pc !== this.pc || !ev.candidate || !ev.candidate.candidate) return;
      this.send({
        type: 'candidate',
        candidate: ev.candidate.candidate,
        sdpMid: ev.candidate.sdpMid,
        sdpMLineIndex: ev.candidate.sdpMLineIndex,
      });
    };
    pc.ontrack = (ev) => {
      if (pc !== this.pc) return;
      this.remoteStream.addTrack(ev.track);
      this.emit('track', { stream: this.remoteStream });
    };
    pc.onconnectionstatechange = () => this.onState(pc);
    pc.oniceconnectionstatechange = () => this.onIce(pc);
    this.senders = [];
    if (stream && stream.getTracks().length) {
      for (const t of stream.getTracks()) this.senders.push(pc.addTrack(t, stream));
    }
    if (level) this.applyLevel(level);
    if (role === 'offerer') {
      // Without media of our own we still want to receive both.
      if (!stream || !stream.getAudioTracks().length) pc.addTransceiver('audio', { direction: 'recvonly' });
      if (!stream || !stream.getVideoTracks().length) pc.addTransceiver('video', { direction: 'recvonly' });
      this.offer(false);
    }
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      if (pc === this.pc && !this.everConnected) this.fail('timeout');
    }, CONNECT_TIMEOUT);
    this.emit('state', { state: 'connecting' });
  }

  async offer(iceRestart) {
    const pc = this.pc;
    try {
      const o = await pc.createOffer(iceRestart ? { iceRestart: true } : {});
      if (pc !== this.pc) return;
      await pc.setLocalDescription(o);
      this.send({ type: 'offer', sdp: pc.localDescription.sdp });
    } catch (e) {
      this.emit('log', { text: 'offer failed: ' + e.message });
    }
  }

  async onOffer(sdp) {
    const pc = this.pc;
    if (!pc) return;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await this.addPending(pc);
      await pc.setLocalDescription();
      if (pc !== this.pc) return;
      this.send({ type: 'answer', sdp: pc.localDescription.sdp });
      this.emit('negotiated', {});
    } catch (e) {
      this.emit('log', { text: 'answer failed: ' + e.message });
    }
  }

  async onAnswer(sdp) {
    const pc = this.pc;
    if (!pc || pc.signalingState !== 'have-local-offer') return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
      await this.addPending(pc);
      this.emit('negotiated', {});
    } catch (e) {
      this.emit('log', { text: 'remote answer refused: ' + e.message });
    }
  }

  async onCandidate(m) {
    const pc = this.pc;
    if (!pc || typeof m.candidate !== 'string') return;
    const c = { candidate: m.candidate, sdpMid: m.sdpMid, sdpMLineIndex: m.sdpMLineIndex };
    if (c.sdpMid == null && c.sdpMLineIndex == null) c.sdpMLineIndex = 0;
    if (!pc.remoteDescription) {
      this.pendingCandidates.push(c);
      return;
    }
    try {
      await pc.addIceCandidate(c);
    } catch (e) {
      /* a candidate of an old ICE generation: harmless */
    }
  }

  async addPending(pc) {
    const list = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const c of list) {
      try { await pc.addIceCandidate(c); } catch (e) { /* see onCandidate */ }
    }
  }

  onState(pc) {
    if (pc !== this.pc) return;
    const s = pc.connectionState;
    if (s === 'connected') {
      clearTimeout(this.discTimer);
      clearTimeout(this.connectTimer);
      if (!this.everConnected) {
        this.everConnected = true;
        this.connectedAt = performance.now();
      }
      this.emit('state', { state: 'connected' });
    } else if (s === 'failed') {
      this.restartOrFail();
    } else if (s === 'disconnected') {
      this.emit('state', { state: 'reconnecting' });
      clearTimeout(this.discTimer);
      this.discTimer = setTimeout(() => {
        if (pc === this.pc && pc.connectionState === 'disconnected') this.restartOrFail();
      }, DISCONNECTED_GRACE);
    }
  }

  onIce(pc) {
    if (pc !== this.pc) return;
    if (pc.iceConnectionState === 'failed') this.restartOrFail();
  }

  // ICE restart on failure (the offerer starts it; the answerer follows
  // the new offer), up to RESTARTS_MAX times.
  restartOrFail() {
    if (!this.pc) return;
    if (this.restarts >= RESTARTS_MAX) {
      this.fail('ice');
      return;
    }
    this.emit('state', { state: 'reconnecting' });
    if (this.role !== 'offerer') {
      // The offerer restarts; give up if no restart brings the path back.
      const pc = this.pc;
      clearTimeout(this.discTimer);
      this.discTimer = setTimeout(() => {
        if (pc === this.pc && pc.connectionState !== 'connected') this.fail('ice');
      }, 20000);
      return;
    }
    this.restarts++;
    this.emit('restart', { n: this.restarts });
    this.offer(true);
  }

  // `relay`: the pair's relay node changed (a cluster's node died); the
  // new servers for this connection, and the offerer restarts ICE on them.
  moveRelay(config) {
    if (!this.pc || this.pc.connectionState === 'closed') return false;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: config.iceServers });
    } catch (e) {
      return false;
    }
    this.restartIce();
    return true;
  }

  // The ICE restart of the server's choosing after a resumed socket, or
  // from tests.
  restartIce() {
    if (this.pc && this.role === 'offerer') {
      this.restarts++;
      this.emit('restart', { n: this.restarts });
      this.offer(true);
    }
  }

  fail(why) {
    clearTimeout(this.connectTimer);
    this.emit('failed', { why, connected: this.everConnected });
  }

  // Encoder limits of a quality level on every video sender: resolution
  // (scaled down from what the camera gives), frame rate, bitrate.
  async applyLevel(level) {
    if (!this.pc) return;
    for (const s of this.pc.getSenders()) {
      if (!s.track || s.track.kind !== 'video') continue;
      const p = s.getParameters();
      if (!p.encodings || !p.encodings.length) continue;
      const h = s.track.getSettings().height || level.height;
      p.encodings[0].scaleResolutionDownBy = Math.max(1, h / level.height);
      p.encodings[0].maxBitrate = level.maxBitrate;
      p.encodings[0].maxFramerate = level.fps;
      // The ladder picks the resolution; the encoder keeps it.
      p.degradationPreference = 'maintain-resolution';
      try {
        await s.setParameters(p);
      } catch (e) {
        this.emit('log', { text: 'setParameters: ' + e.message });
      }
    }
  }

  async replaceTrack(track) {
    if (!this.pc) return;
    for (const s of this.pc.getSenders()) {
      if (s.track && s.track.kind === track.kind) await s.replaceTrack(track);
    }
  }

  connectMs() {
    return this.connectedAt ? Math.round(this.connectedAt - this.matchedAt) : null;
  }

  end() {
    clearTimeout(this.discTimer);
    clearTimeout(this.connectTimer);
    if (this.pc) {
      const pc = this.pc;
      this.pc = null;
      pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
      try { pc.close(); } catch (e) { /* closed */ }
    }
    this.remoteStream = null;
    this.role = null;
  }

  closeAll() {
    this.end();
    this.dropWarm();
  }
}
