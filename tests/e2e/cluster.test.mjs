// cluster.test.mjs - a call across a cluster in Debian's headless Chromium
// (issue 17): one redis-server and three meetopiad nodes of one cluster
// on loopback; page A on node n1's web page, page B on n2's (different
// http ports).  Prints TAP.
//
//  1. both Start: they are matched across the nodes, connect relay-only
//     (relay/relay on both sides) through the pair's relay node (the one
//     their iceServers name: the selected local candidate's TURN URL is
//     that node's node-address and turn-port), decode video, chat both
//     ways;
//  2. kill -9 of the relay node.  The relay node is always one of the
//     partners' own nodes (SPEC "Cluster": the less loaded of the two), so
//     that partner's WebSocket dies with it: its page's /ws then goes to
//     a third node, n3, that served neither page (what DNS or a load
//     balancer does for a real client; the page itself always dials
//     location.host), resumes there with its partner, both get `relay`
//     with a live node's servers, the offerer restarts ICE, and the call
//     comes back relay-only through that node with frames advancing: the
//     same call (no partner_left, no new matched).  The time from the
//     kill to both pages connected again and decoding new frames is
//     printed, with each page's signaling after the kill.
//
// Why n3 and not the partner's node: n3 takes the pair over from the
// partner's node, the hand-over between nodes.  A resume on the
// partner's own node (a cluster of two) is adopted by that node itself:
// tests/integration/test_cluster_two_nodes.py.
//
// Everything is bounded: a watchdog (E2E_TIMEOUT, default 120 s) kills
// every process it started and fails the run.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  Tap, Daemon, launch, openPage, enter, waitPhase, callStats, waitFrames, chatLines,
  sleep, ARTIFACTS, killAll, freePort, candidatePairs,
} from './lib.mjs';

const t = new Tap();
const WATCHDOG = Number(process.env.E2E_TIMEOUT || 120) * 1000;
const watchdog = setTimeout(() => {
  t.ok(false, `the whole run finished within ${WATCHDOG / 1000} s`);
  killAll();
  process.exit(t.done() || 1);
}, WATCHDOG);

// A redis-server of the run's own on a free loopback port, no persistence.
async function startRedis(dir, password) {
  const port = await freePort(false);
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir, '--requirepass', password], { stdio: 'ignore' });
  process.on('exit', () => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } });
  const end = Date.now() + 10000;
  while (Date.now() < end) {
    const up = await new Promise((resolve) => {
      import('node:net').then((net) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => { s.end(); resolve(true); });
        s.once('error', () => resolve(false));
      });
    });
    if (up) return { port, proc, url: `redis://:${password}@127.0.0.1:${port}` };
    if (proc.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

// The page's /ws goes where window.__wsTarget says once the test sets it
// (DNS or a load balancer moving the client to a live node).
const WS_REDIRECT = () => {
  const Orig = window.WebSocket;
  window.__ws = [];
  window.WebSocket = function (url, protocols) {
    const target = window.__wsTarget;
    const ws = protocols === undefined ? new Orig(target || url) : new Orig(target || url, protocols);
    const log = (what) => window.__ws.push([Date.now(), what]);
    ws.addEventListener('open', () => log('open ' + (target || url)));
    ws.addEventListener('close', (e) => log('close ' + e.code));
    ws.addEventListener('message', (e) => {
      try { const m = JSON.parse(e.data); if (m.type === 'pong') return;
        if (m.resumeToken) m.resumeToken = '…';
        log(m.type === 'error' || m.type === 'resumed' ? JSON.stringify(m) : m.type); } catch (x) { /* not JSON */ }
    });
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) window.WebSocket[k] = Orig[k];
};

// The TURN port the page's current configuration names (one node's).
async function turnPorts(page) {
  return page.evaluate(() => {
    const cfg = window.meetopia.pc && window.meetopia.pc.getConfiguration();
    const ports = new Set();
    for (const s of (cfg && cfg.iceServers) || []) {
      for (const u of [].concat(s.urls)) {
        const m = /^turns?:[^?]*:(\d+)(\?|$)/.exec(u);
        if (m) ports.add(Number(m[1]));
      }
    }
    return [...ports];
  });
}

// The selected pair's local relay candidate: its TURN URL and relayed port.
async function selectedRelay(page) {
  return page.evaluate(async () => {
    const pc = window.meetopia.pc;
    if (!pc) return null;
    const r = await pc.getStats();
    const byId = new Map();
    r.forEach((x) => byId.set(x.id, x));
    let pair = null;
    r.forEach((x) => { if (x.type === 'transport' && x.selectedCandidatePairId) pair = byId.get(x.selectedCandidatePairId); });
    const l = pair && byId.get(pair.localCandidateId);
    const rc = pair && byId.get(pair.remoteCandidateId);
    return l ? { type: l.candidateType, url: l.url || null, address: l.address, port: l.port,
      remoteType: rc && rc.candidateType, remotePort: rc && rc.port } : null;
  });
}

function nodeOfPort(nodes, port) {
  return nodes.find((d) => d.turnPort === port) || null;
}

function inRange(d, port) {
  return port >= Number(d.conf['min-port']) && port <= Number(d.conf['max-port']);
}

// Both pages relay-only through node `d`: relay/relay, the local relay
// candidate from d's TURN port and in d's relay port range.
async function throughNode(label, pages, d) {
  for (const p of pages) {
    const s = await selectedRelay(p);
    const good = s && s.type === 'relay' && s.remoteType === 'relay' &&
      (!s.url || new RegExp(`:${d.turnPort}(\\?|$)`).test(s.url)) && inRange(d, s.port) && inRange(d, s.remotePort);
    t.ok(good, `${label}: page ${p.name}'s selected pair is relay/relay on ${d.conf['node-name']} ` +
      `(127.0.0.1:${d.turnPort}, relay ports ${d.conf['min-port']}-${d.conf['max-port']})`,
    { selected: s, pairs: await candidatePairs(p).catch(() => []) });
  }
}

async function chat(from, to, text) {
  await from.fill('#chat-input', text);
  await from.press('#chat-input', 'Enter');
  await to.waitForFunction((x) => [...document.querySelectorAll('#chat-log li.them')]
    .some((li) => li.textContent.includes(x)), text, { timeout: 10000 }).catch(() => {});
  return (await chatLines(to)).some((l) => /them/.test(l.cls) && l.text.includes(text));
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(ARTIFACTS, '.redis-'));
  const redis = await startRedis(tmp, 'e2e-' + crypto.randomBytes(8).toString('hex'));
  const shared = {
    'auth-secret': 'e2e-cluster-' + crypto.randomBytes(8).toString('hex'),
    'resume-secret': crypto.randomBytes(32).toString('hex'),
    'pseudonym-secret': crypto.randomBytes(32).toString('hex'),
  };
  const nodes = [];
  // Relay port ranges of their own, to tell the nodes' relayed addresses
  // apart.
  const base = 20000 + ((process.pid * 41) % 20000);
  // Behind one DNS name every node serves one origin; here each node has
  // its own http port, so each allows both pages' origins on /ws.
  const http = [await freePort(false), await freePort(false), await freePort(false)];
  const origins = http.map((p) => `http://127.0.0.1:${p}`);
  for (const [i, name] of ['n1', 'n2', 'n3'].entries()) {
    const d = new Daemon({ redis: redis.url, 'cluster-prefix': 'e2e:', 'node-name': name,
      'auth-secret': shared['auth-secret'], 'relay-threads': '1',
      'min-port': String(base + 400 * i), 'max-port': String(base + 400 * i + 299),
      'http-port': String(http[i]), 'cors-origins': origins });
    fs.mkdirSync(d.stateDir, { recursive: true, mode: 0o700 });
    for (const k of ['resume-secret', 'pseudonym-secret'])
      fs.writeFileSync(path.join(d.stateDir, k), shared[k] + '\n', { mode: 0o600 });
    await d.start();
    nodes.push(d);
  }
  // Every node sees the other one up before pages come.
  const end = Date.now() + 15000;
  let up = false;
  while (!up && Date.now() < end) {
    up = true;
    for (const d of nodes) {
      const r = await fetch(`http://127.0.0.1:${d.httpPort}/metrics`).then((x) => x.text()).catch(() => '');
      if (!/meetopia_cluster_nodes\{state="up"\} 3\b/.test(r)) up = false;
    }
    if (!up) await sleep(200);
  }
  t.ok(up, 'the three nodes see each other up through redis');

  const b = await launch();
  try {
    const A = await openPage(b, nodes[0].url, 'A', { init: WS_REDIRECT });
    const B = await openPage(b, nodes[1].url, 'B', { init: WS_REDIRECT });
    await enter(A);
    await enter(B);
    await A.click('#start');
    await A.waitForFunction(() => window.meetopia.phase !== 'idle', null, { timeout: 10000 });
    await B.click('#start');
    await Promise.all([waitPhase(A, 'connected', 30000), waitPhase(B, 'connected', 30000)]);
    t.ok(true, 'pages on n1 and n2 are matched across the nodes and connect');

    const [pa, pb] = [await turnPorts(A), await turnPorts(B)];
    const relayNode = pa.length === 1 ? nodeOfPort(nodes, pa[0]) : null;
    t.ok(relayNode && pb.length === 1 && pb[0] === pa[0],
      'both pages\' iceServers name one node, the pair\'s relay node', { A: pa, B: pb });
    if (!relayNode) return;
    t.diag(`relay node: ${relayNode.conf['node-name']}`);
    const sa = await waitFrames(A);
    const sb = await waitFrames(B);
    t.ok(sa && sa.framesDecoded > 0 && sb && sb.framesDecoded > 0, 'both pages decode video frames',
      { A: sa, B: sb });
    await throughNode('before the kill', [A, B], relayNode);
    t.ok(await chat(A, B, 'hello from n1'), 'chat A -> B across the nodes');
    t.ok(await chat(B, A, 'hello from n2'), 'chat B -> A across the nodes');

    // ---- kill -9 of the relay node -------------------------------------
    // The page on the killed node goes to n3, which served neither page.
    const spare = nodes[2];
    const onDead = relayNode === nodes[0] ? A : B;
    const other = onDead === A ? B : A;
    const before = { [A.name]: (await callStats(A)).framesDecoded, [B.name]: (await callStats(B)).framesDecoded };
    await onDead.evaluate((u) => { window.__wsTarget = u; }, `ws://127.0.0.1:${spare.httpPort}/ws`);
    const killedAt = Date.now();
    relayNode.proc.kill('SIGKILL');
    await relayNode.exit;
    t.diag(`killed ${relayNode.conf['node-name']} (page ${onDead.name}'s node); page ${onDead.name}'s /ws now goes to ` +
      `${spare.conf['node-name']}`);

    // Back: both on one live node's servers, connected, new frames.
    let back = null;
    let survivor = null;
    const deadline = killedAt + 45000;
    const st = {};
    while (Date.now() < deadline) {
      let ok = true;
      for (const p of [A, B]) {
        const ports = await turnPorts(p).catch(() => []);
        const s = await callStats(p).catch(() => null);
        st[p.name] = { ports, s, phase: await p.evaluate(() => window.meetopia.phase).catch(() => null),
          log: await p.$$eval('#chat-log li', (l) => l.map((x) => x.textContent)).catch(() => null) };
        const n = ports.length === 1 ? nodeOfPort(nodes, ports[0]) : null;
        if (p === A) survivor = n;
        if (!(n && n !== relayNode && n === survivor && s && s.connectionState === 'connected' &&
          s.local === 'relay' && s.remote === 'relay' && s.framesDecoded > before[p.name])) ok = false;
      }
      if (ok) {
        back = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    t.ok(back !== null, 'after kill -9 of the relay node the call comes back through a live node within 45 s', { state: st, A: await candidatePairs(A).catch(() => []), B: await candidatePairs(B).catch(() => []) });
    if (back === null) return;
    t.diag(`relay node ${relayNode.conf['node-name']} killed → call back through ${survivor.conf['node-name']} ` +
      `(both pages connected relay/relay, new frames): ${back} ms`);
    const ev = {};
    for (const p of [A, B]) {
      ev[p.name] = (await p.evaluate(() => window.__ws).catch(() => [])).filter((x) => x[0] >= killedAt).map((x) => x[1]);
      t.diag(`page ${p.name}'s WebSocket after the kill: ` + (await p.evaluate(() => window.__ws).catch(() => []))
        .filter((x) => x[0] >= killedAt).map((x) => `+${x[0] - killedAt} ms ${x[1]}`).join(', '));
    }
    // The same call, not a new one: the page resumed with its partner,
    // both heard `relay`, neither was told its partner left or matched.
    t.ok(ev[onDead.name].some((x) => /^\{"type":"resumed".*"partner":true/.test(x)),
      `page ${onDead.name} resumed on ${spare.conf['node-name']} with its partner`, ev[onDead.name]);
    for (const p of [A, B]) {
      t.ok(ev[p.name].includes('relay'), `page ${p.name} got relay`, ev[p.name]);
      t.ok(!ev[p.name].includes('matched') && !ev[p.name].includes('partner_left'),
        `page ${p.name} kept its call (no partner_left, no new matched)`, ev[p.name]);
    }
    const f2 = { A: (await callStats(A)).framesDecoded, B: (await callStats(B)).framesDecoded };
    // A loaded machine may pause a page's video for a moment after the
    // restart: more frames on both within 10 s.
    let f3 = null;
    for (const end = Date.now() + 10000; Date.now() < end;) {
      await sleep(250);
      f3 = { A: (await callStats(A)).framesDecoded, B: (await callStats(B)).framesDecoded };
      if (f3.A > f2.A && f3.B > f2.B) break;
    }
    t.ok(f3.A > f2.A && f3.B > f2.B, 'frames keep advancing on both pages after the move', { f2, f3 });
    await throughNode('after the kill', [A, B], survivor);
    t.eq(await onDead.evaluate(() => window.meetopia.phase), 'connected', `page ${onDead.name} is still in the call`);
    t.eq(await other.evaluate(() => window.meetopia.phase), 'connected', `page ${other.name} is still in the call`);
    t.ok(await chat(onDead, other, 'still here'), `chat ${onDead.name} -> ${other.name} after the move`);
    t.ok(await chat(other, onDead, 'me too'), `chat ${other.name} -> ${onDead.name} after the move`);
    const errs = [...A.errors, ...B.errors].filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e));
    t.ok(errs.length === 0, 'no page error', errs);
  } finally {
    await b.close().catch(() => {});
    for (const d of nodes) await d.stop().catch(() => {});
    if (!process.env.E2E_KEEP) for (const d of nodes) d.cleanup();
    try { redis.proc.kill('SIGKILL'); } catch (e) { /* gone */ }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  t.ok(false, 'no exception', e && e.stack ? e.stack : String(e));
}).finally(() => {
  clearTimeout(watchdog);
  killAll();
  process.exit(t.done());
});
