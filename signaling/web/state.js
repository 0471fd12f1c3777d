// state.js - the page's state as a pure state machine: events in (the
// user's Start/Next/Stop, the server's messages, the socket's and the
// call's changes), state out, and what the page shows for a state (the
// status word, the stage message, which buttons are enabled).
//
// No DOM, no timers, no network: app.js feeds it events and does the side
// effects; tests/web/state.test.mjs runs it under `node --test`.
//
// A state is a frozen object:
//   searching   the user pressed Start and not Stop (nor got banned)
//   phase       idle, waiting, matching, connected, reconnecting, left, failed
//   link        the signaling socket: closed, connecting, open,
//               reconnecting, refused (signal.js's `link` event)
//   session     the socket had a session when the link last changed
//   banned      the server said this address is banned (final)
//   paired      a partner is there (from matched until the call ends)
//   hadPartner  there was a partner once (Report stays possible)
//
// reduce(state, event) returns the same object when the event does not
// apply in that state (app.js then skips its side effects), else a new one.

export const INITIAL = Object.freeze({
  searching: false,
  phase: 'idle',
  link: 'closed',
  session: false,
  banned: false,
  paired: false,
  hadPartner: false,
});

const CALL_PHASES = { connected: 'connected', reconnecting: 'reconnecting', connecting: 'matching' };

function to(s, changes) {
  return Object.freeze({ ...s, ...changes });
}

// Events: start, next, stop, link {state, session}, session (a fresh
// session replaced the old one), resumed {partner}, waiting, matched,
// call {state}, call_failed, partner_left, requeue (the pause after a
// partner left is over), banned.
export function reduce(s, ev) {
  switch (ev.type) {
  case 'start':
    if (s.banned) return s;
    return to(s, { searching: true, phase: 'waiting' });
  case 'next':
    if (!s.searching) return s;
    return to(s, { paired: false, phase: 'waiting' });
  case 'stop':
    return to(s, { searching: false, paired: false, phase: 'idle' });
  case 'link':
    return to(s, { link: ev.state, session: Boolean(ev.session) });
  case 'session':
    // The old session, and the partner with it, is gone.
    return to(s, { paired: false, phase: s.searching ? 'waiting' : s.phase });
  case 'resumed':
    if (s.paired && !ev.partner) return to(s, { paired: false, phase: 'left' });
    return to(s, {});
  case 'waiting':
    if (!s.searching) return s;
    return to(s, { phase: 'waiting' });
  case 'matched':
    if (!s.searching) return s;
    return to(s, { paired: true, hadPartner: true, phase: 'matching' });
  case 'call':
    if (!s.paired) return s;
    return to(s, CALL_PHASES[ev.state] ? { phase: CALL_PHASES[ev.state] } : {});
  case 'call_failed':
    return to(s, { paired: false, phase: 'failed' });
  case 'partner_left':
    return to(s, { paired: false, phase: 'left' });
  case 'requeue':
    if (!s.searching || s.paired || s.phase !== 'left') return s;
    return to(s, { phase: 'waiting' });
  case 'banned':
    return to(s, { banned: true, searching: false, paired: false, phase: 'idle' });
  default:
    return s;
  }
}

// Looking for the next partner on our own after one left.
export function mayRequeue(s) {
  return s.searching && !s.banned;
}

// The one status word of the page (data-state of <body>, window.meetopia.state).
export function status(s) {
  if (s.banned) return 'banned';
  if (s.link === 'refused') return 'refused';
  if (s.link === 'reconnecting' || (s.link === 'connecting' && s.session)) return 'reconnecting';
  if (s.link === 'connecting' && s.searching) return 'connecting';
  if (!s.searching) return 'idle';
  if (s.phase === 'reconnecting') return 'reconnecting';
  return s.phase;
}

export const STATUS_WORDS = Object.freeze({
  idle: 'Not started',
  connecting: 'Connecting to the server…',
  waiting: 'Looking for someone…',
  matching: 'Connecting to your partner…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  left: 'Partner left',
  refused: 'Connection refused',
  offline: 'Server unreachable',
  banned: 'Banned',
  failed: 'Could not connect',
});

function stageMessage(s, st) {
  switch (st) {
  case 'idle': return s.banned ? 'You cannot use Meetopia right now.' : 'Press Start to meet someone.';
  case 'connecting': return 'Connecting to the server…';
  case 'waiting': return 'Looking for someone to talk to…';
  case 'matching': return 'Connecting to your partner…';
  case 'connected': return '';
  case 'reconnecting': return s.paired && s.phase === 'connected' ? '' : 'Reconnecting…';
  case 'left': return 'Your partner left. Looking for someone new…';
  case 'refused': return 'The server refused the connection.';
  case 'banned': return 'You cannot use Meetopia right now.';
  case 'failed': return 'Could not connect to your partner.';
  default: return '';
  }
}

// What the page shows: the status (word and data-state), the message on
// the video stage, and which controls are enabled.
export function view(s) {
  const st = status(s);
  let words = STATUS_WORDS[st] || st;
  if (st === 'reconnecting' && s.paired && s.link !== 'open') words = 'Reconnecting to the server… (your call goes on)';
  else if (st === 'reconnecting' && s.paired) words = 'Connection to your partner interrupted, reconnecting…';
  return Object.freeze({
    status: st,
    words,
    dataState: st === 'matching' ? 'connecting' : st,
    stage: stageMessage(s, st),
    start: !s.searching && !s.banned,
    next: s.searching && !s.banned,
    stop: s.searching,
    report: s.hadPartner && !s.banned,
    chat: s.paired,
  });
}
