/* app.js — the dashboard of `tamis serve` (web/index.html, docs/DASHBOARD.md).
 *
 * Plain browser JavaScript, no build step. It asks for an API key (read scope is
 * enough), keeps it in sessionStorage (this tab only) and sends it as
 * "Authorization: Bearer KEY" on every call — never in a URL. It draws what
 * GET /v1/overview returns with Apache ECharts (/assets/echarts.min.js), the tier
 * transitions between the last two snapshots (GET /v1/transitions), looks users up
 * (GET /v1/users?q=, GET /v1/users/{key}) and downloads exports (GET /v1/export) as a
 * Blob. All text from the server is put in the page with textContent, never as HTML. */
'use strict';

(function () {
  const KEY_STORAGE = 'tamis.key';
  const SEARCH_DELAY_MS = 200;
  const SEARCH_LIMIT = 20;

  /* One palette for every tier, in the order the dashboard lists them (most engaged first). */
  const TIERS = [
    { id: 'daily_active', label: 'Daily active', color: '#15803d' },
    { id: 'high_interaction', label: 'High interaction', color: '#0d9488' },
    { id: 'occasional', label: 'Occasional', color: '#3b82f6' },
    { id: 'silent', label: 'Silent', color: '#a5b4c8' },
    { id: 'dormant', label: 'Dormant', color: '#64748b' },
    { id: 'risky', label: 'Risky', color: '#f59e0b' },
    { id: 'unreachable', label: 'Unreachable', color: '#dc2626' },
  ];
  const EXTRA_STATES = {
    new: { label: 'New', color: '#8b5cf6' },
    gone: { label: 'Gone', color: '#334155' },
  };
  const TIER_BY_ID = Object.fromEntries(TIERS.map((t) => [t.id, t]));
  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif';

  const $ = (id) => document.getElementById(id);
  const fmtInt = new Intl.NumberFormat('en-US');
  const fmtPct = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
  const charts = new Map();
  let resizer = null;
  let overview = null;
  let searchTimer = 0;
  let searchSeq = 0;

  function tierInfo(id) {
    return TIER_BY_ID[id] || EXTRA_STATES[id] || { label: id, color: '#94a3b8' };
  }

  function el(tag, props, children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else if (k === 'style') Object.assign(e.style, v);
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else e.setAttribute(k, v);
      }
    }
    for (const c of children || []) if (c) e.appendChild(c);
    return e;
  }

  function fmtTime(iso) {
    if (!iso) return '–';
    return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  }

  /* ---- the API ------------------------------------------------------------------ */

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function currentKey() {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  async function call(path, key) {
    const resp = await fetch(path, {
      headers: { Authorization: 'Bearer ' + (key || currentKey() || '') },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    if (!resp.ok) {
      let code = 'http_' + resp.status, message = resp.statusText || 'request failed';
      try {
        const body = await resp.json();
        if (body && body.error) ({ code, message } = body.error);
      } catch (_) { /* not JSON */ }
      throw new ApiError(resp.status, code, message);
    }
    return resp;
  }

  async function getJSON(path, key) {
    return (await call(path, key)).json();
  }

  /* A failed call after sign-in: a key that stopped working signs out, anything else is shown. */
  function failed(err) {
    if (err instanceof ApiError && err.status === 401) {
      signOut('Your key is no longer valid (401): sign in again.');
      return;
    }
    showAppError(err instanceof ApiError ? `${err.message} (${err.status} ${err.code})` : String(err));
  }

  function showAppError(text) {
    const e = $('app-error');
    e.textContent = text;
    e.hidden = !text;
  }

  /* ---- sign in and out ------------------------------------------------------------ */

  function loginMessage(err) {
    if (err instanceof ApiError && err.status === 401) return 'This key is not valid (401 unauthorized).';
    if (err instanceof ApiError && err.status === 403) return 'This key may not read the dashboard (403 forbidden): use a key of read scope.';
    if (err instanceof ApiError) return `The server refused: ${err.message} (${err.status}).`;
    return 'Cannot reach the server: ' + err;
  }

  async function signIn(event) {
    event.preventDefault();
    const input = $('key'), error = $('login-error'), button = $('login-button');
    const key = input.value.trim();
    error.hidden = true;
    if (!key) {
      error.textContent = 'Enter an API key.';
      error.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      const data = await getJSON('/v1/overview', key);
      sessionStorage.setItem(KEY_STORAGE, key);
      input.value = '';
      showApp(data);
    } catch (err) {
      error.textContent = loginMessage(err);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    for (const c of charts.values()) c.dispose();
    charts.clear();
    overview = null;
    $('app').hidden = true;
    $('login').hidden = false;
    $('user-panel').hidden = true;
    $('user-results').replaceChildren();
    $('user-search').value = '';
    const error = $('login-error');
    error.textContent = message || '';
    error.hidden = !message;
    $('key').focus();
  }

  /* ---- charts --------------------------------------------------------------------- */

  function chart(id) {
    let c = charts.get(id);
    if (!c) {
      c = echarts.init($(id), null, { renderer: 'canvas' });
      charts.set(id, c);
      if (resizer) resizer.observe($(id));
    }
    return c;
  }

  function baseOption() {
    return {
      textStyle: { fontFamily: FONT },
      animationDuration: 400,
      tooltip: { confine: true },
    };
  }

  function renderKpis(d) {
    const tiers = Object.fromEntries(d.tiers.map((t) => [t.tier, t.users]));
    const active = d.tiers.filter((t) => t.active).reduce((n, t) => n + t.users, 0);
    $('kpi-users').textContent = fmtInt.format(d.users);
    $('kpi-users-sub').textContent = `${fmtInt.format(d.scored)} scored`;
    $('kpi-active').textContent = d.scored ? fmtPct.format(active / d.scored) : '–';
    $('kpi-daily').textContent = fmtInt.format(tiers.daily_active || 0);
    $('kpi-daily-sub').textContent = d.scored ? fmtPct.format((tiers.daily_active || 0) / d.scored) + ' of scored' : '';
    $('kpi-warming').textContent = fmtInt.format(d.trends.warming || 0);
    $('kpi-cooling').textContent = fmtInt.format(d.trends.cooling || 0);
    $('kpi-bad').textContent = fmtInt.format((tiers.unreachable || 0) + (tiers.risky || 0));
    $('meta-asof').textContent = fmtTime(d.as_of);
    $('meta-generated').textContent = d.generated ? `figures of ${fmtTime(d.generated)}` : '';
  }

  function renderTiers(d) {
    const byId = Object.fromEntries(d.tiers.map((t) => [t.tier, t]));
    const rows = TIERS.map((t) => ({ ...t, users: byId[t.id] ? byId[t.id].users : 0, share: byId[t.id] ? byId[t.id].share : 0 }));
    const option = baseOption();
    Object.assign(option, {
      grid: { left: 110, right: 60, top: 6, bottom: 6 },
      xAxis: { type: 'value', show: false },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.label), axisTick: { show: false }, axisLine: { show: false } },
      tooltip: { trigger: 'item', formatter: (p) => `${p.name}: ${fmtInt.format(p.value)} (${fmtPct.format(rows[p.dataIndex].share)})` },
      series: [{
        type: 'bar', barWidth: '62%',
        data: rows.map((r) => ({ value: r.users, itemStyle: { color: r.color, borderRadius: [0, 4, 4, 0] } })),
        label: { show: true, position: 'right', formatter: (p) => fmtInt.format(p.value), color: '#334155' },
      }],
    });
    chart('chart-tiers').setOption(option, true);

    const body = $('tier-table').tBodies[0];
    body.replaceChildren(...rows.map((r) => el('tr', { dataset: { row: r.id } }, [
      el('td', { class: 'tier-name' }, [el('span', { class: 'swatch', style: { background: r.color } }), document.createTextNode(r.label)]),
      el('td', { class: 'num', text: fmtInt.format(r.users), dataset: { tier: r.id, count: String(r.users) } }),
      el('td', { class: 'num', text: fmtPct.format(r.share) }),
    ])));
    $('tier-total').textContent = fmtInt.format(d.scored);
    $('tier-total').dataset.count = String(d.scored);
  }

  function renderHistory(d) {
    const h = d.history || [];
    $('history-empty').hidden = h.length > 0;
    $('chart-history').hidden = h.length === 0;
    if (!h.length) return;
    const option = baseOption();
    Object.assign(option, {
      tooltip: { trigger: 'axis', confine: true },
      legend: { bottom: 0, icon: 'roundRect', itemWidth: 10, itemHeight: 10, data: TIERS.map((t) => t.label) },
      grid: { left: 56, right: 16, top: 12, bottom: 56 },
      xAxis: { type: 'category', boundaryGap: h.length === 1, data: h.map((s) => s.date) },
      yAxis: { type: 'value', axisLabel: { formatter: (v) => fmtInt.format(v) } },
      series: TIERS.map((t) => ({
        name: t.label, type: h.length === 1 ? 'bar' : 'line', stack: 'users', symbol: 'circle', symbolSize: 5,
        areaStyle: { opacity: 0.85 }, lineStyle: { width: 1 }, emphasis: { focus: 'series' },
        itemStyle: { color: t.color }, data: h.map((s) => s.tiers[t.id] || 0),
      })),
    });
    chart('chart-history').setOption(option, true);
  }

  async function renderSankey(d) {
    const h = d.history || [];
    const empty = h.length < 2;
    $('sankey-empty').hidden = !empty;
    $('chart-sankey').hidden = empty;
    $('sankey-range').textContent = empty ? '' : `${h[h.length - 2].date} → ${h[h.length - 1].date}`;
    if (empty) return;
    const from = h[h.length - 2].date, to = h[h.length - 1].date;
    let t;
    try {
      t = await getJSON(`/v1/transitions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    } catch (err) {
      failed(err);
      return;
    }
    const matrix = t.groups && t.groups[0] ? t.groups[0].matrix : {};
    const changesOnly = $('sankey-changes').checked;
    const order = TIERS.map((x) => x.id);
    const left = [...order, 'new'], right = [...order, 'gone'];
    const links = [];
    for (const a of left) {
      for (const b of right) {
        const n = matrix[a] && matrix[a][b] ? matrix[a][b].users : 0;
        if (n > 0 && !(changesOnly && a === b)) links.push({ source: `${a}@from`, target: `${b}@to`, value: n });
      }
    }
    const used = new Set(links.flatMap((l) => [l.source, l.target]));
    const nodes = [...left.map((s) => `${s}@from`), ...right.map((s) => `${s}@to`)]
      .filter((n) => used.has(n))
      .map((n) => ({
        name: n,
        itemStyle: { color: tierInfo(n.split('@')[0]).color },
        label: { position: n.endsWith('@from') ? 'left' : 'right' },
      }));
    const option = baseOption();
    Object.assign(option, {
      tooltip: {
        trigger: 'item', confine: true,
        formatter: (p) => p.dataType === 'edge'
          ? `${tierInfo(p.data.source.split('@')[0]).label} → ${tierInfo(p.data.target.split('@')[0]).label}: ${fmtInt.format(p.data.value)}`
          : `${tierInfo(p.name.split('@')[0]).label} (${p.name.endsWith('@from') ? from : to}): ${fmtInt.format(p.value)}`,
      },
      series: [{
        type: 'sankey', left: 130, right: 130, top: 8, bottom: 8, nodeGap: 10, nodeWidth: 14,
        layoutIterations: 0, draggable: false, emphasis: { focus: 'adjacency' },
        data: nodes, links,
        lineStyle: { color: 'gradient', opacity: 0.35, curveness: 0.5 },
        label: { formatter: (p) => `${tierInfo(p.name.split('@')[0]).label}  ${fmtInt.format(p.value)}`, color: '#1e293b', fontSize: 11 },
      }],
    });
    chart('chart-sankey').setOption(option, true);
  }

  function renderHeatmap(d) {
    const w = d.week;
    const data = [];
    let max = 0;
    w.events.forEach((row, day) => row.forEach((n, hour) => {
      data.push([hour, day, n]);
      if (n > max) max = n;
    }));
    $('heatmap-hint').textContent = `events in each user's local time, last ${w.window_days} days, ${fmtInt.format(w.users_seen)} users`;
    const option = baseOption();
    Object.assign(option, {
      tooltip: { confine: true, formatter: (p) => `${w.days[p.value[1]]} ${String(p.value[0]).padStart(2, '0')}:00–${String(p.value[0]).padStart(2, '0')}:59: ${fmtInt.format(p.value[2])} events` },
      grid: { left: 40, right: 12, top: 8, bottom: 70 },
      xAxis: { type: 'category', data: [...Array(24).keys()].map((x) => String(x).padStart(2, '0')), splitArea: { show: false }, axisTick: { show: false } },
      yAxis: { type: 'category', data: w.days, inverse: true, axisTick: { show: false } },
      visualMap: {
        min: 0, max: Math.max(max, 1), calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 200,
        text: [fmtInt.format(Math.max(max, 1)), '0'],
        inRange: { color: ['#f0f9ff', '#7dd3fc', '#0284c7', '#0c4a6e'] }, textStyle: { fontSize: 11 },
      },
      series: [{ type: 'heatmap', data, itemStyle: { borderColor: '#fff', borderWidth: 1, borderRadius: 2 }, emphasis: { itemStyle: { borderColor: '#0f172a' } } }],
    });
    chart('chart-heatmap').setOption(option, true);
  }

  function renderSubscores(d) {
    const hs = d.histograms;
    const panels = [{ name: 'score', bins: hs.score, not_observable: 0 }, ...hs.subscores];
    const box = $('subscores');
    if (box.children.length !== panels.length) {
      for (const id of [...charts.keys()].filter((k) => k.startsWith('sub-'))) {
        charts.get(id).dispose();
        charts.delete(id);
      }
      box.replaceChildren(...panels.map((p) => el('div', { class: 'small-multiple' }, [
        el('h3', { text: p.name === 'score' ? 'Score' : p.name }),
        el('div', { class: 'sm-sub', id: `sub-${p.name}-note` }),
        el('div', { class: 'chart', id: `sub-${p.name}`, dataset: { chart: 'subscore' } }),
      ])));
    }
    for (const p of panels) {
      const total = p.bins.reduce((a, b) => a + b, 0);
      const mean = total ? p.bins.reduce((a, n, i) => a + n * (i * 10 + 5), 0) / total : 0;
      $(`sub-${p.name}-note`).textContent = total
        ? `≈ ${mean.toFixed(0)} on average` + (p.not_observable ? ` · n/a ${fmtInt.format(p.not_observable)}` : '')
        : 'not observable for anyone';
      const labels = [...hs.bins, ...(p.not_observable ? ['n/a'] : [])];
      const values = [...p.bins, ...(p.not_observable ? [p.not_observable] : [])];
      const option = baseOption();
      Object.assign(option, {
        grid: { left: 6, right: 6, top: 8, bottom: 20 },
        xAxis: { type: 'category', data: labels, axisLabel: { fontSize: 9, interval: 1 }, axisTick: { show: false } },
        yAxis: { type: 'value', show: false },
        tooltip: { trigger: 'item', confine: true, formatter: (q) => `${q.name}: ${fmtInt.format(q.value)} users` },
        series: [{
          type: 'bar', barCategoryGap: '18%',
          data: values.map((v, i) => ({
            value: v,
            itemStyle: {
              color: labels[i] === 'n/a' ? '#cbd5e1' : p.name === 'risk' ? '#ef4444' : p.name === 'score' ? '#2563eb' : '#0d9488',
              borderRadius: [3, 3, 0, 0],
            },
          })),
        }],
      });
      chart(`sub-${p.name}`).setOption(option, true);
    }
  }

  /* ---- country x channel ---------------------------------------------------------- */

  function renderCountries(d) {
    const by = $('country-sort').value, top = Number($('country-top').value);
    let cells = d.countries.cells.slice();
    if (by === 'share') {
      const minUsers = Math.max(20, Math.ceil(d.scored / 2000));
      cells = cells.filter((c) => c.users >= minUsers).sort((a, b) => b.share - a.share || b.users - a.users);
      $('country-hint').textContent = `cells with at least ${minUsers} users`;
    } else {
      $('country-hint').textContent = `${fmtInt.format(d.countries.cells_total)} cells; active = ${d.countries.active_tiers.map((t) => tierInfo(t).label.toLowerCase()).join(', ')}`;
    }
    $('country-table').tBodies[0].replaceChildren(...cells.slice(0, top).map((c) => el('tr', null, [
      el('td', { text: c.country }),
      el('td', { text: c.channel }),
      el('td', { class: 'num', text: fmtInt.format(c.users) }),
      el('td', { class: 'num', text: fmtInt.format(c.active) }),
      el('td', null, [el('div', { class: 'share-cell' }, [
        el('div', { class: 'share-bar' }, [el('span', { style: { width: (c.share * 100).toFixed(1) + '%' } })]),
        el('span', { class: 'share-val', text: fmtPct.format(c.share) }),
      ])]),
    ])));
  }

  /* ---- user lookup ---------------------------------------------------------------- */

  function badge(tier) {
    const t = tierInfo(tier);
    return el('span', { class: 'badge', text: t.label, style: { background: t.color } });
  }

  async function search() {
    const q = $('user-search').value.trim();
    const seq = ++searchSeq;
    const list = $('user-results');
    if (!q) {
      list.replaceChildren();
      return;
    }
    let r;
    try {
      r = await getJSON(`/v1/users?q=${encodeURIComponent(q)}&limit=${SEARCH_LIMIT}`);
    } catch (err) {
      failed(err);
      return;
    }
    if (seq !== searchSeq) return; /* a newer search is under way */
    const items = r.users.map((u) => el('li', null, [el('button', { type: 'button', dataset: { user: u.user } }, [
      el('span', { text: u.user }),
      u.tier ? badge(u.tier) : el('span', { class: 'muted', text: 'not scored' }),
    ])]));
    if (!items.length) items.push(el('li', { class: 'more', text: 'No user key starts with that.' }));
    if (r.more) items.push(el('li', { class: 'more', text: `First ${r.users.length} shown: type more of the key.` }));
    list.replaceChildren(...items);
  }

  function fact(label, value) {
    return el('div', { class: 'fact' }, [el('div', { class: 'fact-label', text: label }), el('div', { class: 'fact-value', text: value })]);
  }

  async function openUser(key) {
    const panel = $('user-panel');
    for (const b of $('user-results').querySelectorAll('button')) b.classList.toggle('selected', b.dataset.user === key);
    let u;
    try {
      u = await getJSON('/v1/users/' + encodeURIComponent(key));
    } catch (err) {
      failed(err);
      return;
    }
    const r = u.result;
    if (!r) {
      panel.replaceChildren(el('p', { class: 'muted', text: `${u.user} has no score yet (run tamis score).` }));
      panel.hidden = false;
      return;
    }
    const subs = ['continuity', 'depth', 'profile', 'interaction', 'rhythm', 'reachability', 'risk'];
    const subRows = subs.flatMap((s) => {
      const v = r[s];
      return [
        el('span', { text: s }),
        v === null ? el('span', { class: 'na', text: 'not observable' }) : el('div', { class: 'bar' + (s === 'risk' ? ' risk' : '') }, [el('span', { style: { width: v + '%' } })]),
        el('span', { class: 'num', text: v === null ? '–' : String(v) }),
      ];
    });
    const hour = r.best_hour === null || r.best_hour === undefined ? '–' : `${String(r.best_hour).padStart(2, '0')}:00 ${r.zone || ''}`;
    panel.replaceChildren(
      el('div', { class: 'user-head' }, [
        el('div', { class: 'user-score', text: String(r.score), title: 'score 0–100' }),
        el('div', null, [el('div', { class: 'user-key', text: u.user, id: 'user-key' }), badge(r.tier), document.createTextNode(' '), el('span', { class: 'muted', text: r.trend })]),
      ]),
      el('div', { class: 'user-facts' }, [
        fact('Best channel', r.best_channel || 'none'),
        fact('Send hour', hour),
        fact('Cadence', r.cadence_days ? `every ${r.cadence_days} d` : 'do not contact'),
        fact('Active days', `${r.active_days_7}/7 · ${r.active_days_30}/30`),
        fact('Last seen', r.last_seen ? `${fmtTime(r.last_seen).slice(0, 10)} (${r.days_since_seen} d)` : 'never'),
        fact('Events (30 d)', fmtInt.format(r.activity_30 || 0)),
      ]),
      el('h3', { text: 'Sub-scores' }),
      el('div', { class: 'subs' }, subRows),
      el('h3', { text: 'Reasons' }),
      el('ol', { class: 'reasons', id: 'user-reasons' }, (r.reasons || []).map((text) => el('li', { text }))),
    );
    panel.hidden = false;
  }

  /* ---- export --------------------------------------------------------------------- */

  function renderExportTiers() {
    const box = $('export-tiers');
    if (box.querySelector('input')) return;
    for (const t of TIERS) {
      box.appendChild(el('label', null, [
        el('input', { type: 'checkbox', value: t.id, ...(t.id === 'daily_active' ? { checked: '' } : {}) }),
        el('span', { class: 'swatch', style: { background: t.color } }),
        document.createTextNode(t.label),
      ]));
    }
  }

  /* Streams the export into a Blob, counting its lines, then saves it as a download. */
  async function exportRows() {
    const tiers = [...$('export-tiers').querySelectorAll('input:checked')].map((i) => i.value);
    const format = document.querySelector('input[name="export-format"]:checked').value;
    const status = $('export-status'), button = $('export-button');
    if (!tiers.length) {
      status.textContent = 'Pick at least one tier.';
      return;
    }
    button.disabled = true;
    status.textContent = 'Exporting…';
    try {
      const resp = await call(`/v1/export?tier=${encodeURIComponent(tiers.join(','))}&format=${format}`);
      const reader = resp.body.getReader();
      const parts = [];
      let lines = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
      }
      const rows = format === 'csv' ? Math.max(0, lines - 1) : lines;
      const blob = new Blob(parts, { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
      const name = `tamis-${tiers.join('+')}.${format === 'csv' ? 'csv' : 'ndjson'}`;
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      status.textContent = `Saved ${fmtInt.format(rows)} rows as ${name}.`;
      status.dataset.rows = String(rows);
    } catch (err) {
      status.textContent = err instanceof ApiError ? `Export failed: ${err.message} (${err.status}).` : 'Export failed: ' + err;
      if (err instanceof ApiError && err.status === 401) failed(err);
    } finally {
      button.disabled = false;
    }
  }

  /* ---- the page ------------------------------------------------------------------- */

  function render(d) {
    overview = d;
    showAppError('');
    renderKpis(d);
    renderTiers(d);
    renderHistory(d);
    renderHeatmap(d);
    renderSubscores(d);
    renderCountries(d);
    renderExportTiers();
    return renderSankey(d);
  }

  function showApp(data) {
    $('login').hidden = true;
    $('app').hidden = false;
    render(data).then(() => { document.body.dataset.ready = '1'; });
  }

  async function refresh() {
    const button = $('refresh');
    button.disabled = true;
    try {
      await render(await getJSON('/v1/overview'));
    } catch (err) {
      failed(err);
    } finally {
      button.disabled = false;
    }
  }

  function start() {
    resizer = new ResizeObserver((entries) => {
      for (const e of entries) {
        const c = charts.get(e.target.id);
        if (c) c.resize();
      }
    });
    $('login-form').addEventListener('submit', signIn);
    $('logout').addEventListener('click', () => signOut(''));
    $('refresh').addEventListener('click', refresh);
    $('sankey-changes').addEventListener('change', () => overview && renderSankey(overview));
    $('country-sort').addEventListener('change', () => overview && renderCountries(overview));
    $('country-top').addEventListener('change', () => overview && renderCountries(overview));
    $('user-search').addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, SEARCH_DELAY_MS);
    });
    $('user-search').addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      const first = $('user-results').querySelector('button');
      if (first) openUser(first.dataset.user);
    });
    $('user-results').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-user]');
      if (b) openUser(b.dataset.user);
    });
    $('export-button').addEventListener('click', exportRows);

    const key = currentKey();
    if (!key) {
      signOut('');
      return;
    }
    getJSON('/v1/overview', key).then(showApp, (err) => signOut(loginMessage(err)));
  }

  if (typeof echarts === 'undefined') {
    document.body.textContent = 'The chart library did not load (/assets/echarts.min.js).';
    return;
  }
  start();
})();
