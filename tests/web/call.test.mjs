// call.test.mjs - the peer connection's configuration (signaling/web/call.js):
// the ?transport= filter, rtcConfig from welcome, credential expiry.
import test from 'node:test';
import assert from 'node:assert/strict';
import { credentialExpiry, filterTransport, rtcConfig, sameServers } from '../../signaling/web/call.js';

const SERVERS = [
  { urls: ['turn:198.51.100.1:3478?transport=udp', 'turn:198.51.100.1:3478?transport=tcp',
    'turns:turn.example:5349?transport=tcp'], username: '1700000600:s1', credential: 'x' },
  { urls: 'stun:198.51.100.1:3478' },
];

test('no transport: the servers as given', () => {
  assert.equal(filterTransport(SERVERS, null), SERVERS);
});

test('transport=udp keeps turn: over UDP only', () => {
  const out = filterTransport(SERVERS, 'udp');
  assert.deepEqual(out, [{ ...SERVERS[0], urls: ['turn:198.51.100.1:3478?transport=udp'] }]);
});

test('transport=tcp keeps turn: over TCP only', () => {
  assert.deepEqual(filterTransport(SERVERS, 'tcp').map((s) => s.urls),
    [['turn:198.51.100.1:3478?transport=tcp']]);
});

test('transport=tls keeps turns: only', () => {
  assert.deepEqual(filterTransport(SERVERS, 'tls').map((s) => s.urls),
    [['turns:turn.example:5349?transport=tcp']]);
});

test('a server left without URLs is dropped; credentials are kept', () => {
  const out = filterTransport(SERVERS, 'tls');
  assert.equal(out.length, 1);
  assert.equal(out[0].username, '1700000600:s1');
  assert.equal(out[0].credential, 'x');
  assert.deepEqual(filterTransport(null, 'udp'), []);
});

test('rtcConfig: welcome\'s policies, defaults for what it leaves out', () => {
  const welcome = { iceServers: SERVERS, iceTransportPolicy: 'relay', bundlePolicy: 'balanced',
    iceCandidatePoolSize: 4 };
  assert.deepEqual(rtcConfig(welcome, null, null), {
    iceServers: SERVERS, iceTransportPolicy: 'relay', bundlePolicy: 'balanced',
    rtcpMuxPolicy: 'require', iceCandidatePoolSize: 4,
  });
  assert.deepEqual(rtcConfig({}, null, null), {
    iceServers: [], iceTransportPolicy: 'all', bundlePolicy: 'max-bundle',
    rtcpMuxPolicy: 'require', iceCandidatePoolSize: 1,
  });
  const odd = rtcConfig({ iceTransportPolicy: 'nohost', iceCandidatePoolSize: '3' }, null, null);
  assert.equal(odd.iceTransportPolicy, 'all', 'only relay is passed on');
  assert.equal(odd.iceCandidatePoolSize, 1, 'a pool size must be an integer');
});

test('rtcConfig: matched\'s fresh servers win over welcome\'s, filtered', () => {
  const fresh = [{ urls: ['turn:198.51.100.2:3478?transport=udp', 'turn:198.51.100.2:3478?transport=tcp'] }];
  const c = rtcConfig({ iceServers: SERVERS }, fresh, 'tcp');
  assert.deepEqual(c.iceServers, [{ urls: ['turn:198.51.100.2:3478?transport=tcp'] }]);
});

test('credentialExpiry: the earliest EXPIRY of the TURN REST usernames', () => {
  assert.equal(credentialExpiry(SERVERS), 1700000600);
  assert.equal(credentialExpiry([{ username: '1700000900' }, { username: '1700000300:x' }]), 1700000300);
  assert.equal(credentialExpiry([{ username: 'alice' }, {}]), Infinity);
  assert.equal(credentialExpiry(undefined), Infinity);
});

test('sameServers: the same URLs with other credentials are the same servers', () => {
  const fresh = [{ ...SERVERS[0], username: '1700009999:s1', credential: 'y' }, SERVERS[1]];
  assert.equal(sameServers(SERVERS, fresh), true);
  assert.equal(sameServers([SERVERS[1], SERVERS[0]], SERVERS), true, 'in any order');
});

test('sameServers: another node is another set (a warm pool is not used)', () => {
  const other = [{ urls: ['turn:198.51.100.2:3478?transport=udp', 'turn:198.51.100.2:3478?transport=tcp',
    'turns:turn.example:5349?transport=tcp'], username: '1700000600:s1', credential: 'x' }, SERVERS[1]];
  assert.equal(sameServers(SERVERS, other), false);
  assert.equal(sameServers(SERVERS, [SERVERS[0]]), false, 'one server fewer');
  assert.equal(sameServers([], []), true);
  assert.equal(sameServers(undefined, []), true);
});
