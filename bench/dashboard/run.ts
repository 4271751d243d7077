/**
 * `pnpm bench:dashboard`: the dashboard with a large audit log. Generates 1,000,000 realistic audit
 * records (30 days: the agent's watch loop running cluster-status and monitoring-health every few
 * seconds and its remediations, people's CLI runs of every skill, MCP clients' read runs; realistic
 * outcomes, error codes, durations, dry runs and undos) into a temp state dir, then runs the built
 * `pgcluster dashboard` against a real 3-node cluster and measures:
 *  - the analytics endpoint: cold (a fresh server starting from its saved rollup) and warm
 *    (median over filters), against the baseline — a naive full rescan of the log for the same
 *    aggregate (skill-kit's `AuditLog.list`, then counting and exact percentiles in JS);
 *  - the first rollup of the whole log (once per state dir);
 *  - the page's first render in headless chromium (navigation timing, and every panel drawn);
 *  - the server's memory (VmRSS and its peak VmHWM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AuditLog, type AuditRecord } from '@pgcluster/skill-kit';
import { startCluster } from '@pgcluster/testing';
import { chromium } from 'playwright-core';
import { median, metric, writeReport } from '../lib/report';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 1_000_000);
const WARM_RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const CLI = resolve(__dirname, '../../apps/cli/bin/pgcluster.js');
const DAYS = 30;

// ---- a realistic log ------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so every run writes the same log. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../skills/manifest.json'), 'utf8')) as { skills: { name: string; risk: string }[] };
const SKILLS = manifest.skills.map((s) => ({ name: s.name, risk: s.risk }));
const READ_SKILLS = SKILLS.filter((s) => s.risk === 'read');
const REMEDIATIONS = ['maintenance-vacuum', 'maintenance-analyze', 'maintenance-sessions', 'maintenance-reindex', 'vector-index', 'cluster-scale'];
/** Median duration per skill, ms (order of magnitude of what they take). */
const TYPICAL_MS: Record<string, number> = { 'cluster-status': 180, 'monitoring-health': 420, 'cluster-backup': 45_000, 'cluster-restore': 90_000, 'vector-benchmark': 25_000, 'vector-insert': 8_000, 'vector-index': 12_000, 'maintenance-reindex': 6_000, 'cluster-failover': 9_000 };
const ERRORS = ['UNREACHABLE', 'QUERY_FAILED', 'TIMEOUT', 'INVALID_INPUT', 'ACTION_FAILED', 'NOT_SUPPORTED'];

function generateLog(stateDir: string, count: number): { bytes: number; seconds: number } {
  const started = performance.now();
  const random = prng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const dir = join(stateDir, 'audit');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'audit.jsonl');
  const fd = openSync(file, 'w', 0o600);
  const end = Date.now() - 60_000;
  const start = end - DAYS * 86_400_000;
  const step = (end - start) / count;
  let chunk: string[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const at = start + i * step + random() * step;
    const who = random();
    const actor = who < 0.7 ? 'agent' : who < 0.9 ? 'cli' : 'mcp';
    let skill: { name: string; risk: string };
    if (actor === 'agent') {
      const r = random();
      const name = r < 0.48 ? 'monitoring-health' : r < 0.96 ? 'cluster-status' : pick(REMEDIATIONS);
      skill = SKILLS.find((s) => s.name === name) ?? pick(SKILLS);
    } else skill = actor === 'mcp' ? pick(READ_SKILLS) : pick(SKILLS);
    const dryRun = skill.risk !== 'read' && random() < 0.2;
    const o = random();
    const status = dryRun
      ? 'planned'
      : o < 0.015
        ? 'error'
        : o < 0.02 && skill.risk !== 'read'
          ? 'refused'
          : skill.name === 'cluster-status' || skill.name === 'monitoring-health'
            ? o < 0.12
              ? 'degraded'
              : o < 0.125
                ? 'critical'
                : 'healthy'
            : 'ok';
    const typical = TYPICAL_MS[skill.name] ?? 900;
    // Log-normal around the typical duration.
    const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const durationMs = dryRun ? Math.round(5 + random() * 40) : Math.max(1, Math.round(typical * Math.exp(0.6 * gauss)));
    const record: AuditRecord = {
      id: `${Math.floor(at).toString(36).padStart(9, '0')}${i.toString(36).padStart(5, '0')}`,
      time: new Date(at).toISOString(),
      skill: skill.name,
      risk: skill.risk as AuditRecord['risk'],
      actor: actor as AuditRecord['actor'],
      input: skill.name.startsWith('vector-') ? { collection: pick(['docs', 'images', 'faq']), k: 10 } : skill.name === 'maintenance-vacuum' ? { table: `public.t${Math.floor(random() * 40)}` } : {},
      dryRun,
      outcome: status === 'error' ? { status, errorCode: pick(ERRORS) } : status === 'refused' ? { status, errorCode: 'REFUSED' } : { status },
      durationMs,
      ...(skill.risk !== 'read' && !dryRun && random() < 0.5 ? { rollback: { skill: skill.name, input: {}, why: 'put it back' } } : {}),
      ...(actor === 'cli' && skill.risk !== 'read' && random() < 0.02 ? { undoOf: `${Math.floor(at - 3_600_000).toString(36)}x` } : {}),
    };
    chunk.push(JSON.stringify(record));
    if (chunk.length === 20_000) {
      const text = `${chunk.join('\n')}\n`;
      bytes += writeSync(fd, text);
      chunk = [];
    }
  }
  if (chunk.length) bytes += writeSync(fd, `${chunk.join('\n')}\n`);
  closeSync(fd);
  return { bytes, seconds: (performance.now() - started) / 1000 };
}

// ---- the baseline: a full rescan for the same aggregate ---------------------------------------

function naiveAnalytics(stateDir: string): unknown {
  const since = Date.now() - 7 * 86_400_000;
  const records = new AuditLog({ stateDir }).list({ limit: Number.MAX_SAFE_INTEGER }).filter((r) => Date.parse(r.time) >= since);
  const bySkill = new Map<string, { runs: number; durations: number[]; outcomes: Record<string, number> }>();
  const errors = new Map<string, number>();
  const all: number[] = [];
  for (const r of records) {
    let s = bySkill.get(r.skill);
    if (!s) bySkill.set(r.skill, (s = { runs: 0, durations: [], outcomes: {} }));
    s.runs++;
    s.durations.push(r.durationMs);
    all.push(r.durationMs);
    s.outcomes[r.outcome.status] = (s.outcomes[r.outcome.status] ?? 0) + 1;
    if (r.outcome.errorCode) errors.set(`${r.outcome.errorCode} ${r.skill}`, (errors.get(`${r.outcome.errorCode} ${r.skill}`) ?? 0) + 1);
  }
  const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.max(0, Math.ceil(p * xs.length) - 1)];
  return {
    runs: records.length,
    perSkill: [...bySkill.entries()].map(([skill, s]) => ({ skill, runs: s.runs, p50: pct(s.durations, 0.5), p99: pct(s.durations, 0.99), outcomes: s.outcomes })),
    p50: pct(all, 0.5),
    errors: [...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
  };
}

// ---- the server -------------------------------------------------------------------------------

interface Served {
  child: ChildProcess;
  url: string;
  startedAt: number;
}

async function serve(cwd: string): Promise<Served> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', '--refresh', '5'], { cwd, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /pgcluster dashboard: (http:\/\/\S+)/.exec(out);
      if (m) done(m[1]!);
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => fail(new Error(`dashboard exited ${code}: ${out}${err}`)));
  });
  return { child, url, startedAt };
}

async function stop(served: Served): Promise<void> {
  const exited = new Promise((done) => served.child.once('exit', done));
  served.child.kill('SIGINT');
  await exited;
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

async function timed(url: string): Promise<{ ms: number; body: { totals: { runs: number } } }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = (await response.json()) as { totals: { runs: number } };
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - started, body };
}

async function main(): Promise<void> {
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`load average at start: ${load()}`);
  const work = mkdtempSync(join(tmpdir(), 'pgc-bench-dashboard-'));
  const cluster = await startCluster({ replicas: 2, fast: true, log: (line) => process.stderr.write(`${line}\n`) });
  try {
    const nodes = cluster.nodes.map((n) => ({ name: n.name, url: n.url() }));
    writeFileSync(join(work, 'pgcluster.config.json'), JSON.stringify({ name: 'bench', nodes }), { mode: 0o600 });
    const stateDir = join(work, '.pgcluster');
    const generated = generateLog(stateDir, RECORDS);
    console.log(`generated ${RECORDS.toLocaleString()} audit records (${(generated.bytes / 1048576).toFixed(0)} MiB) in ${generated.seconds.toFixed(1)} s`);

    // The first rollup of the whole log: once per state dir (afterwards only appended bytes are read).
    let served = await serve(work);
    const api = (s: Served, q: string) => `${s.url}api/analytics?${q}`;
    await timed(`${served.url}api/meta`);
    const first = await timed(api(served, 'period=7d'));
    const firstBuildMs = performance.now() - served.startedAt;
    const buildPeak = memoryOf(served.child.pid!).peakMb;
    console.log(`first rollup of the log (server start → first answer): ${(firstBuildMs / 1000).toFixed(2)} s; runs in 7 days: ${first.body.totals.runs}`);
    await stop(served);
    const rollupBytes = statSync(join(stateDir, 'dashboard', 'audit-rollup.json')).size;

    // Cold: a fresh server that starts from the saved rollup.
    served = await serve(work);
    await timed(`${served.url}api/meta`); // this process's first fetch sets up its HTTP client: not the server's cost
    const cold = await timed(api(served, 'period=7d'));
    const filters = ['period=7d', 'period=24h&actor=agent', 'period=30d&skill=cluster-status', 'period=all', 'period=7d&actor=cli', 'period=90d&actor=mcp'];
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push((await timed(api(served, filters[i % filters.length]!))).ms);
    const warmMs = median(warm);

    // First render in the browser.
    const profile = mkdtempSync(join(tmpdir(), 'pgc-bench-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    let render: { domContentLoaded: number; load: number; analytics: number; ready: number };
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(served.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      // A string, not a function: tsx would wrap a function's inner helpers in its own __name().
      render = (await page.evaluate(`(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const mark = (name) => (performance.getEntriesByName(name)[0] || { startTime: NaN }).startTime;
        return { domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, analytics: mark('panel-analytics'), ready: mark('dashboard-ready') };
      })()`)) as typeof render;
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
    const memory = memoryOf(served.child.pid!);
    await stop(served);

    // The baseline: rescanning the whole log for the same aggregate, in this process.
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      naiveAnalytics(stateDir);
      baseline.push(performance.now() - started);
    }
    const baselineMs = median(baseline);
    console.log(`rollup file: ${(rollupBytes / 1048576).toFixed(1)} MiB; first render: DOMContentLoaded ${render.domContentLoaded.toFixed(0)} ms, load ${render.load.toFixed(0)} ms, analytics drawn ${render.analytics.toFixed(0)} ms, every panel drawn ${render.ready.toFixed(0)} ms`);
    console.log(`load average at end: ${load()}`);
    const rescan = { name: 'full rescan of audit.jsonl (AuditLog.list + aggregate)', value: baselineMs };
    writeReport('dashboard', 'PostgreSQL 15 (3 nodes, cluster panel)', [
      metric('analytics_cold_ms', 'ms', 'lower-is-better', cold.ms, rescan, '< 300 ms with 1,000,000 records'),
      metric('analytics_warm_ms', 'ms', 'lower-is-better', warmMs, rescan, '< 300 ms with 1,000,000 records'),
      metric('first_rollup_s', 's', 'lower-is-better', firstBuildMs / 1000, { name: 'one full rescan', value: baselineMs / 1000 }, 'once per state dir'),
      metric('first_render_load_ms', 'ms', 'lower-is-better', render.load, null, '< 1 s'),
      metric('first_render_analytics_ms', 'ms', 'lower-is-better', render.analytics, null, '< 1 s'),
      metric('first_render_all_panels_ms', 'ms', 'lower-is-better', render.ready, null, '< 1 s (includes the live cluster checks)'),
      metric('server_rss_mb', 'MB', 'lower-is-better', memory.rssMb, null, '< 200 MB'),
      metric('server_peak_rss_mb', 'MB', 'lower-is-better', memory.peakMb, null, '< 200 MB (serving, from the saved rollup)'),
      metric('server_peak_rss_first_rollup_mb', 'MB', 'lower-is-better', buildPeak, null, '< 200 MB (the first read of the whole log)'),
    ]);
  } finally {
    await cluster.stop({ purge: true });
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
