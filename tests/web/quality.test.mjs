// quality.test.mjs - the link grade and the sending-quality ladder
// (signaling/web/quality.js): one step up after three good seconds, one
// step down at once on loss, RTT or CPU trouble, at most one per 2 s.
import test from 'node:test';
import assert from 'node:assert/strict';
import { grade, nextLevel, formatBitrate, Quality } from '../../signaling/web/quality.js';
import { LEVELS } from '../../signaling/web/media.js';

const GOOD = { outLoss: 0, rtt: 50, limitation: null, availableOut: null };
const fresh = () => ({ good: 0, lastDown: 0 });

test('grade: good, fair, poor, none', () => {
  assert.equal(grade(null, null), 'none');
  assert.equal(grade(100, 0.01), 'good');
  assert.equal(grade(200, 0.01), 'fair');
  assert.equal(grade(100, 0.05), 'fair');
  assert.equal(grade(500, 0), 'poor');
  assert.equal(grade(100, 0.1), 'poor');
  assert.equal(grade(null, 0), 'good', 'a missing figure counts as fine');
});

test('three good seconds in a row: one step up', () => {
  const st = fresh();
  assert.equal(nextLevel(1, { ...GOOD, t: 1000 }, st), 1);
  assert.equal(nextLevel(1, { ...GOOD, t: 2000 }, st), 1);
  assert.equal(nextLevel(1, { ...GOOD, t: 3000 }, st), 2);
  assert.equal(st.good, 0, 'the count starts over');
});

test('a so-so second resets the count', () => {
  const st = fresh();
  nextLevel(1, { ...GOOD, t: 1000 }, st);
  nextLevel(1, { ...GOOD, t: 2000 }, st);
  assert.equal(nextLevel(1, { ...GOOD, rtt: 300, t: 3000 }, st), 1);
  assert.equal(st.good, 0);
});

test('no step past the top of the ladder', () => {
  const top = LEVELS.length - 1;
  const st = fresh();
  for (let t = 1000; t <= 5000; t += 1000) assert.equal(nextLevel(top, { ...GOOD, t }, st), top);
});

test('loss, RTT or CPU: one step down at once, then one per 2 s', () => {
  const st = fresh();
  assert.equal(nextLevel(3, { ...GOOD, outLoss: 0.1, t: 10000 }, st), 2);
  assert.equal(nextLevel(2, { ...GOOD, rtt: 600, t: 11000 }, st), 2, 'within 2 s of the last step');
  assert.equal(nextLevel(2, { ...GOOD, limitation: 'cpu', t: 12000 }, st), 1);
  assert.equal(nextLevel(0, { ...GOOD, outLoss: 0.5, t: 20000 }, fresh()), 0, 'no step below the bottom');
});

test('bandwidth: capped by our own limit is room, a poor estimate is not', () => {
  const cap = LEVELS[1].maxBitrate;
  const st = fresh();
  for (let t = 1000; t < 3000; t += 1000)
    nextLevel(1, { ...GOOD, limitation: 'bandwidth', availableOut: cap * 2, t }, st);
  assert.equal(nextLevel(1, { ...GOOD, limitation: 'bandwidth', availableOut: cap * 2, t: 3000 }, st), 2);
  assert.equal(nextLevel(1, { ...GOOD, limitation: 'bandwidth', availableOut: cap * 0.4, t: 9000 }, fresh()), 0);
});

test('Quality.loss: the worse direction, or nothing', () => {
  assert.equal(Quality.loss({ inLoss: 0.01, outLoss: 0.03 }), 0.03);
  assert.equal(Quality.loss({ inLoss: 0.02, outLoss: null }), 0.02);
  assert.equal(Quality.loss({ inLoss: null, outLoss: null }), null);
});

test('formatBitrate', () => {
  assert.equal(formatBitrate(null), '—');
  assert.equal(formatBitrate(300000), '300 kbps');
  assert.equal(formatBitrate(1500000), '1.5 Mbps');
});
