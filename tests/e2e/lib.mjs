// lib.mjs - what the end-to-end tests share: TAP output, meetopiad on free
// loopback ports with a temporary state dir (the node twin of
// tests/integration/harness.py), meetopiactl, coturn for comparisons, and
// Debian's Chromium driven by playwright-core with fake media devices.
//
// Only loopback addresses are used; every process started here is killed
// when the test ends, even when it fails.

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SRCDIR = process.env.MTEST_SRCDIR || path.resolve(here, '..', '..');
export const BUILDDIR = process.env.MTEST_BUILDDIR || SRCDIR;
export const MEETOPIAD = path.join(BUILDDIR, 'meetopiad');
export const MEETOPIACTL = path.join(BUILDDIR, 'meetopiactl');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = process.env.E2E_ARTIFACTS || path.join(BUILDDIR, 'tests', 'e2e', 'artifacts');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- TAP -------------------------------------------------------------
export class Tap {
  constructor() {
    this.n = 0;
    this.failed = 0;
  }

  ok(cond, name, diag) {
    this.n++;
    if (!cond) this.failed++;
    console.log(`${cond ? '' : 'not '}ok ${this.n} - ${name}`);
    if (!cond && diag !== undefined) this.diag(typeof diag === 'string' ? diag : JSON.stringify(diag, null, 1));
    return Boolean(cond);
  }

  eq(got, want, name) {
    return this.ok(got === want, name, `got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }

  skip(name, why) {
    this.n++;
    console.log(`ok ${this.n} - ${name} # SKIP ${why}`);
  }

  diag(msg) {
    for (const line of String(msg).split('\n')) console.log('#   ' + line);
  }

  done() {
    console.log(`1..${this.n}`);
    return this.failed ? 1 : 0;
  }
}

// ---- ports and processes ---------------------------------------------
const reserved = new Set();
const children = new Set();

function listenOnce(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server.address().port));
  });
}

function bindUdp(port, host) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind({ port, address: host, exclusive: true }, () => { s.close(); resolve(true); });
  });
}

// A port the kernel chose, free for TCP (and UDP), below the ephemeral range.
export async function freePort(udpToo = true, host = '127.0.0.1') {
  for (let i = 0; i < 200; i++) {
    const srv = net.createServer();
    let port;
    try {
      port = await listenOnce(srv, 0, host);
    } finally {
      await new Promise((r) => srv.close(r));
    }
    if (reserved.has(port) || port >= 49152) continue;
    if (udpToo && !(await bindUdp(port, host))) continue;
    reserved.add(port);
    return port;
  }
  throw new Error('no free port');
}

export function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch (e) { /* gone */ }
  }
  children.clear();
}
process.on('exit', killAll);

export class Daemon {
  constructor(conf = {}, { tls = false } = {}) {
    this.conf = { ...conf };
    this.tls = tls;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meetopia-e2e-'));
    this.stateDir = path.join(this.tmp, 'state');
    this.confPath = path.join(this.tmp, 'meetopia.conf');
    this.logPath = path.join(this.tmp, 'stderr.log');
    this.secret = 'e2e-test-secret-' + crypto.randomBytes(8).toString('hex');
  }

  async start() {
    const c = {
      listen: '127.0.0.1', realm: 'meetopia.test', 'auth-secret': this.secret,
      ...this.conf,
    };
    if (process.env.E2E_RELAY_THREADS && !c['relay-threads']) c['relay-threads'] = process.env.E2E_RELAY_THREADS;
    if (process.env.E2E_LOG_DEBUG) c['log-level'] = 'debug';
    if (!c['turn-port']) c['turn-port'] = String(await freePort(true));
    if (!c['http-port']) c['http-port'] = String(await freePort(false));
    if (!c['tls-port']) c['tls-port'] = this.tls ? String(await freePort(true)) : '0';
    if (!c['min-port']) {
      const base = 20000 + ((process.pid * 37 + reserved.size * 301) % 25000);
      c['min-port'] = String(base);
      c['max-port'] = String(base + 299);
    }
    this.turnPort = Number(c['turn-port']);
    this.httpPort = Number(c['http-port']);
    this.tlsPort = Number(c['tls-port']);
    this.url = `http://127.0.0.1:${this.httpPort}/`;
    let text = '';
    for (const [k, v] of Object.entries(c)) {
      for (const item of Array.isArray(v) ? v : [v]) text += `${k} = ${item}\n`;
    }
    fs.writeFileSync(this.confPath, text, { mode: 0o600 }); // a secret: 0600 or refused
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('MEETOPIA_')) delete env[k];
    const args = ['-c', this.confPath, '--state-dir', this.stateDir];
    if (process.getuid && process.getuid() === 0 && !c.user) args.push('--allow-root');
    this.logFd = fs.openSync(this.logPath, 'w');
    this.proc = spawn(MEETOPIAD, args, { stdio: ['ignore', 'ignore', this.logFd], env });
    children.add(this.proc);
    this.exit = new Promise((r) => this.proc.once('exit', (code, sig) => { children.delete(this.proc); r({ code, sig }); }));
    await this.waitLog('ready', 15000);
    return this;
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch (e) {
      return '';
    }
  }

  async waitLog(text, ms = 10000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.log().includes(text)) return true;
      if (this.proc.exitCode !== null) throw new Error(`meetopiad exited with ${this.proc.exitCode}:\n${this.log()}`);
      await sleep(25);
    }
    throw new Error(`meetopiad: no "${text}" within ${ms} ms:\n${this.log()}`);
  }

  // meetopiactl against this daemon's database; returns {code, out, err}.
  ctl(...args) {
    const r = spawnSync(MEETOPIACTL, ['-c', this.confPath, '--db', path.join(this.stateDir, 'meetopia.db'), ...args],
      { encoding: 'utf8', timeout: 20000 });
    return { code: r.status, out: r.stdout || '', err: r.stderr || '' };
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.proc ? this.proc.exitCode : null;
    this.proc.kill('SIGTERM');
    // Still draining allocations after a second: a second SIGTERM stops
    // it at once.
    const again = setTimeout(() => this.proc.kill('SIGTERM'), 1000);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    const { code } = await this.exit;
    clearTimeout(again);
    clearTimeout(t);
    fs.closeSync(this.logFd);
    return code;
  }

  cleanup() {
    if (!process.env.E2E_KEEP) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

// coturn's turnserver with the same shared secret (REST credentials), on
// loopback ports of its own: the page's own credentials work there too.
// TURN over UDP and TCP on `port`, over TLS on `tlsPort` (an RSA
// certificate made for the run: coturn 4.6 refuses handshakes with others).
export class Coturn {
  static available() {
    return fs.existsSync('/usr/bin/turnserver');
  }

  constructor(secret) {
    this.secret = secret;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meetopia-coturn-'));
  }

  async start() {
    this.port = await freePort(true);
    this.tlsPort = await freePort(false);
    const base = 20000 + ((process.pid * 53 + 7919) % 25000);
    const cert = path.join(this.tmp, 'cert.pem');
    const key = path.join(this.tmp, 'key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8', timeout: 30000 });
    const tls = r.status === 0;
    const conf = [
      'listening-ip=127.0.0.1', 'relay-ip=127.0.0.1', `listening-port=${this.port}`,
      `min-port=${base}`, `max-port=${base + 199}`, 'use-auth-secret', `static-auth-secret=${this.secret}`,
      'realm=coturn.test', 'no-dtls', 'no-cli', 'fingerprint', 'allow-loopback-peers',
      'no-multicast-peers', `pidfile=${path.join(this.tmp, 'turnserver.pid')}`,
      `userdb=${path.join(this.tmp, 'turndb')}`, 'log-file=stdout', 'simple-log',
      ...(tls ? [`tls-listening-port=${this.tlsPort}`, `cert=${cert}`, `pkey=${key}`] : ['no-tls']),
    ].join('\n') + '\n';
    if (!tls) this.tlsPort = 0;
    const cf = path.join(this.tmp, 'turnserver.conf');
    fs.writeFileSync(cf, conf);
    this.out = '';
    this.proc = spawn('/usr/bin/turnserver', ['-c', cf], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.proc);
    this.proc.stdout.on('data', (d) => { this.out += d; });
    this.proc.stderr.on('data', (d) => { this.out += d; });
    this.proc.once('exit', () => children.delete(this.proc));
    const end = Date.now() + 10000;
    while (Date.now() < end) {
      if (/Total UDP servers|IPv4. UDP listener opened/i.test(this.out)) break;
      if (this.proc.exitCode !== null) throw new Error('turnserver exited:\n' + this.out);
      await sleep(50);
    }
    await sleep(200);
    return this;
  }

  stop() {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGTERM');
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

// Whether this source tree has TURN over TCP and TLS (relay/tcp.c).
export function turnTcpBuilt() {
  return fs.existsSync(path.join(SRCDIR, 'relay', 'tcp.c'));
}

// One counter or gauge of the daemon's /metrics (the sum over its labels).
export async function metric(d, name) {
  const r = await fetch(`http://127.0.0.1:${d.httpPort}/metrics`);
  const text = await r.text();
  let sum = null;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m && m[1] === name) sum = (sum || 0) + Number(m[3]);
  }
  return sum;
}

// ---- the browser -----------------------------------------------------
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-quic',
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--metrics-recording-only',
  '--mute-audio',
  // The relay's TURN/TLS certificate is the daemon's self-signed one.
  '--ignore-certificate-errors',
];

export async function loadPlaywright() {
  const mod = await import(path.join(here, 'node_modules', 'playwright-core', 'index.mjs'));
  return mod.chromium;
}

// One browser (playwright gives every launch a fresh temporary profile,
// --user-data-dir); `fakeUi: false` leaves the permission prompt to headless
// Chromium, which refuses it (the "permission denied" case).
export async function launch({ fakeUi = true } = {}) {
  const chromium = await loadPlaywright();
  const args = CHROMIUM_ARGS.filter((a) => fakeUi || a !== '--use-fake-ui-for-media-stream')
    .concat(process.env.E2E_CHROME_ARGS ? process.env.E2E_CHROME_ARGS.split(' ') : []);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  const contexts = [];
  return {
    browser,
    contexts,
    async close() {
      // Peer connections first, or their allocations linger on the relay.
      for (const c of contexts) {
        for (const p of c.pages()) {
          try {
            await p.evaluate(() => window.meetopia && window.meetopia.pc && window.meetopia.pc.close());
          } catch (e) { /* gone */ }
        }
      }
      await browser.close();
    },
  };
}

// ---- Firefox ESR (WebDriver BiDi) and the test CA ---------------------
export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
export const CERTUTIL = process.env.CERTUTIL || '/usr/bin/certutil';

// Fake camera and microphone without a prompt; relay candidates from a
// TURN server on 127.0.0.1 (Firefox skips loopback ICE otherwise); no
// network traffic of its own (updates, telemetry, DNS over HTTPS).
export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.loopback': true,
  'media.autoplay.default': 0,
  'network.trr.mode': 5,
  'network.proxy.type': 0,
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

// Whether Firefox ESR can run here (playwright-core drives a stock
// Firefox over WebDriver BiDi through its moz-* channels).
export function firefoxAvailable() {
  return fs.existsSync(FIREFOX);
}

// Firefox ESR.  Without `profile`, every context is a fresh one (another
// person); with `profile` (a folder that holds the test CA, see
// trustCa), one persistent context whose tabs are the people.  `names`
// resolve to 127.0.0.1 (network.dns.localDomains).
export async function launchFirefox({ profile = null, names = [], prefs = {} } = {}) {
  const mod = await import(path.join(here, 'node_modules', 'playwright-core', 'index.mjs'));
  const opts = {
    channel: 'moz-firefox-esr', executablePath: FIREFOX, headless: true, timeout: 60000,
    firefoxUserPrefs: { ...FIREFOX_PREFS, ...(names.length ? { 'network.dns.localDomains': names.join(',') } : {}), ...prefs },
  };
  let browser = null, shared = null;
  if (profile) {
    shared = await mod.firefox.launchPersistentContext(profile, { ...opts, viewport: { width: 1280, height: 800 } });
  } else {
    browser = await mod.firefox.launch(opts);
  }
  const contexts = [];
  return {
    browser, shared, contexts, kind: 'firefox',
    async close() {
      for (const c of contexts) {
        for (const p of c.pages()) {
          try {
            await p.evaluate(() => window.meetopia && window.meetopia.pc && window.meetopia.pc.close());
          } catch (e) { /* gone */ }
        }
      }
      await (shared || browser).close();
    },
  };
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`${what}: ${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
}

// A test CA made for the run and a server certificate signed by it for
// `name` (subjectAltName DNS:name): { ca, cert, key } file names in dir.
export function makeTestCa(dir, name) {
  const f = (x) => path.join(dir, x);
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '2', '-subj', '/CN=Meetopia e2e test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], 'test CA');
  run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${name}`, '-keyout', f('key.pem'), '-out', f('server.csr')], 'server key');
  fs.writeFileSync(f('ext.cnf'), `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\n` +
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('cert.pem')], 'server certificate');
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

// Trusts the CA for servers in an NSS database: a Firefox profile folder,
// or Chromium's $HOME/.pki/nssdb.
export function trustCa(nssdir, ca) {
  fs.mkdirSync(nssdir, { recursive: true });
  run(CERTUTIL, ['-N', '-d', `sql:${nssdir}`, '--empty-password'], 'NSS database');
  run(CERTUTIL, ['-A', '-d', `sql:${nssdir}`, '-n', 'meetopia-e2e-ca', '-t', 'C,,', '-i', ca], 'NSS trust');
}

// Chromium with a HOME of its own whose NSS database trusts the test CA,
// `names` mapped to 127.0.0.1, and certificate errors NOT ignored.
export async function launchChromiumTrusting(home, names) {
  const chromium = await loadPlaywright();
  const args = CHROMIUM_ARGS.filter((a) => a !== '--ignore-certificate-errors')
    .concat([`--host-resolver-rules=${names.map((n) => `MAP ${n} 127.0.0.1`).join(',')}`]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args, env: { ...process.env, HOME: home }, timeout: 60000 });
  const contexts = [];
  return {
    browser, contexts, kind: 'chromium',
    async close() {
      for (const c of contexts) {
        for (const p of c.pages()) {
          try {
            await p.evaluate(() => window.meetopia && window.meetopia.pc && window.meetopia.pc.close());
          } catch (e) { /* gone */ }
        }
      }
      await browser.close();
    },
  };
}

// Records what would show a broken page: CSP violations, uncaught errors,
// console errors; and counts getUserMedia calls (consent comes first).
const INIT = () => {
  window.__e2e = { csp: [], gum: 0 };
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__e2e.csp.push(e.violatedDirective + ' ' + e.blockedURI);
  });
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    const orig = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (c) => {
      window.__e2e.gum++;
      return orig(c);
    };
  }
};

// Points the TURN URLs the page gets at another server (coturn): turn: to
// `port`, turns: to `tlsPort`, keeping the page itself as it is (its
// ?transport= choice included).
export const rewriteTurn = ({ port, tlsPort }) => {
  const Orig = window.RTCPeerConnection;
  const fix = (cfg) => {
    if (!cfg || !cfg.iceServers) return cfg;
    return {
      ...cfg,
      iceServers: cfg.iceServers.map((s) => ({
        ...s,
        urls: [].concat(s.urls).map((u) => u.replace(/^(turns?):([^?]*):(\d+)(\?|$)/,
          (all, sch, host, p, q) => `${sch}:${host}:${sch === 'turns' ? tlsPort : port}${q}`)),
      })),
    };
  };
  window.RTCPeerConnection = function (cfg) {
    return new Orig(fix(cfg));
  };
  window.RTCPeerConnection.prototype = Orig.prototype;
  const setc = Orig.prototype.setConfiguration;
  Orig.prototype.setConfiguration = function (cfg) {
    return setc.call(this, fix(cfg));
  };
};

// A page in a browser context of its own (separate storage, permissions
// and connections: another person, as far as the server can tell); in a
// persistent Firefox profile (launchFirefox with a test CA), a tab of its
// one context.
export async function openPage(b, url, name, { init = null, initArg = undefined } = {}) {
  const ctx = b.shared || await b.browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (!b.contexts.includes(ctx)) b.contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.name = name;
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push('console: ' + m.text());
    if (process.env.E2E_VERBOSE) console.log(`# [${name}] ${m.type()}: ${m.text()}`);
  });
  await page.addInitScript(INIT);
  if (init) await page.addInitScript(init, initArg);
  page.loadedAt = Date.now();
  page.response = await page.goto(url);
  return page;
}

// Through the first screens: rules and 18+, then the camera (or not).
export async function enter(page, { media = true } = {}) {
  await page.check('#adult');
  await page.click('#consent-continue');
  await page.click(media ? '#allow-media' : '#no-media');
  await page.waitForSelector('#room:not([hidden])', { timeout: 10000 });
}

export async function waitPhase(page, phase, ms = 20000) {
  await page.waitForFunction((p) => window.meetopia.phase === p, phase, { timeout: ms, polling: 50 });
}

// What getStats says of the call: the selected pair's candidate types on
// both ends, the relay protocol, decoded frames.
export async function callStats(page) {
  return page.evaluate(async () => {
    const pc = window.meetopia.pc;
    if (!pc) return null;
    const r = await pc.getStats();
    const byId = new Map();
    r.forEach((x) => byId.set(x.id, x));
    let pair = null;
    r.forEach((x) => {
      if (x.type === 'transport' && x.selectedCandidatePairId) pair = byId.get(x.selectedCandidatePairId);
    });
    // Firefox has no transport stats: its selected pair is marked.
    if (!pair) r.forEach((x) => { if (x.type === 'candidate-pair' && x.selected) pair = x; });
    const out = { local: null, remote: null, relayProtocol: null, framesDecoded: 0, frameHeight: 0,
      bytesReceived: 0, connectionState: pc.connectionState };
    if (pair) {
      const l = byId.get(pair.localCandidateId);
      const rc = byId.get(pair.remoteCandidateId);
      out.local = l && l.candidateType;
      out.relayProtocol = l && l.relayProtocol;
      out.remote = rc && rc.candidateType;
    }
    r.forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video') {
        out.framesDecoded = x.framesDecoded || 0;
        out.frameHeight = x.frameHeight || 0;
        out.bytesReceived = x.bytesReceived || 0;
      }
    });
    return out;
  });
}

// Every candidate pair getStats knows, a line each (for a failure's
// diagnostics): state, nomination, local relay protocol and port, remote
// port, checks sent and answered each way; the selected one marked.
export async function candidatePairs(page) {
  return page.evaluate(async () => {
    const pc = window.meetopia.pc;
    if (!pc) return [];
    const r = await pc.getStats();
    const byId = new Map();
    r.forEach((x) => byId.set(x.id, x));
    const sel = new Set();
    r.forEach((x) => { if (x.type === 'transport') sel.add(x.selectedCandidatePairId); });
    r.forEach((x) => { if (x.type === 'candidate-pair' && x.selected) sel.add(x.id); });
    const out = [];
    r.forEach((x) => {
      if (x.type !== 'candidate-pair') return;
      const l = byId.get(x.localCandidateId) || {};
      const rc = byId.get(x.remoteCandidateId) || {};
      out.push(`${sel.has(x.id) ? '*' : ' '} ${l.relayProtocol || l.candidateType}:${l.port} -> ` +
        `${rc.candidateType}:${rc.port} ${x.state}${x.nominated ? ' nominated' : ''} ` +
        `checks ${x.responsesReceived || 0}/${x.requestsSent || 0} out, ${x.responsesSent || 0}/${x.requestsReceived || 0} in`);
    });
    return out.sort();
  });
}

// The page's relay candidates and candidate pairs by port: local relay
// candidates {port: relayProtocol}, and each pair's local protocol and
// port, remote port and checks answered each way.
async function icePorts(page) {
  return page.evaluate(async () => {
    const pc = window.meetopia.pc;
    if (!pc) return { local: {}, pairs: [] };
    const r = await pc.getStats();
    const byId = new Map();
    r.forEach((x) => byId.set(x.id, x));
    const local = {};
    const pairs = [];
    r.forEach((x) => {
      if (x.type === 'local-candidate' && x.candidateType === 'relay') local[x.port] = x.relayProtocol;
      if (x.type !== 'candidate-pair') return;
      const l = byId.get(x.localCandidateId) || {};
      const rc = byId.get(x.remoteCandidateId) || {};
      pairs.push({ proto: l.relayProtocol, lport: l.port, rport: rc.port,
        answered: x.responsesReceived || 0, answeredIn: x.responsesSent || 0 });
    });
    return { local, pairs };
  });
}

// What the relay controls when UDP, TCP and TLS relays are all offered:
// a connectivity check between the two pages' UDP relayed addresses gets
// its answer (whichever pair Chrome then selects).  Returns { ok, why }.
export async function udpRelaysTalk(a, b) {
  const [pa, pb] = [await icePorts(a), await icePorts(b)];
  const udp = (x) => new Set(Object.keys(x.local).filter((p) => x.local[p] === 'udp').map(Number));
  const [ua, ub] = [udp(pa), udp(pb)];
  if (ua.size === 0 || ub.size === 0)
    return { ok: false, why: `no UDP relay candidate on page ${ua.size === 0 ? 'A' : 'B'}` };
  const talk = (x, mine, theirs) => x.pairs.some((q) => q.proto === 'udp' && mine.has(q.lport) &&
    theirs.has(q.rport) && (q.answered > 0 || q.answeredIn > 0));
  if (talk(pa, ua, ub) || talk(pb, ub, ua)) return { ok: true, why: null };
  return { ok: false, why: 'no check between the UDP relays answered' };
}

// Waits until the page decodes more video frames than `after`.
export async function waitFrames(page, after = 0, ms = 15000) {
  const end = Date.now() + ms;
  let s = null;
  while (Date.now() < end) {
    s = await callStats(page);
    if (s && s.framesDecoded > after) return s;
    await sleep(200);
  }
  return s;
}

export async function chatLines(page) {
  return page.$$eval('#chat-log li', (lis) => lis.map((li) => ({
    cls: li.className, text: li.textContent, elements: li.querySelectorAll('*:not(span.visually-hidden)').length,
  })));
}
