// e2e.test.mjs - Meetopia in a real browser: Debian's headless Chromium
// (fake camera and microphone) driven by playwright-core, against
// meetopiad on loopback.  Prints TAP.
//
//  1. the page: security headers, no CSP violation, rules and 18+ first,
//     no camera before the user asks; its pure logic (quality ladder, chat
//     text, TURN URL filter, camera ranking) as the page loads it;
//  2. two pages (separate browser contexts) pair, connect over the relay
//     only (getStats: relay/relay on both sides), their UDP relays (of
//     the three kinds offered) reach each other, decode video, report
//     `stats`, chat both ways (text stays text), typing indicator, code
//     point counter, quality goes up from 480p; a screenshot is saved;
//  3. a dropped WebSocket resumes and the call goes on;
//  4. Next rematches with a third page; the left one hears it;
//  5. Report reaches the store (meetopiactl report list);
//  6. the same pairing over TURN/TCP and TURN/TLS (skipped, saying so,
//     while the tree has no relay/tcp.c);
//  7. camera permission denied: the page says so and still works
//     receive-only;
//  8. with coturn installed: the same page through coturn over UDP, TCP
//     and TLS, then meetopiad again with iceCandidatePoolSize 1 and 10
//     (time and relay allocations per pair);
//  9. a ban (meetopiactl ban add --report) ends the sessions and a new page
//     is refused.
//
// Figures (time from page load, i.e. navigation start, to connected video)
// go out as TAP comments; E2E_REPS=N takes the median of N runs each.

import fs from 'node:fs';
import path from 'node:path';
import {
  Tap, Daemon, Coturn, launch, openPage, enter, waitPhase, callStats, waitFrames, chatLines,
  sleep, ARTIFACTS, rewriteTurn, killAll, turnTcpBuilt, metric, candidatePairs, udpRelaysTalk,
} from './lib.mjs';

const t = new Tap();
const figures = [];
const REPS = Math.max(1, Number(process.env.E2E_REPS || 1));
const tcpBuilt = turnTcpBuilt();
const WATCHDOG = Number(process.env.E2E_TIMEOUT || 300 + 60 * Number(process.env.E2E_REPS || 1)) * 1000;
const watchdog = setTimeout(() => {
  t.ok(false, `the whole run finished within ${WATCHDOG / 1000} s`);
  killAll();
  process.exit(t.done() || 1);
}, WATCHDOG);

async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    t.ok(false, `${name}: no exception`, e && e.stack ? e.stack : String(e));
    return undefined;
  }
}

// Pairs two pages that are already in the room: a first, then b.
async function pair(a, b) {
  await a.click('#start');
  await a.waitForFunction(() => window.meetopia.phase !== 'idle', null, { timeout: 10000 });
  await b.click('#start');
  await Promise.all([waitPhase(a, 'connected'), waitPhase(b, 'connected')]);
}

async function timings(page) {
  return page.evaluate(() => window.meetopia.timings);
}

async function relayOnly(name, a, b, proto) {
  const sa = await waitFrames(a);
  const sb = await waitFrames(b);
  t.ok(sa && sa.local === 'relay' && sa.remote === 'relay', `${name}: first page's selected pair is relay/relay`, sa);
  t.ok(sb && sb.local === 'relay' && sb.remote === 'relay', `${name}: second page's selected pair is relay/relay`, sb);
  if (proto) {
    const good = sa && sa.relayProtocol === proto && sb && sb.relayProtocol === proto;
    t.ok(good, `${name}: both reach the relay over ${proto.toUpperCase()}`,
      good ? null : { a: sa && sa.relayProtocol, b: sb && sb.relayProtocol,
        aPairs: await candidatePairs(a).catch(() => []), bPairs: await candidatePairs(b).catch(() => []) });
  }
  t.ok(sa && sa.framesDecoded > 0 && sb && sb.framesDecoded > 0, `${name}: both pages decode video frames`,
    { a: sa && sa.framesDecoded, b: sb && sb.framesDecoded });
  return [sa, sb];
}

// Offered UDP, TCP and TLS relays: what the relay controls is that the
// pages' UDP relayed addresses reach each other.  Passes when both pages
// settle on UDP (the highest priority relay candidates) or a check between
// their UDP relays was answered, waiting up to 10 s; which pair Chrome
// then keeps is its own choice (a page whose UDP candidates come late may
// stay on a TCP pair: the issue 15 note).
async function preferUdp(a, b) {
  const end = Date.now() + 10000;
  let sa = null, sb = null, talk = { ok: false, why: null };
  while (Date.now() < end) {
    [sa, sb] = [await callStats(a), await callStats(b)];
    if (sa && sb && sa.relayProtocol === 'udp' && sb.relayProtocol === 'udp') break;
    talk = await udpRelaysTalk(a, b);
    if (talk.ok) break;
    await sleep(250);
  }
  const both = sa && sb && sa.relayProtocol === 'udp' && sb.relayProtocol === 'udp';
  if (!both && talk.ok)
    t.diag(`all transports offered: pages on ${sa && sa.relayProtocol}/${sb && sb.relayProtocol}, ` +
      'a check between their UDP relays answered');
  t.ok(both || talk.ok, 'all transports offered: the pages\' UDP relays reach each other',
    both || talk.ok ? undefined : { a: sa && sa.relayProtocol, b: sb && sb.relayProtocol, why: talk.why,
      aPairs: await candidatePairs(a).catch(() => []), bPairs: await candidatePairs(b).catch(() => []) });
}

async function figure(label, page) {
  const tm = await timings(page);
  if (tm && tm.firstFrame != null) {
    const line = `${label}: page load → connected ${Math.round(tm.connected)} ms, → first video frame ` +
      `${Math.round(tm.firstFrame)} ms; Start → first frame ${Math.round(tm.firstFrame - tm.start)} ms; ` +
      `matched → connected ${tm.connectMs} ms, → first frame ${Math.round(tm.firstFrame - tm.matched)} ms`;
    figures.push(line);
    t.diag(line);
  }
  return tm;
}

function note(line) {
  figures.push(line);
  t.diag(line);
}

async function closePages(pages) {
  for (const x of pages) {
    await x.evaluate(() => window.meetopia.pc && window.meetopia.pc.close()).catch(() => {});
    await x.click('#stop', { timeout: 1000 }).catch(() => {});
    // The whole context: its idle keep-alive sockets count against the
    // server's plain HTTP sockets per client IP.
    await x.context().close().catch(() => {});
  }
}

const median = (v) => {
  const s = [...v].sort((x, y) => x - y);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

// Two fresh pages at `url` pair and connect; the first time with the
// relay-only checks, then `reps - 1` more times for the figures.  The
// figure is the median over the runs of the second page's times: page
// load (navigation start) → connected → first decoded frame; Start →
// first frame; matched → first frame.  inspect(P, Q) runs on the
// connected pages of the first run.
async function pairCase(b, label, url, { proto = null, init = null, initArg, reps = 1, inspect = null } = {}) {
  const runs = [];
  for (let i = 0; i < Math.max(1, reps); i++) {
    const P = await openPage(b, url, 'P', { init, initArg });
    const Q = await openPage(b, url, 'Q', { init, initArg });
    try {
      await enter(P);
      await enter(Q);
      await pair(P, Q);
      if (i === 0) {
        await relayOnly(label, P, Q, proto);
        if (inspect) await inspect(P, Q);
      } else {
        await waitFrames(Q);
      }
      await Q.waitForFunction(() => window.meetopia.timings.firstFrame != null, null, { timeout: 10000 });
      runs.push(await timings(Q));
    } finally {
      await closePages([P, Q]);
    }
  }
  const f = (k) => Math.round(median(runs.map(k)));
  note(`${label}: page load → connected ${f((x) => x.connected)} ms, → first video frame ` +
    `${f((x) => x.firstFrame)} ms; Start → first frame ${f((x) => x.firstFrame - x.start)} ms; ` +
    `matched → first frame ${f((x) => x.firstFrame - x.matched)} ms (median of ${runs.length})`);
  return runs;
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // The default relay threads (one per core): the pages' allocations may
  // sit on different worker loops.
  const d = new Daemon({ 'max-connections-per-ip': '12' }, { tls: true });
  await d.start();
  const b = await launch();
  let reportId = null;
  try {
    // ---- 1. the page --------------------------------------------------
    const A = await openPage(b, d.url, 'A');
    const h = A.response.headers();
    t.ok(/script-src 'self'/.test(h['content-security-policy'] || ''), 'the page is served with a Content-Security-Policy',
      h['content-security-policy']);
    t.eq(h['x-frame-options'], 'DENY', 'X-Frame-Options: DENY');
    t.ok(await A.isVisible('#intro') && !(await A.isVisible('#room')), 'the rules and the privacy note come first');
    t.ok(/30 days/.test(await A.textContent('#intro')) && /pseudonymised/.test(await A.textContent('#intro')),
      'the privacy note says what is kept and for how long');
    t.ok(await A.isDisabled('#consent-continue'), 'Continue is disabled until the 18+ box is checked');
    t.eq(await A.evaluate(() => window.__e2e.gum), 0, 'no camera request before the user asks');
    await A.check('#adult');
    await A.click('#consent-continue');
    t.eq(await A.evaluate(() => window.__e2e.gum), 0, 'still none after the consent screen');
    await A.click('#allow-media');
    await A.waitForSelector('#room:not([hidden])');
    t.ok(await A.evaluate(() => window.__e2e.gum) >= 1, 'the camera is asked for when the user presses the button');
    const cams = await A.$$eval('#camera-select option', (o) => o.map((x) => x.textContent));
    t.ok(cams.length >= 1, 'the camera list is filled', cams);

    // ---- 1b. the page's own logic, as the page loads it --------------
    await step('page logic', async () => {
      const r = await A.evaluate(async () => {
        const q = await import('/quality.js');
        const tx = await import('/text.js');
        const c = await import('/call.js');
        const m = await import('/media.js');
        const good = { outLoss: 0, rtt: 20, availableOut: 5e6, limitation: null };
        const st = { good: 0, lastDown: 0 };
        const ups = [1, 2, 3].map((i) => q.nextLevel(1, { ...good, t: 10000 + i * 1000 }, st));
        const st2 = { good: 0, lastDown: 0 };
        const loss = q.nextLevel(3, { ...good, outLoss: 0.1, t: 10000 }, st2);
        const again = q.nextLevel(2, { ...good, outLoss: 0.1, t: 10500 }, st2);
        const later = q.nextLevel(2, { ...good, outLoss: 0.1, t: 12100 }, st2);
        const rtt = q.nextLevel(3, { ...good, rtt: 600, t: 10000 }, { good: 0, lastDown: 0 });
        const cpu = q.nextLevel(3, { ...good, limitation: 'cpu', t: 10000 }, { good: 0, lastDown: 0 });
        const capped = [1, 2, 3, 4].map((i) => q.nextLevel(1, { ...good, availableOut: 6e5, t: i * 1000 },
          { good: 0, lastDown: 0 }));
        const stS = { good: 0, lastDown: 0 };
        const simple = [1, 2, 3].map((i) => q.nextLevel(1, { ...good, availableOut: 6e5, outBitrate: 4e5,
          t: i * 1000 }, stS));
        const stF = { good: 0, lastDown: 0 };
        const full = [1, 2, 3].map((i) => q.nextLevel(1, { ...good, availableOut: 6e5, outBitrate: 5.5e5,
          t: i * 1000 }, stF));
        const ice = [{ urls: ['turn:h:1?transport=udp', 'turn:h:1?transport=tcp', 'turns:h:2?transport=tcp'],
          username: '1700000000:s-x', credential: 'p' }];
        const cams = m.rankCameras([
          { kind: 'videoinput', label: 'OBS Virtual Camera' }, { kind: 'audioinput', label: 'Mic' },
          { kind: 'videoinput', label: 'Integrated Webcam' }]).map((d) => d.label);
        return {
          ups, loss, again, later, rtt, cpu, capped, simple, full,
          cp: [tx.codePoints('😀é a'), tx.codePoints('')],
          un: tx.unescapeChat('&lt;b&gt; &amp;lt; &quot;&#39; &copy;'),
          udp: c.filterTransport(ice, 'udp')[0].urls, tcp: c.filterTransport(ice, 'tcp')[0].urls,
          tls: c.filterTransport(ice, 'tls')[0].urls, exp: c.credentialExpiry(ice),
          cfg: c.rtcConfig({ iceTransportPolicy: 'relay', bundlePolicy: 'max-bundle', iceCandidatePoolSize: 3 }, ice),
          cams,
        };
      });
      t.eq(JSON.stringify(r.ups), '[1,1,2]', 'quality: one step up after 3 good seconds');
      t.ok(r.loss === 2 && r.again === 2 && r.later === 1, 'quality: down at once on 10% loss, at most one step per 2 s', r);
      t.ok(r.rtt === 2 && r.cpu === 2, 'quality: down on RTT 600 ms and on a CPU-limited encoder', r);
      t.eq(JSON.stringify(r.capped), '[1,1,1,1]', 'quality: no step up when the path estimate is below the next cap');
      t.eq(JSON.stringify(r.simple), '[1,1,2]', 'quality: an encoder sending below its cap steps up when the estimate is 20% above what it sends');
      t.eq(JSON.stringify(r.full), '[1,1,1]', 'quality: not when the estimate is barely above what it sends');
      t.eq(JSON.stringify(r.cp), '[4,0]', 'chat counter: code points, not UTF-16 units');
      t.eq(r.un, '<b> &lt; "\' &copy;', 'chat: the five escapes of the server are undone once, nothing else');
      t.ok(r.udp.length === 1 && /udp/.test(r.udp[0]) && r.tcp.length === 1 && /^turn:.*tcp/.test(r.tcp[0]) &&
        r.tls.length === 1 && /^turns:/.test(r.tls[0]), '?transport= keeps one kind of TURN URL', r);
      t.eq(r.exp, 1700000000, 'the credential expiry is read from the TURN username');
      t.ok(r.cfg.iceTransportPolicy === 'relay' && r.cfg.bundlePolicy === 'max-bundle' && r.cfg.iceCandidatePoolSize === 3,
        'the peer connection takes its policy, bundling and pool size from welcome', r.cfg);
      t.eq(JSON.stringify(r.cams), '["Integrated Webcam","OBS Virtual Camera"]', 'physical cameras come before virtual ones');
    });

    // ---- 2. two pages pair, relay only, video, chat -------------------
    const B = await openPage(b, d.url, 'B');
    await enter(B);
    await step('pairing', () => pair(A, B));
    await relayOnly('all transports', A, B);
    await step('UDP preferred', () => preferUdp(A, B));
    await figure('meetopiad, all transports', B);
    t.eq(await B.textContent('#status'), 'Connected', 'the status says Connected');
    await step('stats', async () => {
      // Each page sends `stats` (state connected, connectMs) once connected.
      let n = 0;
      for (let i = 0; i < 50 && n < 2; i++) {
        n = await metric(d, 'meetopia_connect_success_total');
        if (n < 2) await sleep(100);
      }
      t.ok(n >= 2, 'both pages report the connection to the server (meetopia_connect_success_total)', n);
    });

    await step('chat', async () => {
      await A.fill('#chat-input', 'hello <b>bold</b> & "quoted"');
      await A.press('#chat-input', 'Enter');
      await B.waitForFunction(() => [...document.querySelectorAll('#chat-log li.them')].length > 0, null, { timeout: 5000 });
      let lines = await chatLines(B);
      const got = lines.filter((l) => l.cls === 'them');
      t.ok(got.length === 1 && got[0].text.endsWith('hello bold & "quoted"'), 'chat A → B arrives (tags removed by the server, shown as text)', got);
      t.ok(got.length === 1 && got[0].elements === 0, 'chat text is inserted as text, never as HTML', got);
      t.eq(await A.inputValue('#chat-input'), '', 'Enter sends and clears the box');

      await B.type('#chat-input', 'hi');
      await A.waitForFunction(() => /typing/.test(document.getElementById('typing').textContent), null, { timeout: 5000 });
      t.ok(true, 'the typing indicator shows on the other page');
      await B.fill('#chat-input', '<img src=x onerror=alert(1)> réponse');
      await B.click('#chat-send');
      await A.waitForFunction(() => [...document.querySelectorAll('#chat-log li.them')].length > 0, null, { timeout: 5000 });
      lines = await chatLines(A);
      const back = lines.filter((l) => l.cls === 'them');
      t.ok(back.length === 1 && /réponse$/.test(back[0].text) && back[0].elements === 0, 'chat B → A arrives, as text', back);
      t.eq(await A.$$eval('#chat-log img', (x) => x.length), 0, 'no element from chat text in the page');

      // 500 code points: emoji are one each, not two UTF-16 units.
      await A.fill('#chat-input', '😀'.repeat(500));
      t.eq(await A.textContent('#chat-count'), '500 / 500', 'the counter counts code points (500 emoji = 500)');
      t.ok(!(await A.isDisabled('#chat-send')), '500 code points may be sent');
      await A.fill('#chat-input', '😀'.repeat(501));
      t.ok(await A.isDisabled('#chat-send'), '501 code points may not');
      await A.fill('#chat-input', '');
    });

    await step('quality', async () => {
      t.eq(await A.evaluate(() => window.meetopia.level === '480p' || window.meetopia.level === '720p' ||
        window.meetopia.level === '1080p'), true, 'a sending level is set');
      await A.waitForFunction(() => window.meetopia.level === '1080p', null, { timeout: 30000, polling: 250 })
        .catch(() => {});
      const lvl = await A.evaluate(() => window.meetopia.level);
      // The ladder also steps down when the encoder is short of CPU (a
      // loaded 2-core machine running two browsers): that is the client
      // doing its job, and is reported, not taken for a broken link.
      const st = await A.evaluate(() => window.meetopia.stats);
      if (lvl !== '1080p' && st && st.cpuLimitedSecs > 0) {
        t.ok(true, `on a clean link the sending quality climbs from 480p@15 to 1080p@30 # SKIP the encoder was CPU-bound for ${st.cpuLimitedSecs.toFixed(1)} s here (level ${lvl})`);
        t.ok(true, 'the partner receives more than 480 lines after the upgrade # SKIP no upgrade on a CPU-bound machine');
      } else {
        t.ok(lvl === '1080p', 'on a clean link the sending quality climbs from 480p@15 to 1080p@30', { level: lvl, stats: st });
        await sleep(3000);
        const s = await callStats(B);
        t.ok(s && s.frameHeight > 480, 'the partner receives more than 480 lines after the upgrade', s);
      }
      const q = await A.textContent('#quality');
      t.ok(/RTT \d+ ms/.test(q) && /loss/.test(q) && /bps/.test(q), 'the quality indicator shows RTT, loss and bitrate', q);
    });

    await step('screenshot', async () => {
      const file = path.join(ARTIFACTS, 'connected.png');
      await B.screenshot({ path: file });
      t.ok(fs.statSync(file).size > 10000, `a screenshot of the connected page is saved (${path.relative(process.cwd(), file)})`);
    });

    // ---- 3. a dropped socket resumes; the call goes on ----------------
    await step('resume', async () => {
      const before = (await callStats(B)).framesDecoded;
      const sess = await A.evaluate(() => window.meetopia.session);
      await A.evaluate(() => window.meetopia.dropSocket());
      await A.waitForFunction(() => window.meetopia.state === 'reconnecting', null, { timeout: 3000, polling: 20 })
        .then(() => t.ok(true, 'a dropped socket shows "reconnecting"'),
          () => t.ok(false, 'a dropped socket shows "reconnecting"'));
      await A.waitForFunction(() => window.meetopia.state === 'connected', null, { timeout: 10000 });
      t.eq(await A.evaluate(() => window.meetopia.session), sess, 'the session is resumed, not a new one');
      const s = await waitFrames(B, before + 10);
      t.ok(s && s.framesDecoded > before + 10 && s.connectionState === 'connected', 'the call survives the dropped socket', s);
      await A.fill('#chat-input', 'still here');
      await A.press('#chat-input', 'Enter');
      await B.waitForFunction(() => /still here/.test(document.getElementById('chat-log').textContent), null, { timeout: 5000 });
      t.ok(true, 'chat works after the resume');
      const left = (await chatLines(B)).some((l) => /left|lost/.test(l.text) && l.cls === 'system');
      t.ok(!left, 'the partner never heard of it');
    });

    // ---- 4. Next rematches with a third page --------------------------
    const C = await openPage(b, d.url, 'C');
    await enter(C);
    await step('next', async () => {
      await C.click('#start');
      await waitPhase(C, 'waiting', 10000);
      await A.click('#next');
      await Promise.all([waitPhase(A, 'connected'), waitPhase(C, 'connected')]);
      await relayOnly('Next', A, C);
      await B.waitForFunction(() => /moved on/.test(document.getElementById('chat-log').textContent), null, { timeout: 5000 });
      t.ok(true, 'the page left behind hears that its partner moved on');
      await B.waitForFunction(() => window.meetopia.phase === 'waiting', null, { timeout: 5000 });
      t.ok(true, 'and looks for someone new on its own');
    });

    // ---- 5. Report reaches the store ----------------------------------
    await step('report', async () => {
      t.ok(!(await C.isDisabled('#report')), 'Report is enabled in a call');
      await C.click('#report');
      await C.check('input[name=reason][value=abuse]');
      await C.fill('#report-detail', 'e2e test report');
      await C.uncheck('#report-next');
      await C.click('#report-send');
      await C.waitForFunction(() => /report was received/.test(document.getElementById('chat-log').textContent), null,
        { timeout: 5000 });
      const text = await C.textContent('#chat-log');
      reportId = Number((/number (\d+)/.exec(text) || [])[1]);
      t.ok(reportId > 0, 'the page confirms the report with its number', text);
      const r = d.ctl('--json', 'report', 'list');
      let reports = [];
      try { reports = JSON.parse(r.out).reports || []; } catch (e) { /* below */ }
      const mine = reports.find((x) => Number(x.id) === reportId);
      t.ok(mine && mine.reason === 'abuse', 'meetopiactl report list shows it with its reason', r.out + r.err);
      t.ok(!/127\.0\.0\.1/.test(r.out), 'the stored report holds no address in clear');
    });
    await closePages([B]);

    // ---- 6. TURN/TCP and TURN/TLS -------------------------------------
    // (?transport= keeps only that kind of TURN URL in the page.)
    for (const tr of ['tcp', 'tls']) {
      const T = tr.toUpperCase();
      if (!tcpBuilt) {
        t.skip(`TURN/${T}: two pages connect relay/relay over ${T} and decode video`, 'TURN/TCP not built (no relay/tcp.c)');
        continue;
      }
      await step(`TURN/${T}`, () => pairCase(b, `meetopiad TURN/${T}`, d.url + '?transport=' + tr,
        { proto: tr, reps: REPS }));
    }

    // ---- 7. permission denied -----------------------------------------
    await step('permission denied', async () => {
      const nb = await launch({ fakeUi: false });
      try {
        const D = await openPage(nb, d.url, 'D');
        await D.check('#adult');
        await D.click('#consent-continue');
        await D.click('#allow-media');
        await D.waitForSelector('#media-error:not([hidden])', { timeout: 10000 });
        const msg = await D.textContent('#media-error');
        t.ok(/did not allow/.test(msg), 'a refused permission is explained in plain words', msg);
        t.eq(await D.textContent('#allow-media'), 'Try again', 'and the user can try again');
        await D.click('#no-media');
        await D.waitForSelector('#room:not([hidden])');
        // Receive-only: pairs with A's successor page E and sees its video.
        const E = await openPage(b, d.url, 'E');
        await enter(E);
        await C.click('#stop');
        await A.click('#stop');
        await pair(E, D);
        const s = await waitFrames(D);
        t.ok(s && s.framesDecoded > 0 && s.local === 'relay', 'without a camera the page still receives video', s);
        await D.evaluate(() => window.meetopia.pc && window.meetopia.pc.close());
        await closePages([E]);
      } finally {
        await nb.close();
      }
    });

    // ---- 8. the same page through coturn (figures) ---------------------
    // The page's TURN URLs point at coturn (same secret, so the same
    // credentials work there); everything else is meetopiad's.
    if (Coturn.available()) {
      const ct = await step('coturn start', () => new Coturn(d.secret).start());
      try {
        for (const tr of ['udp', 'tcp', 'tls']) {
          const T = tr.toUpperCase();
          if (tr === 'tls' && !(ct && ct.tlsPort)) {
            t.skip(`coturn TURN/${T}`, 'no certificate for coturn (openssl failed)');
            continue;
          }
          if (!ct) continue;
          await step(`coturn TURN/${T}`, () => pairCase(b, `coturn TURN/${T}`, d.url + '?transport=' + tr,
            { proto: tr, init: rewriteTurn, initArg: { port: ct.port, tlsPort: ct.tlsPort }, reps: REPS }));
        }
      } finally {
        if (ct) ct.stop();
      }
    } else {
      t.skip('coturn TURN/UDP, TCP, TLS comparison', 'coturn not installed (no /usr/bin/turnserver)');
    }

    // ---- 8b. meetopiad again, for the figures ---------------------------
    // Fresh pages on ?transport=udp (what the coturn case used), then the
    // pool size the seed asked for (10) against ours (1): time and relay
    // allocations per pair.
    await step('meetopiad figures', async () => {
      const a0 = await metric(d, 'meetopia_turn_allocations_total');
      await pairCase(b, 'meetopiad TURN/UDP, pool 1', d.url + '?transport=udp', {
        proto: 'udp',
        reps: REPS,
        inspect: async (P) => {
          const pool = await P.evaluate(() => window.meetopia.pc.getConfiguration().iceCandidatePoolSize);
          t.eq(pool, 1, 'the page takes iceCandidatePoolSize from welcome (1, the default)');
          t.ok(await P.evaluate(() => window.meetopia.usedWarm), 'the call uses the connection pre-gathered while waiting');
        },
      });
      const a1 = await metric(d, 'meetopia_turn_allocations_total');
      t.ok(a0 != null && a1 > a0, 'meetopia_turn_allocations_total counts the allocations of the pages', { a0, a1 });
      if (a0 != null) note(`meetopiad, iceCandidatePoolSize 1: ${((a1 - a0) / REPS).toFixed(1)} relay allocations per pair`);
    });
    // Ten pooled transports per page make this the heaviest case for a
    // 2-core machine under ASan: one retry on a fresh daemon after an
    // exception (printed), so that a timeout of the machine is told from
    // a failure of the product, which fails twice.
    const pool10 = async () => {
      const d10 = await new Daemon({ 'max-connections-per-ip': '12', 'ice-candidate-pool-size': '10' }).start();
      try {
        const a0 = await metric(d10, 'meetopia_turn_allocations_total');
        await pairCase(b, 'meetopiad TURN/UDP, pool 10', d10.url + '?transport=udp', {
          proto: 'udp',
          reps: REPS,
          inspect: async (P) => {
            const pool = await P.evaluate(() => window.meetopia.pc.getConfiguration().iceCandidatePoolSize);
            t.eq(pool, 10, 'the page takes iceCandidatePoolSize from welcome (10)');
          },
        });
        const a1 = await metric(d10, 'meetopia_turn_allocations_total');
        note(`meetopiad, iceCandidatePoolSize 10: ${((a1 - a0) / REPS).toFixed(1)} relay allocations per pair`);
      } finally {
        await d10.stop();
        d10.cleanup();
      }
    };
    await step('pool 10', async () => {
      try {
        await pool10();
      } catch (e) {
        t.diag(`pool 10, first attempt: ${e && e.stack ? e.stack : String(e)}`);
        await pool10();
      }
    });

    // ---- 9. a ban ends the sessions; a new page is refused -------------
    await step('ban', async () => {
      // (A and C just left each other: the server never pairs them again
      // at once, so A meets a new page.)
      const G = await openPage(b, d.url, 'G');
      await enter(G);
      await pair(A, G);
      const r = d.ctl('ban', 'add', '--report', String(reportId), '--for', '1h', '--reason', 'e2e');
      t.eq(r.code, 0, 'meetopiactl ban add --report bans the reported party', r.out + r.err);
      await A.waitForFunction(() => window.meetopia.state === 'banned', null, { timeout: 6000, polling: 100 })
        .then(() => t.ok(true, 'the banned page is told, within seconds'),
          () => t.ok(false, 'the banned page is told, within seconds'));
      t.ok(/banned/.test(await A.textContent('#error')), 'in plain words', await A.textContent('#error'));
      const F = await openPage(b, d.url, 'F');
      await enter(F);
      await F.click('#start');
      await F.waitForFunction(() => window.meetopia.state === 'refused', null, { timeout: 15000, polling: 100 })
        .then(() => t.ok(true, 'a new page from the banned address is refused'),
          () => t.ok(false, 'a new page from the banned address is refused'));
      t.ok(/banned_client/.test(d.log()), 'the server refused it as banned (security event banned_client)');
      t.ok(/refused/.test(await F.textContent('#error')), 'the page says the connection was refused', await F.textContent('#error'));
    });

    // ---- no page broke ------------------------------------------------
    for (const p of [A, C]) {
      const csp = await p.evaluate(() => window.__e2e.csp).catch(() => []);
      t.eq(csp.length, 0, `page ${p.name}: no Content-Security-Policy violation`);
      const errs = p.errors.filter((e) => !/WebSocket connection|Failed to load resource|ERR_/.test(e));
      t.ok(errs.length === 0, `page ${p.name}: no script error`, errs);
    }
  } finally {
    await b.close();
    const code = await d.stop();
    t.ok(code === 0, 'meetopiad exits 0 on SIGTERM', d.log().slice(-3000));
    d.cleanup();
  }
}

// E2E_CALLS=N: only the all-transports call, N times over, each with two
// fresh pages against one daemon with the default relay threads (for
// looking at how often it passes; not part of make check).
async function repeatCalls(n) {
  const d = new Daemon({ 'max-connections-per-ip': '12' }, { tls: true });
  await d.start();
  const b = await launch();
  let passed = 0;
  try {
    for (let i = 0; i < n; i++) {
      const A = await openPage(b, d.url, 'A');
      const B = await openPage(b, d.url, 'B');
      await step(`call ${i + 1}`, async () => {
        await enter(A);
        await enter(B);
        await pair(A, B);
        const before = t.failed;
        await relayOnly(`call ${i + 1}`, A, B);
        await preferUdp(A, B);
        if (t.failed === before) passed++;
      });
      await closePages([A, B]);
    }
  } finally {
    await b.close();
    t.diag(`all-transports calls: ${passed} of ${n} passed`);
    t.ok((await d.stop()) === 0, 'meetopiad exits 0 on SIGTERM');
    d.cleanup();
  }
}

const t0 = Date.now();
const CALLS = Number(process.env.E2E_CALLS || 0);
(CALLS > 0 ? repeatCalls(CALLS) : main()).catch((e) => t.ok(false, 'no exception', e && e.stack ? e.stack : String(e))).finally(() => {
  clearTimeout(watchdog);
  t.diag(`e2e: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const f of figures) t.diag('figure: ' + f);
  killAll();
  process.exit(t.done());
});
