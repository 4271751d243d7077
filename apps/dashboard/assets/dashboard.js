// The dashboard page: fetches the JSON endpoints and draws them. Every text goes through
// textContent (never innerHTML), so nothing the cluster or the log holds can become markup.
'use strict';

(function dashboard() {
  const $ = (id) => document.getElementById(id);
  const charts = {};
  const state = { meta: null, filters: { skill: '', actor: '', period: '7d' }, agentPaused: null };

  /** Creates an element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function pill(status, text) {
    return el('span', { class: 'pill', 'data-status': status }, text || status);
  }

  const numberFormat = new Intl.NumberFormat();
  const fmt = (n, unit) => (n === null || n === undefined ? '—' : `${numberFormat.format(n)}${unit ? ` ${unit}` : ''}`);
  const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
  function bytes(n) {
    if (n === null || n === undefined) return '—';
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return `${v.toFixed(v >= 10 || i === 0 ? 0 : 1)} ${units[i]}`;
  }
  function ms(n) {
    if (n === null || n === undefined) return '—';
    return n >= 1000 ? `${(n / 1000).toFixed(n >= 10000 ? 0 : 1)} s` : `${n} ms`;
  }
  function when(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  /** A table from column specs: { label, value(row), num? }. */
  function table(columns, rows, empty) {
    if (!rows.length) return el('p', { class: 'empty' }, empty || 'Nothing yet.');
    return el('table', {},
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, columns.map((c) => el('td', { class: c.num ? 'num' : null }, c.value(r)))))));
  }

  async function api(path, init) {
    const response = await fetch(path, { credentials: 'same-origin', ...init });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((body.error && body.error.message) || `${response.status} ${response.statusText}`);
    return body;
  }

  function showError(id, error) {
    const node = $(id);
    if (error) { node.textContent = String(error.message || error); node.hidden = false; } else node.hidden = true;
  }

  function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function palette() { return cssVar('--series').split(',').map((s) => s.trim()); }

  function drawChart(id, config) {
    if (typeof window.Chart !== 'function') return;
    const text = cssVar('--muted');
    const grid = cssVar('--border');
    window.Chart.defaults.color = text;
    window.Chart.defaults.borderColor = grid;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].options = config.options;
      charts[id].update('none');
      return;
    }
    charts[id] = new window.Chart($(id), { ...config, options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options } });
  }

  // ---- Cluster now -------------------------------------------------------------------------

  function renderCluster(now) {
    $('cluster-name').textContent = now.cluster;
    const status = $('cluster-status');
    status.textContent = now.status;
    status.dataset.status = now.status;
    showError('cluster-error', now.error ? new Error(`The cluster could not be read: ${now.error}`) : null);
    $('nodes').replaceChildren(...now.nodes.map((n) =>
      el('article', { class: 'card node', 'data-node': n.name, 'data-state': n.state, 'aria-label': `node ${n.name}` },
        el('div', { class: 'node-head' }, el('span', { class: 'node-name' }, n.name), pill(n.state)),
        el('dl', {},
          el('dt', {}, 'Role'), el('dd', { 'data-field': 'role' }, n.role),
          el('dt', {}, 'Address'), el('dd', {}, n.address),
          el('dt', {}, 'Lag'), el('dd', {}, n.role === 'replica' ? `${bytes(n.lagBytes)} · ${n.lagSeconds === null ? '—' : `${n.lagSeconds} s`}` : '—'),
          el('dt', {}, 'Connections'), el('dd', {}, n.connections === null ? '—' : `${n.connections} / ${n.maxConnections} (${n.utilization}%)`),
          el('dt', {}, 'Latency'), el('dd', {}, n.latencyMs === null ? '—' : `${n.latencyMs} ms`),
          n.error ? [el('dt', {}, 'Error'), el('dd', {}, n.error)] : null))));
    const h = now.health;
    $('finding-counts').replaceChildren(pill('critical', `${h.bySeverity.critical} critical`), pill('warning', `${h.bySeverity.warning} warning`));
    $('findings-empty').hidden = h.findings.length > 0 || h.error !== null;
    $('findings').replaceChildren(
      ...(h.error ? [el('li', { class: 'error' }, `monitoring-health failed: ${h.error}`)] : []),
      ...h.findings.map((f) =>
        el('li', { class: 'finding', 'data-check': f.check, 'data-severity': f.severity },
          pill(f.severity),
          el('div', {},
            el('div', {}, el('strong', {}, f.check), ' on ', f.node, f.object ? ` · ${f.object}` : ''),
            el('div', {}, f.message),
            el('div', { class: 'meta' }, `value ${fmt(f.value)} ${f.unit}, threshold ${fmt(f.threshold)} · fix: `, el('code', {}, f.fix.command))))));
    $('updated-at').textContent = new Date(now.at).toLocaleTimeString();
  }

  // ---- Skill analytics --------------------------------------------------------------------

  function fillSelect(select, values, current, allLabel) {
    const options = [el('option', { value: '' }, allLabel), ...values.map((v) => el('option', { value: v }, v))];
    if (allLabel === null) options.shift();
    select.replaceChildren(...options);
    select.value = current;
  }

  function renderAnalytics(a) {
    fillSelect($('filter-skill'), a.known.skills.includes(state.filters.skill) || !state.filters.skill ? a.known.skills : [...a.known.skills, state.filters.skill], state.filters.skill, 'all skills');
    const t = a.totals;
    const kpi = (label, value, tone, id) => el('div', { class: 'kpi', 'data-tone': tone, 'data-kpi': id }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value));
    $('kpis').replaceChildren(
      kpi('Runs', fmt(t.runs), null, 'runs'),
      kpi('Success', pct(a.shares.success), 'ok', 'success'),
      kpi('Degraded', pct(a.shares.degraded), a.shares.degraded > 0 ? 'warn' : null, 'degraded'),
      kpi('Errors', pct(a.shares.error), a.shares.error > 0 ? 'crit' : null, 'error'),
      kpi('Refused', pct(a.shares.refused), a.shares.refused > 0 ? 'warn' : null, 'refused'),
      kpi('p50', ms(a.durationMs.p50), null, 'p50'),
      kpi('p90', ms(a.durationMs.p90), null, 'p90'),
      kpi('p99', ms(a.durationMs.p99), null, 'p99'),
      kpi('Undos', fmt(t.undos), null, 'undos'));

    const colours = palette();
    const labels = a.series.times.map((iso) => {
      const d = new Date(iso);
      return a.series.bucket === 'day' ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    });
    drawChart('chart-runs', {
      type: 'bar',
      data: { labels, datasets: a.series.skills.map((s, i) => ({ label: s.skill, data: s.runs, backgroundColor: colours[i % colours.length], stack: 'runs' })) },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: `runs per ${a.series.bucket}` } } }, plugins: { legend: { position: 'bottom' } } },
    });
    $('table-runs').replaceChildren(table(
      [{ label: a.series.bucket, value: (r) => r.label }, ...a.series.skills.map((s, i) => ({ label: s.skill, num: true, value: (r) => fmt(a.series.skills[i].runs[r.i]) }))],
      labels.map((label, i) => ({ label, i })).filter((r) => a.series.skills.some((s) => s.runs[r.i] > 0)),
      'No runs in this period.'));

    const outcomes = [['success', t.success, '--ok'], ['degraded', t.degraded, '--warn'], ['error', t.error, '--crit'], ['refused', t.refused, '--muted']];
    drawChart('chart-outcomes', {
      type: 'doughnut',
      data: { labels: outcomes.map((o) => o[0]), datasets: [{ data: outcomes.map((o) => o[1]), backgroundColor: outcomes.map((o) => cssVar(o[2])), borderColor: cssVar('--card') }] },
      options: { plugins: { legend: { position: 'right' } } },
    });
    $('table-outcomes').replaceChildren(table(
      [{ label: 'outcome', value: (o) => o[0] }, { label: 'runs', num: true, value: (o) => fmt(o[1]) }, { label: 'share', num: true, value: (o) => pct(t.runs ? o[1] / t.runs : 0) }],
      outcomes, 'No runs in this period.'));

    const top = a.perSkill.slice(0, 15);
    drawChart('chart-durations', {
      type: 'bar',
      data: {
        labels: top.map((s) => s.skill),
        datasets: [
          { label: 'p50 (ms)', data: top.map((s) => s.p50Ms), backgroundColor: colours[0], maxBarThickness: 12 },
          { label: 'p90 (ms)', data: top.map((s) => s.p90Ms), backgroundColor: colours[2], maxBarThickness: 12 },
          { label: 'p99 (ms)', data: top.map((s) => s.p99Ms), backgroundColor: colours[4], maxBarThickness: 12 },
        ],
      },
      options: { indexAxis: 'y', scales: { x: { type: 'logarithmic', title: { display: true, text: 'duration, ms (log scale)' } } }, plugins: { legend: { position: 'bottom' } } },
    });
    $('table-skills').replaceChildren(table([
      { label: 'skill', value: (s) => s.skill },
      { label: 'runs', num: true, value: (s) => fmt(s.runs) },
      { label: 'success', num: true, value: (s) => pct(s.runs ? s.success / s.runs : 0) },
      { label: 'degraded', num: true, value: (s) => fmt(s.degraded) },
      { label: 'error', num: true, value: (s) => fmt(s.error) },
      { label: 'refused', num: true, value: (s) => fmt(s.refused) },
      { label: 'p50', num: true, value: (s) => ms(s.p50Ms) },
      { label: 'p90', num: true, value: (s) => ms(s.p90Ms) },
      { label: 'p99', num: true, value: (s) => ms(s.p99Ms) },
    ], a.perSkill, 'No runs in this period.'));
    $('table-skills').dataset.skills = a.perSkill.map((s) => `${s.skill}:${s.runs}`).join(',');

    $('top-errors').replaceChildren(table([
      { label: 'code', value: (e) => el('code', {}, e.code) },
      { label: 'skill', value: (e) => e.skill },
      { label: 'count', num: true, value: (e) => fmt(e.count) },
    ], a.topErrors, 'No errors in this period.'));
    $('undos').replaceChildren(table([
      { label: 'when', value: (u) => when(u.time) },
      { label: 'skill', value: (u) => u.skill },
      { label: 'undid', value: (u) => el('code', {}, u.undoOf) },
      { label: 'by', value: (u) => u.actor },
      { label: 'status', value: (u) => pill(u.status === 'ok' ? 'success' : u.status, u.status) },
    ], a.undos, 'No undo actions in this period.'));
  }

  // ---- Agent --------------------------------------------------------------------------------

  function renderAgent(data) {
    const { status, outcomes, report } = data;
    state.agentPaused = status.paused;
    const stateName = status.paused ? 'paused' : status.running ? 'running' : 'stopped';
    const policy = status.policy || {};
    const toggle = el('button', { id: 'agent-toggle', class: status.paused ? 'primary' : 'danger', type: 'button', onclick: () => confirmPause(!status.paused) }, status.paused ? 'Resume the agent' : 'Pause the agent');
    const overall = {
      ...report.overall,
      reverted: report.perCheck.reduce((n, c) => n + c.reverted, 0),
      escalated: report.perCheck.reduce((n, c) => n + c.escalated, 0),
    };
    const body = [
      el('div', { class: 'card' },
        el('div', { class: 'agent-state' },
          el('span', {}, 'State ', el('span', { id: 'agent-state', class: 'pill', 'data-status': stateName }, stateName)),
          el('span', {}, 'Mode ', el('strong', { id: 'agent-mode' }, status.mode)),
          status.lastTickAt ? el('span', { class: 'muted' }, `last tick ${when(status.lastTickAt)}`) : null,
          status.pause ? el('span', { class: 'muted' }, `paused by ${status.pause.by}${status.pause.reason ? ` (${status.pause.reason})` : ''} at ${when(status.pause.at)}`) : null,
          toggle),
        el('details', {}, el('summary', {}, `Policy${status.policyFile ? ` (${status.policyFile})` : ''}`), el('pre', {}, JSON.stringify(policy, null, 2)))),
      el('div', { class: 'kpis' },
        [['Attempts', fmt(overall.attempts)], ['Verified', fmt(overall.verified)], ['Reverted', fmt(overall.reverted)], ['Escalated', fmt(overall.escalated)],
          ['Success rate', pct(overall.successRate)], ['MTTR', overall.mttrSeconds === null || overall.mttrSeconds === undefined ? '—' : `${Math.round(overall.mttrSeconds)} s`]]
          .map(([label, value]) => el('div', { class: 'kpi' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value)))),
      el('div', { class: 'agent-grid' },
        el('div', { class: 'card' }, el('h3', {}, 'Timeline: finding → action → result'),
          outcomes.length
            ? el('ol', { class: 'timeline' }, outcomes.map((o) => el('li', { 'data-outcome': o.result || o.decision },
              el('time', { class: 'muted' }, when(o.at)),
              el('div', {}, el('strong', {}, o.check), ` on ${o.node}${o.object ? ` · ${o.object}` : ''}`, el('span', { class: 'arrow' }, ' → '), o.action ? el('code', {}, o.action.skill) : o.decision, el('div', { class: 'muted' }, o.message)),
              pill(o.result || o.decision))))
            : el('p', { class: 'empty' }, 'The agent has not acted yet.')),
        el('figure', { class: 'card chart-card' }, el('figcaption', {}, el('h3', {}, 'Success rate and MTTR per check')),
          report.perCheck.length
            ? el('div', { class: 'chart-box' }, el('canvas', { id: 'chart-agent', role: 'img', 'aria-label': 'Success rate per check' }))
            : el('p', { class: 'empty' }, 'No actions yet: nothing to rate.'),
          el('details', {}, el('summary', {}, 'Table view'), el('div', { class: 'table-wrap' }, table([
            { label: 'check', value: (c) => c.check },
            { label: 'attempts', num: true, value: (c) => fmt(c.attempts) },
            { label: 'verified', num: true, value: (c) => fmt(c.verified) },
            { label: 'reverted', num: true, value: (c) => fmt(c.reverted) },
            { label: 'escalated', num: true, value: (c) => fmt(c.escalated) },
            { label: 'success', num: true, value: (c) => pct(c.successRate) },
            { label: 'MTTR', num: true, value: (c) => (c.mttrSeconds === null ? '—' : `${Math.round(c.mttrSeconds)} s`) },
          ], report.perCheck, 'No outcomes yet.'))))),
    ];
    delete charts['chart-agent'];
    $('agent-body').className = '';
    $('agent-body').replaceChildren(...body);
    if (!report.perCheck.length) return;
    drawChart('chart-agent', {
      type: 'bar',
      data: { labels: report.perCheck.map((c) => c.check), datasets: [{ label: 'success rate (%)', data: report.perCheck.map((c) => Math.round((c.successRate || 0) * 100)), backgroundColor: palette()[1], maxBarThickness: 40 }] },
      options: { scales: { y: { beginAtZero: true, max: 100 } }, plugins: { legend: { display: false } } },
    });
  }

  function confirmPause(paused) {
    const dialog = $('confirm');
    $('confirm-title').textContent = paused ? 'Pause the agent?' : 'Resume the agent?';
    $('confirm-text').textContent = paused
      ? 'The agent stops acting on findings until someone resumes it. It keeps no action half-done.'
      : 'The agent starts acting on findings again, within its policy.';
    $('confirm-reason').value = '';
    $('confirm-ok').textContent = paused ? 'Pause' : 'Resume';
    dialog.returnValue = '';
    dialog.onclose = async () => {
      if (dialog.returnValue !== 'ok') return;
      try {
        const reason = $('confirm-reason').value.trim();
        await api('/api/agent/pause', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-pgcluster-dashboard': '1' },
          body: JSON.stringify({ paused, ...(reason ? { reason } : {}) }),
        });
        showError('agent-error', null);
      } catch (error) {
        showError('agent-error', error);
      }
      refreshAgent();
    };
    dialog.showModal();
  }

  // ---- Vector collections -------------------------------------------------------------------

  function renderVector(v) {
    showError('vector-error', v.error ? new Error(`The collections could not be read: ${v.error}`) : null);
    $('collections').replaceChildren(table([
      { label: 'collection', value: (c) => el('strong', {}, c.name) },
      { label: 'shape', value: (c) => `${c.type}(${c.dimension}) · ${c.metric}` },
      { label: 'rows', num: true, value: (c) => fmt(c.rows) },
      { label: 'size', num: true, value: (c) => bytes(c.sizeBytes) },
      { label: 'indexes', value: (c) => (c.indexes.length ? c.indexes.map((ix) => el('div', {}, `${ix.name}: ${ix.method}`, Object.keys(ix.params).length ? ` (${Object.entries(ix.params).map(([k, val]) => `${k}=${val}`).join(', ')})` : '', ix.valid ? '' : ' ', ix.valid ? null : pill('error', 'invalid'), el('span', { class: 'muted' }, ` ${bytes(ix.sizeBytes)}`))) : el('span', { class: 'muted' }, 'none')) },
      { label: 'tuned recall', num: true, value: (c) => (c.tuned.recall === null ? '—' : `${c.tuned.recall.toFixed(3)} @ ef ${c.tuned.efSearch} (k=${c.tuned.k})`) },
      { label: 'last benchmark', value: (c) => (c.lastBenchmark ? [when(c.lastBenchmark.time), ' ', pill(c.lastBenchmark.status === 'ok' ? 'success' : c.lastBenchmark.status, c.lastBenchmark.status), el('span', { class: 'muted' }, ` ${ms(c.lastBenchmark.durationMs)}`)] : '—') },
    ], v.collections, v.database ? `No collections in database ${v.database}.` : 'No collections.'));
  }

  /** A performance mark the first time a panel is drawn (the benchmark reads them). */
  function markOnce(name) {
    if (!performance.getEntriesByName(name).length) performance.mark(name);
  }

  // ---- Refresh loops --------------------------------------------------------------------------

  function analyticsQuery() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(state.filters)) if (v) p.set(k, v);
    return p.toString();
  }

  async function refreshCluster() {
    try { renderCluster(await api('/api/cluster')); markOnce('panel-cluster'); } catch (error) { showError('cluster-error', error); }
  }
  async function refreshAnalytics() {
    try { renderAnalytics(await api(`/api/analytics?${analyticsQuery()}`)); markOnce('panel-analytics'); showError('analytics-error', null); } catch (error) { showError('analytics-error', error); }
  }
  async function refreshAgent() {
    try { renderAgent(await api('/api/agent')); markOnce('panel-agent'); showError('agent-error', null); } catch (error) { showError('agent-error', error); }
  }
  async function refreshVector() {
    try { renderVector(await api('/api/vector')); markOnce('panel-vector'); } catch (error) { showError('vector-error', error); }
  }

  async function start() {
    // Every panel's data is asked for at once; the filters need only the meta.
    const panels = Promise.all([refreshCluster(), refreshAnalytics(), refreshAgent(), refreshVector()]);
    state.meta = await api('/api/meta');
    document.title = `${state.meta.cluster} · pgcluster dashboard`;
    if (!$('cluster-name').textContent) $('cluster-name').textContent = state.meta.cluster;
    fillSelect($('filter-actor'), state.meta.actors, '', 'all actors');
    fillSelect($('filter-period'), state.meta.periods, state.filters.period, null);
    $('filters').addEventListener('change', (event) => {
      state.filters[event.target.name] = event.target.value;
      refreshAnalytics();
    });
    await panels;
    performance.mark('dashboard-ready');
    document.body.dataset.ready = 'true';
    const every = state.meta.refreshMs;
    setInterval(refreshCluster, every);
    setInterval(refreshAnalytics, every);
    setInterval(refreshAgent, every);
    setInterval(refreshVector, every * 3);
  }

  start().catch((error) => showError('cluster-error', error));
})();
