// dashboard.mjs — browser checks of the dashboard of `tamis serve`, run by t_dashboard.sh
// against a running server (TAMIS_URL, TAMIS_READ_KEY, TAMIS_WRITE_KEY, TAMIS_ARTIFACTS).
// Headless Debian chromium driven by playwright-core. Checks: the page and its assets
// are served with a Content-Security-Policy; a wrong key shows a 401 error; a write key
// signs in (any valid key does) and signs out; the read key signs in; the tier table's
// counts equal GET /v1/tiers (fetched here with node's own HTTP client) and sum to the
// scored users; every chart draws on its canvas; a user found by key prefix shows the
// reasons of GET /v1/users/{key}; the export button downloads as many rows as the tier
// has users; no request URL ever holds a key; nothing fails in the page (script errors,
// CSP refusals). Screenshots are written to TAMIS_ARTIFACTS.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.TAMIS_URL;
const READ = process.env.TAMIS_READ_KEY;
const WRITE = process.env.TAMIS_WRITE_KEY;
const ART = process.env.TAMIS_ARTIFACTS;
const WRONG = 'tms_00000000_' + '0'.repeat(64);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TIERS = ['daily_active', 'high_interaction', 'occasional', 'silent', 'dormant', 'risky', 'unreachable'];

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok - ' + what);
}

/* The test's own client: node's fetch (undici), not the page's. */
async function api(p, key) {
  const r = await fetch(BASE + p, { headers: key ? { Authorization: 'Bearer ' + key } : {} });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

async function apiJSON(p) {
  const r = await api(p, READ);
  if (r.status !== 200) throw new Error(`${p}: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

/* Pixels drawn on a chart's canvas (alpha > 0). */
async function drawnPixels(page, selector) {
  return page.$$eval(selector + ' canvas', (canvases) => {
    let n = 0;
    for (const c of canvases) {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    }
    return n;
  });
}

async function shot(page, name) {
  const file = path.join(ART, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot ' + file);
}

async function main() {
  for (const [name, v] of Object.entries({ BASE, READ, WRITE, ART })) if (!v) throw new Error(name + ' is not set');
  fs.mkdirSync(ART, { recursive: true });

  // ---- served files, over plain HTTP ----
  const index = await api('/');
  check(index.status === 200 && index.headers.get('content-type').startsWith('text/html'), 'GET / serves the page without a key');
  check((index.headers.get('content-security-policy') || '').includes("default-src 'self'"), 'the page has a Content-Security-Policy');
  check(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(index.text), 'the page has no inline script');
  for (const [a, type] of [['app.js', 'text/javascript'], ['style.css', 'text/css'], ['echarts.min.js', 'text/javascript']]) {
    const r = await api('/assets/' + a);
    check(r.status === 200 && r.headers.get('content-type').startsWith(type) && r.headers.get('etag'), `GET /assets/${a} is ${type} with an ETag`);
  }
  check((await api('/assets/nope.js')).status === 404, 'an unknown asset is 404');
  check((await api('/v1/overview')).status === 401, 'GET /v1/overview needs a key');

  const tiers = (await apiJSON('/v1/tiers')).groups[0];
  const overview = await apiJSON('/v1/overview');
  check(overview.scored === tiers.users, `overview scored (${overview.scored}) = /v1/tiers users`);
  for (const h of [overview.histograms.score, ...overview.histograms.subscores.map((s) => [...s.bins, s.not_observable])])
    check(h.reduce((a, b) => a + b, 0) === overview.scored, 'a histogram sums to the scored users');

  // ---- the browser ----
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  const urls = [], problems = [];
  try {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    page.on('request', (r) => urls.push(r.url()));
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      // the failed sign-ins below log their 401 as a resource error: that one is expected
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push('console: ' + m.text());
    });

    await page.goto(BASE + '/');
    await page.waitForSelector('#login:not([hidden])');
    check(true, 'the sign-in form shows first');

    await page.fill('#key', WRONG);
    await page.click('#login-button');
    await page.waitForSelector('#login-error:not([hidden])');
    const wrong = await page.textContent('#login-error');
    check(/not valid/.test(wrong) && /401/.test(wrong), `a wrong key is refused: "${wrong}"`);
    await shot(page, 'login-wrong-key.png');

    await page.fill('#key', WRITE);
    await page.click('#login-button');
    await page.waitForSelector('#app:not([hidden])');
    check(true, 'a write key signs in too (it includes read)');
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    check(await page.evaluate(() => sessionStorage.length === 0), 'signing out forgets the key');

    await page.fill('#key', READ);
    await page.click('#login-button');
    await page.waitForSelector('body[data-ready="1"]');
    check(true, 'the read key signs in and the dashboard loads');

    // tier counts against the API
    let sum = 0;
    for (const t of TIERS) {
      const shown = Number(await page.getAttribute(`td[data-tier="${t}"]`, 'data-count'));
      check(shown === tiers.tiers[t].users, `tier ${t}: the page shows ${shown}, /v1/tiers ${tiers.tiers[t].users}`);
      sum += shown;
    }
    check(sum === tiers.users && Number(await page.getAttribute('#tier-total', 'data-count')) === tiers.users,
      `tier counts sum to the scored users (${tiers.users})`);

    await page.waitForTimeout(800); // chart animations
    for (const id of ['#chart-tiers', '#chart-history', '#chart-sankey', '#chart-heatmap', '#sub-score', '#sub-continuity', '#sub-risk']) {
      const n = await drawnPixels(page, id);
      check(n > 500, `${id} draws on its canvas (${n} pixels)`);
    }
    const heat = overview.week.events.flat().reduce((a, b) => a + b, 0);
    check(heat > 0 && overview.week.users_seen > 0, `the heatmap has activity (${heat} events)`);
    check(await page.$$eval('#country-table tbody tr', (r) => r.length) > 0, 'the country x channel table has rows');
    await shot(page, 'dashboard.png');

    // a user: search by prefix, open it, see its reasons
    const candidates = (await apiJSON('/v1/users?q=u&limit=50')).users.filter((u) => u.tier);
    check(candidates.length > 0, 'the search API finds scored users');
    const key = candidates[candidates.length - 1].user;
    const detail = await apiJSON('/v1/users/' + encodeURIComponent(key));
    await page.fill('#user-search', key.slice(0, key.length - 1));
    await page.click(`#user-results button[data-user="${key}"]`);
    await page.waitForSelector('#user-reasons li');
    const reasons = await page.$$eval('#user-reasons li', (li) => li.map((x) => x.textContent));
    check(reasons.length > 0 && JSON.stringify(reasons) === JSON.stringify(detail.result.reasons),
      `user ${key} shows its ${reasons.length} reasons as GET /v1/users/{key}`);
    check((await page.textContent('#user-key')) === key, 'the user panel names the user');
    await page.locator('#h-user').locator('..').screenshot({ path: path.join(ART, 'user.png') });
    console.log('screenshot ' + path.join(ART, 'user.png'));

    // export: the chosen tier's rows, as a download
    const tier = 'occasional';
    for (const t of TIERS) await page.setChecked(`#export-tiers input[value="${t}"]`, t === tier);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-button')]);
    const file = path.join(ART, 'export-' + tier + '.csv');
    await download.saveAs(file);
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length);
    check(lines.length - 1 === tiers.tiers[tier].users,
      `the export holds ${lines.length - 1} rows, the ${tier} users (${tiers.tiers[tier].users})`);
    await page.waitForSelector('#export-status[data-rows]');
    await shot(page, 'export.png');

    // no key in any URL the page asked for
    const leaked = urls.filter((u) => [READ, WRITE, WRONG].some((k) => u.includes(k) || u.includes(encodeURIComponent(k))));
    check(urls.length > 5 && leaked.length === 0, `no request URL holds a key (${urls.length} requests)`);
    check(problems.length === 0, 'no script errors or CSP refusals in the page' + (problems.length ? ': ' + problems.join('; ') : ''));
    await context.close();
  } finally {
    await browser.close();
  }
}

main().then(() => console.log('dashboard: all checks passed'), (e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
