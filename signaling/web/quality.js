// quality.js - reads getStats() once a second: round-trip time, packet
// loss, bitrates, the selected candidate pair; grades the link for the
// indicator and moves the sending quality along the LEVELS ladder:
// one step up after UP_AFTER good seconds, one step down at once when loss
// or RTT grow (at most one step per DOWN_GAP).

import { LEVELS } from './media.js';

const UP_AFTER = 3;        // good samples in a row before a step up
const DOWN_GAP = 2000;     // ms between two steps down
const LOSS_BAD = 0.05;     // fraction of packets
const LOSS_GOOD = 0.02;
const RTT_BAD = 400;       // ms
const RTT_GOOD = 250;

export function grade(rtt, loss) {
  if (rtt == null && loss == null) return 'none';
  const r = rtt == null ? 0 : rtt;
  const l = loss == null ? 0 : loss;
  if (r < 150 && l < 0.02) return 'good';
  if (r < RTT_BAD && l < 0.08) return 'fair';
  return 'poor';
}

// Pure decision of the next level (the e2e test checks it in the page).
export function nextLevel(level, sample, state) {
  const now = sample.t;
  const loss = sample.outLoss == null ? 0 : sample.outLoss;
  const rtt = sample.rtt == null ? 0 : sample.rtt;
  // The encoder says 'bandwidth' also when our own cap holds it back: the
  // link has room when the estimate of the path is above the cap.  An
  // encoder that sends less than the cap (a simple scene) is not limited
  // at all, and the browser's estimate only grows a little above what is
  // sent: there, an estimate 20% above the sending rate is room enough.
  const cap = LEVELS[level].maxBitrate;
  let roomy;
  if (sample.availableOut == null) roomy = sample.limitation !== 'bandwidth';
  else if (sample.availableOut >= cap) roomy = true;
  else roomy = sample.limitation !== 'bandwidth' && sample.outBitrate != null && sample.outBitrate > 0 &&
    sample.availableOut >= 1.2 * sample.outBitrate;
  const bad = loss > LOSS_BAD || rtt > RTT_BAD || sample.limitation === 'cpu' ||
    (sample.availableOut != null && sample.availableOut < 0.5 * cap && sample.limitation === 'bandwidth');
  const good = loss < LOSS_GOOD && rtt < RTT_GOOD && roomy;
  if (bad) {
    state.good = 0;
    if (level > 0 && now - state.lastDown >= DOWN_GAP) {
      state.lastDown = now;
      return level - 1;
    }
    return level;
  }
  state.good = good ? state.good + 1 : 0;
  if (state.good >= UP_AFTER && level < LEVELS.length - 1) {
    state.good = 0;
    return level + 1;
  }
  return level;
}

export class Quality {
  constructor() {
    this.prev = null;
    this.last = null;
    this.state = { good: 0, lastDown: 0 };
  }

  reset() {
    this.prev = null;
    this.last = null;
    this.state = { good: 0, lastDown: 0 };
  }

  // One sample from a peer connection's stats.
  async sample(pc) {
    const report = await pc.getStats();
    const t = performance.now();
    const s = {
      t, rtt: null, outLoss: null, inLoss: null, inBitrate: null, outBitrate: null,
      availableOut: null, framesDecoded: 0, frameWidth: 0, frameHeight: 0, fps: null,
      localType: null, remoteType: null, relayProtocol: null, limitation: null,
      cpuLimitedSecs: 0, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsLostIn: 0,
    };
    let pair = null;
    const byId = new Map();
    report.forEach((r) => byId.set(r.id, r));
    report.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId.get(r.selectedCandidatePairId) || pair;
    });
    if (!pair) {
      report.forEach((r) => {
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
      });
    }
    if (pair) {
      if (pair.currentRoundTripTime != null) s.rtt = pair.currentRoundTripTime * 1000;
      if (pair.availableOutgoingBitrate != null) s.availableOut = pair.availableOutgoingBitrate;
      const lc = byId.get(pair.localCandidateId);
      const rc = byId.get(pair.remoteCandidateId);
      if (lc) {
        s.localType = lc.candidateType;
        s.relayProtocol = lc.relayProtocol || null;
      }
      if (rc) s.remoteType = rc.candidateType;
    }
    let fracSum = 0;
    let fracN = 0;
    report.forEach((r) => {
      if (r.type === 'inbound-rtp') {
        s.bytesIn += r.bytesReceived || 0;
        s.packetsIn += r.packetsReceived || 0;
        s.packetsLostIn += Math.max(0, r.packetsLost || 0);
        if (r.kind === 'video') {
          s.framesDecoded = r.framesDecoded || 0;
          s.frameWidth = r.frameWidth || 0;
          s.frameHeight = r.frameHeight || 0;
          if (r.framesPerSecond != null) s.fps = r.framesPerSecond;
        }
      } else if (r.type === 'outbound-rtp') {
        s.bytesOut += r.bytesSent || 0;
        if (r.kind === 'video' && r.qualityLimitationReason && r.qualityLimitationReason !== 'none') {
          s.limitation = r.qualityLimitationReason;
        }
        if (r.kind === 'video' && r.qualityLimitationDurations && r.qualityLimitationDurations.cpu) {
          s.cpuLimitedSecs = r.qualityLimitationDurations.cpu;
        }
      } else if (r.type === 'remote-inbound-rtp') {
        if (r.fractionLost != null) {
          fracSum += r.fractionLost;
          fracN++;
        }
        if (s.rtt == null && r.roundTripTime != null) s.rtt = r.roundTripTime * 1000;
      }
    });
    if (fracN) s.outLoss = fracSum / fracN;
    const p = this.prev;
    if (p) {
      const dt = (t - p.t) / 1000;
      if (dt > 0) {
        s.inBitrate = Math.max(0, (s.bytesIn - p.bytesIn) * 8 / dt);
        s.outBitrate = Math.max(0, (s.bytesOut - p.bytesOut) * 8 / dt);
      }
      const got = s.packetsIn - p.packetsIn;
      const lost = s.packetsLostIn - p.packetsLostIn;
      if (got + lost > 0) s.inLoss = Math.max(0, lost) / (got + lost);
    }
    this.prev = s;
    this.last = s;
    return s;
  }

  // Worst of both directions, as a fraction.
  static loss(s) {
    const v = [s.inLoss, s.outLoss].filter((x) => x != null);
    return v.length ? Math.max(...v) : null;
  }

  decide(level, s) {
    return nextLevel(level, s, this.state);
  }
}

export function formatBitrate(bps) {
  if (bps == null) return '—';
  if (bps >= 1e6) return (bps / 1e6).toFixed(1) + ' Mbps';
  return Math.round(bps / 1e3) + ' kbps';
}
