// state.test.mjs - the page's state machine (signaling/web/state.js):
// what Start/Next/Stop, the server's messages and the socket's and call's
// changes do to the page's state, its status word and its buttons.
import test from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL, reduce, view, status, mayRequeue } from '../../signaling/web/state.js';

// Runs events from a state; each one must apply.
function run(s, ...events) {
  for (const ev of events) {
    const next = reduce(s, ev);
    assert.notEqual(next, s, 'event ' + ev.type + ' applies');
    s = next;
  }
  return s;
}

const OPEN = { type: 'link', state: 'open', session: true };

// A page that pressed Start on an open socket and got a partner.
function inCall() {
  return run(INITIAL, OPEN, { type: 'start' }, { type: 'waiting' }, { type: 'matched' },
    { type: 'call', state: 'connected' });
}

function buttons(s) {
  const v = view(s);
  return { start: v.start, next: v.next, stop: v.stop, report: v.report, chat: v.chat };
}

test('a new page is idle: only Start is enabled', () => {
  const v = view(INITIAL);
  assert.equal(v.status, 'idle');
  assert.equal(v.words, 'Not started');
  assert.equal(v.stage, 'Press Start to meet someone.');
  assert.deepEqual(buttons(INITIAL), { start: true, next: false, stop: false, report: false, chat: false });
});

test('states are frozen and unknown events change nothing', () => {
  assert.ok(Object.isFrozen(INITIAL));
  const s = run(INITIAL, { type: 'start' });
  assert.ok(Object.isFrozen(s));
  assert.equal(reduce(s, { type: 'no-such-event' }), s);
});

test('Start before the socket is open says connecting, then waiting', () => {
  let s = run(INITIAL, { type: 'link', state: 'connecting', session: false }, { type: 'start' });
  assert.equal(s.phase, 'waiting');
  assert.equal(status(s), 'connecting');
  assert.equal(view(s).words, 'Connecting to the server…');
  s = run(s, OPEN);
  assert.equal(status(s), 'waiting');
  assert.equal(view(s).stage, 'Looking for someone to talk to…');
  assert.deepEqual(buttons(s), { start: false, next: true, stop: true, report: false, chat: false });
});

test('a socket connecting again with a session is reconnecting, searching or not', () => {
  const s = run(INITIAL, { type: 'link', state: 'connecting', session: true });
  assert.equal(status(s), 'reconnecting');
  assert.equal(status(run(INITIAL, { type: 'link', state: 'reconnecting', session: true })), 'reconnecting');
});

test('matched: a partner, the call connecting, Report and chat enabled', () => {
  const s = run(INITIAL, OPEN, { type: 'start' }, { type: 'matched' });
  assert.equal(s.phase, 'matching');
  assert.ok(s.paired && s.hadPartner);
  const v = view(s);
  assert.equal(v.status, 'matching');
  assert.equal(v.dataState, 'connecting', 'data-state groups matching with connecting');
  assert.equal(v.words, 'Connecting to your partner…');
  assert.deepEqual(buttons(s), { start: false, next: true, stop: true, report: true, chat: true });
});

test('matched after Stop is refused (the page then leaves)', () => {
  const s = run(INITIAL, OPEN, { type: 'start' }, { type: 'stop' });
  assert.equal(reduce(s, { type: 'matched' }), s);
  assert.equal(reduce(INITIAL, { type: 'waiting' }), INITIAL, 'waiting without Start is ignored');
});

test('the call\'s states move the phase only while paired', () => {
  let s = inCall();
  assert.equal(status(s), 'connected');
  assert.equal(view(s).stage, '');
  s = run(s, { type: 'call', state: 'reconnecting' });
  assert.equal(status(s), 'reconnecting');
  assert.equal(view(s).words, 'Connection to your partner interrupted, reconnecting…');
  assert.equal(view(s).stage, 'Reconnecting…');
  s = run(s, { type: 'call', state: 'connecting' });
  assert.equal(s.phase, 'matching');
  const alone = run(INITIAL, OPEN, { type: 'start' });
  assert.equal(reduce(alone, { type: 'call', state: 'connected' }), alone);
});

test('a lost socket during a call: the call goes on', () => {
  const s = run(inCall(), { type: 'link', state: 'reconnecting', session: true });
  const v = view(s);
  assert.equal(v.status, 'reconnecting');
  assert.equal(v.words, 'Reconnecting to the server… (your call goes on)');
  assert.equal(v.stage, '', 'the video stays uncovered');
  assert.ok(v.chat && v.next);
});

test('partner_left, then the pause: back to waiting on our own', () => {
  let s = run(inCall(), { type: 'partner_left' });
  assert.equal(status(s), 'left');
  assert.ok(!s.paired && s.hadPartner);
  assert.equal(view(s).stage, 'Your partner left. Looking for someone new…');
  assert.deepEqual(buttons(s), { start: false, next: true, stop: true, report: true, chat: false });
  assert.ok(mayRequeue(s));
  s = run(s, { type: 'requeue' });
  assert.equal(status(s), 'waiting');
  assert.equal(reduce(s, { type: 'requeue' }), s, 'requeue only from left');
});

test('no requeue after Stop or a new partner', () => {
  const left = run(inCall(), { type: 'partner_left' });
  const stopped = run(left, { type: 'stop' });
  assert.ok(!mayRequeue(stopped));
  assert.equal(reduce(stopped, { type: 'requeue' }), stopped);
  const again = run(left, { type: 'matched' });
  assert.equal(reduce(again, { type: 'requeue' }), again);
});

test('Next ends the call and waits; ignored when not searching', () => {
  const s = run(inCall(), { type: 'next' });
  assert.equal(s.phase, 'waiting');
  assert.ok(!s.paired && s.searching);
  assert.equal(reduce(INITIAL, { type: 'next' }), INITIAL);
});

test('Stop: idle, Start enabled again, Report still possible', () => {
  const s = run(inCall(), { type: 'stop' });
  assert.equal(status(s), 'idle');
  assert.ok(!s.paired && !s.searching);
  assert.deepEqual(buttons(s), { start: true, next: false, stop: false, report: true, chat: false });
});

test('banned: final, every control disabled, Start ignored', () => {
  const s = run(inCall(), { type: 'banned' });
  const v = view(s);
  assert.equal(v.status, 'banned');
  assert.equal(v.words, 'Banned');
  assert.equal(v.stage, 'You cannot use Meetopia right now.');
  assert.deepEqual(buttons(s), { start: false, next: false, stop: false, report: false, chat: false });
  assert.equal(reduce(s, { type: 'start' }), s);
  assert.ok(!mayRequeue(s));
  assert.equal(status(run(s, { type: 'link', state: 'refused', session: true })), 'banned',
    'banned outranks the link');
});

test('a refused socket says so, whatever the phase', () => {
  const s = run(inCall(), { type: 'link', state: 'refused', session: true });
  assert.equal(status(s), 'refused');
  assert.equal(view(s).stage, 'The server refused the connection.');
});

test('a fresh session: the old partner is gone, searching goes on', () => {
  let s = run(inCall(), { type: 'session' });
  assert.ok(!s.paired);
  assert.equal(s.phase, 'waiting');
  s = run(INITIAL, { type: 'session' });
  assert.equal(s.phase, 'idle', 'not searching: the phase stays');
});

test('resumed: without the partner the call ends, with it it goes on', () => {
  const gone = run(inCall(), { type: 'resumed', partner: false });
  assert.ok(!gone.paired);
  assert.equal(gone.phase, 'left');
  const kept = run(inCall(), { type: 'resumed', partner: true });
  assert.ok(kept.paired);
  assert.equal(kept.phase, 'connected');
});

test('a failed call: failed, Next to go on', () => {
  const s = run(inCall(), { type: 'call_failed' });
  const v = view(s);
  assert.equal(v.status, 'failed');
  assert.equal(v.words, 'Could not connect');
  assert.ok(v.next && !v.chat);
});
