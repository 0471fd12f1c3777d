// warm-pool-cost.mjs - what the web client's pre-gathered ("warm") ICE
// connection saves, measured in Debian's headless Chromium (issue 17: a
// cluster's `matched` may name another node's TURN servers than those
// the waiting page gathered on, and call.js then drops its pool,
// sameServers()).  A measurement for the README, not a test.
//
// One redis-server and two meetopiad nodes (n1, n2) on loopback; two
// pages, A and B, reloaded for every run.  A starts first and waits
// WAIT_MS (its pool gathers on the servers of the node its /ws is on),
// then B starts and they are matched:
//   same   both pages on n1: the pair is n1's, `matched` names n1's
//          servers, A takes its warm connection;
//   other  A on n1, B on n2: the pair's relay node is n2 (the finder's
//          node, and n1 holds A's warm allocation, so n2 is the less
//          loaded), `matched` names n2's servers and A gathers anew.
// Printed per run and as median / max of each: A's time from `matched`
// to ICE connected (call.js connectMs), and whether A used its pool.
//
//   node tools/warm-pool-cost.mjs [RUNS]     (default 5 of each)
//
// Needs what tests/e2e/cluster.sh needs (chromium, redis-server, node 18,
// tests/e2e/node_modules) and a built meetopiad (MTEST_BUILDDIR).  Runs
// one browser with two pages; takes the browser suites' lock.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  Daemon, launch, openPage, enter, waitPhase, sleep, ARTIFACTS, killAll, freePort,
} from '../tests/e2e/lib.mjs';

const RUNS = Number(process.argv[2] || 5);
const WAIT_MS = 2000;

async function startRedis(dir, password) {
  const port = await freePort(false);
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir, '--requirepass', password], { stdio: 'ignore' });
  process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
  const net = await import('node:net');
  for (const end = Date.now() + 10000; Date.now() < end;) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.end(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (up) return { port, proc, url: `redis://:${password}@127.0.0.1:${port}` };
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

// The TURN port of the first URL of an iceServers list.
const portOf = (ice) => {
  const u = ice && ice[0] && [].concat(ice[0].urls)[0];
  const m = u && /^turns?:[^?]*:(\d+)/.exec(u);
  return m ? Number(m[1]) : null;
};

// welcome's and matched's iceServers, as the page saw them.
const WATCH = () => {
  const Orig = window.WebSocket;
  window.__ice = {};
  window.WebSocket = function (url, protocols) {
    const ws = protocols === undefined ? new Orig(url) : new Orig(url, protocols);
    ws.addEventListener('message', (e) => {
      try {
        const m = JSON.parse(e.data);
        if (m.type === 'welcome' || m.type === 'matched') window.__ice[m.type] = m.iceServers;
      } catch (x) { /* not JSON */ }
    });
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) window.WebSocket[k] = Orig[k];
};

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? { median: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1] } : null;
}

async function run(A, B, nodes, mode) {
  await A.goto(nodes[0].url);
  await B.goto(mode === 'same' ? nodes[0].url : nodes[1].url);
  await enter(A);
  await enter(B);
  await A.click('#start');
  await A.waitForFunction(() => window.meetopia.phase !== 'idle', null, { timeout: 10000 });
  await sleep(WAIT_MS);
  await B.click('#start');
  await Promise.all([waitPhase(A, 'connected', 30000), waitPhase(B, 'connected', 30000)]);
  const read = (p) => p.evaluate(() => ({
    timings: window.meetopia.timings, usedWarm: window.meetopia.usedWarm, ice: window.__ice,
  }));
  // connectMs is set with connected; give the page a moment.
  await sleep(200);
  const [a, b] = [await read(A), await read(B)];
  const relay = nodes.find((d) => d.turnPort === portOf(a.ice.matched));
  const r = {
    mode,
    relay: relay ? relay.conf['node-name'] : '?',
    aWelcome: (nodes.find((d) => d.turnPort === portOf(a.ice.welcome)) || { conf: {} }).conf['node-name'],
    aUsedWarm: a.usedWarm,
    aConnectMs: Math.round(a.timings.connectMs),
    bConnectMs: Math.round(b.timings.connectMs),
  };
  await A.click('#stop').catch(() => {});
  await B.click('#stop').catch(() => {});
  await sleep(500);
  return r;
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(ARTIFACTS, '.redis-'));
  const redis = await startRedis(tmp, 'pool-' + crypto.randomBytes(8).toString('hex'));
  const shared = {
    'auth-secret': 'pool-' + crypto.randomBytes(8).toString('hex'),
    'resume-secret': crypto.randomBytes(32).toString('hex'),
    'pseudonym-secret': crypto.randomBytes(32).toString('hex'),
  };
  const http = [await freePort(false), await freePort(false)];
  const origins = http.map((p) => `http://127.0.0.1:${p}`);
  const nodes = [];
  for (const [i, name] of ['n1', 'n2'].entries()) {
    const d = new Daemon({ redis: redis.url, 'cluster-prefix': 'pool:', 'node-name': name,
      'auth-secret': shared['auth-secret'], 'relay-threads': '1', 'http-port': String(http[i]),
      'cors-origins': origins });
    fs.mkdirSync(d.stateDir, { recursive: true, mode: 0o700 });
    for (const k of ['resume-secret', 'pseudonym-secret'])
      fs.writeFileSync(path.join(d.stateDir, k), shared[k] + '\n', { mode: 0o600 });
    await d.start();
    nodes.push(d);
  }
  await sleep(2500);	// the nodes hear each other's heartbeats
  const b = await launch();
  const out = [];
  try {
    const A = await openPage(b, nodes[0].url, 'A', { init: WATCH });
    const B = await openPage(b, nodes[0].url, 'B', { init: WATCH });
    for (let i = 0; i < RUNS; i++) {
      for (const mode of ['same', 'other']) {
        const r = await run(A, B, nodes, mode);
        out.push(r);
        console.log(JSON.stringify(r));
      }
    }
  } finally {
    await b.close().catch(() => {});
    for (const d of nodes) await d.stop().catch(() => {});
    for (const d of nodes) d.cleanup();
    try { redis.proc.kill('SIGKILL'); } catch (e) { /* gone */ }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  for (const mode of ['same', 'other']) {
    const rs = out.filter((r) => r.mode === mode);
    console.log(`${mode}: A used its pool ${rs.filter((r) => r.aUsedWarm).length}/${rs.length}; ` +
      `A matched -> ICE connected ms ${JSON.stringify(summary(rs.map((r) => r.aConnectMs)))}; ` +
      `B ${JSON.stringify(summary(rs.map((r) => r.bConnectMs)))}`);
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exitCode = 1;
}).finally(() => killAll());
