/**
 * Every endpoint of the dashboard's server against a real 3-node cluster: the page and its
 * assets, the cluster now, the skill analytics from a real audit log, the agent's store and its
 * pause switch, the vector collections; bad parameters (400 naming them), unknown paths and
 * methods, the token beyond loopback, and the Host check on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAgentStatus, appendOutcome } from '@pgcluster/agent';
import { loadConfig, type LoadedConfig } from '@pgcluster/core';
import { AuditLog } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { createCollection, createIndex, openVectorDb } from '@pgcluster/vector';
import { startDashboard, type DashboardServer } from '../src';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function call(server: { port: number }, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: { ...(options.host ? { host: options.host } : {}), ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const cluster = useCluster({ replicas: 2, fast: true });
let dir: string;
let loaded: LoadedConfig;
let server: DashboardServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pgc-dashboard-'));
  const nodes = cluster().nodes.map((n) => ({ name: n.name, url: n.url() }));
  writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'dash', nodes }), { mode: 0o600 });
  loaded = loadConfig({ cwd: dir, env: {} });
  const audit = new AuditLog({ stateDir: loaded.stateDir });
  const entry = { risk: 'read' as const, input: {}, dryRun: false };
  await audit.append({ ...entry, skill: 'cluster-status', actor: 'cli', outcome: { status: 'healthy' }, durationMs: 120 });
  await audit.append({ ...entry, skill: 'cluster-status', actor: 'agent', outcome: { status: 'degraded' }, durationMs: 300 });
  await audit.append({ ...entry, skill: 'cluster-scale', actor: 'mcp', outcome: { status: 'error', errorCode: 'UNREACHABLE' }, durationMs: 2100 });
  await audit.append({ ...entry, skill: 'vector-benchmark', actor: 'cli', input: { collection: 'docs', k: 10 }, outcome: { status: 'ok' }, durationMs: 5000 });
  await audit.append({ ...entry, skill: 'maintenance-vacuum', actor: 'cli', outcome: { status: 'ok' }, durationMs: 40, undoOf: '01abc' });
  appendOutcome(loaded.stateDir, {
    id: 'o1', at: new Date().toISOString(), check: 'idle_in_transaction', node: 'node1', object: 'pid 4242', severity: 'warning',
    action: { skill: 'maintenance-vacuum', input: {} }, decision: 'acted', result: 'verified', auditIds: [], detectedAt: new Date(Date.now() - 60_000).toISOString(),
    recoveredAt: new Date().toISOString(), recoverSeconds: 60, message: 'terminated an idle transaction',
  });
  const db = await openVectorDb({ cluster: loaded.config });
  try {
    await createCollection(db, { name: 'docs', dimension: 3 });
    await createIndex(db, { collection: 'docs', method: 'hnsw', m: 8, efConstruction: 32 });
  } finally {
    await db.close();
  }
  server = await startDashboard({ loaded, port: 0, refreshMs: 1_000 });
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard on loopback', () => {
  test('serves the page and its assets (Chart.js from node_modules) with a strict content security policy', async () => {
    expect(server.token).toBeNull();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const page = await call(server, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Skill analytics');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    for (const asset of ['dashboard.js', 'dashboard.css', 'chart.umd.js']) {
      const reply = await call(server, `/assets/${asset}`);
      expect({ asset, status: reply.status }).toEqual({ asset, status: 200 });
    }
    expect((await call(server, '/assets/chart.umd.js')).body).toContain('Chart');
    expect((await call(server, '/assets/../package.json')).status).toBe(404);
  });

  test('GET /api/meta names the cluster, the refresh interval and the filter choices', async () => {
    const reply = await call(server, '/api/meta');
    expect(reply.json()).toEqual({ cluster: 'dash', refreshMs: 1000, periods: ['1h', '6h', '24h', '7d', '30d', '90d', 'all'], actors: ['cli', 'mcp', 'agent', 'library'], tokenRequired: false });
  });

  test('GET /api/cluster shows the three nodes (one primary, two streaming replicas) without a password', async () => {
    const reply = await call(server, '/api/cluster');
    expect(reply.status).toBe(200);
    const now = reply.json();
    expect(now.nodes.map((n: { name: string; role: string; state: string }) => [n.name, n.role, n.state])).toEqual([
      ['node1', 'primary', 'up'],
      ['node2', 'replica', 'up'],
      ['node3', 'replica', 'up'],
    ]);
    expect(now.nodes[0].connections).toBeGreaterThanOrEqual(0);
    expect(now.nodes[1].lagBytes).not.toBeNull();
    expect(now.health.error).toBeNull();
    expect(now.health.checks).toBeGreaterThan(10);
    const password = new URL(cluster().url()).password;
    expect(reply.body).not.toContain(password);
  });

  test('GET /api/analytics counts the audited runs, filtered by skill, actor and period', async () => {
    const all = (await call(server, '/api/analytics?period=24h')).json();
    expect(all.totals).toMatchObject({ runs: 5, success: 3, degraded: 1, error: 1, undos: 1 });
    expect(all.topErrors).toEqual([{ code: 'UNREACHABLE', skill: 'cluster-scale', count: 1 }]);
    expect(all.undos).toEqual([expect.objectContaining({ skill: 'maintenance-vacuum', undoOf: '01abc' })]);
    expect((await call(server, '/api/analytics?actor=agent')).json().totals.runs).toBe(1);
    expect((await call(server, '/api/analytics?skill=cluster-status&actor=cli')).json().totals.runs).toBe(1);

    // A run appended after the server started is counted on the next request.
    await new AuditLog({ stateDir: loaded.stateDir }).append({ skill: 'cluster-status', risk: 'read', actor: 'cli', input: {}, dryRun: false, outcome: { status: 'healthy' }, durationMs: 90 });
    expect((await call(server, '/api/analytics?skill=cluster-status')).json().totals.runs).toBe(3);
  });

  test.each([
    ['/api/analytics?period=2w', 'period', /period: must be one of 1h, 6h, 24h, 7d, 30d, 90d, all/],
    ['/api/analytics?actor=robot', 'actor', /actor: must be one of cli, mcp, agent, library/],
    ['/api/analytics?skill=x%27%3B%20drop', 'skill', /skill: must be a skill name/],
    ['/api/analytics?since=yesterday', 'since', /since: unknown parameter/],
    ['/api/cluster?node=node1', 'node', /node: unknown parameter; this endpoint takes none/],
    ['/api/vector?database=x', 'database', /database: unknown parameter/],
    ['/api/meta?x=1', 'x', /x: unknown parameter/],
    ['/api/agent?limit=0', 'limit', /limit: must be an integer from 1 to 500/],
    ['/api/agent?limit=abc', 'limit', /limit: must be an integer from 1 to 500/],
    ['/?debug=1', 'debug', /debug: unknown parameter/],
  ])('GET %s is refused with 400 naming %s', async (path, field, message) => {
    const reply = await call(server, path);
    expect(reply.status).toBe(400);
    expect(reply.json().error).toMatchObject({ code: 'INVALID_INPUT', field });
    expect(reply.json().error.message).toMatch(message);
  });

  test('GET /api/vector lists the collections with their indexes, parameters and last benchmark', async () => {
    const reply = await call(server, '/api/vector');
    expect(reply.status).toBe(200);
    const v = reply.json();
    expect(v.error).toBeNull();
    expect(v.collections).toEqual([
      expect.objectContaining({
        name: 'docs',
        dimension: 3,
        metric: 'cosine',
        indexes: [expect.objectContaining({ method: 'hnsw', valid: true, params: { m: 8, ef_construction: 32 } })],
        lastBenchmark: expect.objectContaining({ status: 'ok', durationMs: 5000 }),
      }),
    ]);
  });

  test('GET /api/agent reads the status, the timeline and the per-check report from the agent store', async () => {
    const agent = (await call(server, '/api/agent')).json();
    expect(agent.status).toMatchObject({ paused: false, running: false });
    expect(agent.outcomes).toEqual([expect.objectContaining({ id: 'o1', check: 'idle_in_transaction', result: 'verified' })]);
    expect(agent.report.perCheck).toEqual([expect.objectContaining({ check: 'idle_in_transaction', attempts: 1, verified: 1, successRate: 1, mttrSeconds: 60 })]);
  });

  test('POST /api/agent/pause pauses and resumes the agent (as the agent store says), and refuses bad bodies', async () => {
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json', 'x-pgcluster-dashboard': '1' }) =>
      call(server, '/api/agent/pause', { method: 'POST', headers, body });
    const paused = await post(JSON.stringify({ paused: true, reason: 'maintenance window' }));
    expect(paused.status).toBe(200);
    expect(paused.json()).toMatchObject({ paused: true, pause: { by: 'dashboard', reason: 'maintenance window' } });
    expect(await readAgentStatus({ stateDir: loaded.stateDir })).toMatchObject({ paused: true });
    const resumed = await post(JSON.stringify({ paused: false }));
    expect(resumed.json()).toMatchObject({ paused: false });
    expect(await readAgentStatus({ stateDir: loaded.stateDir })).toMatchObject({ paused: false });

    expect((await post('{"paused": "yes"}')).json().error).toMatchObject({ field: 'body.paused' });
    expect((await post('{"paused": true, "by": "root"}')).json().error).toMatchObject({ field: 'body.by' });
    expect((await post('not json')).status).toBe(400);
    // Without the header (what a cross-site form would send), nothing changes.
    const forged = await post(JSON.stringify({ paused: true }), { 'content-type': 'application/json' });
    expect(forged.status).toBe(403);
    expect(await readAgentStatus({ stateDir: loaded.stateDir })).toMatchObject({ paused: false });
  });

  test('unknown paths get 404 and wrong methods 405', async () => {
    expect((await call(server, '/api/nothing')).status).toBe(404);
    expect((await call(server, '/api/agent/pause')).status).toBe(405);
    expect((await call(server, '/api/cluster', { method: 'POST', headers: { 'content-type': 'application/json', 'x-pgcluster-dashboard': '1' }, body: '{}' })).status).toBe(405);
  });

  test('a request naming another host (DNS rebinding) is refused', async () => {
    const reply = await call(server, '/api/meta', { host: 'attacker.example:80' });
    expect(reply.status).toBe(401);
    expect((await call(server, '/api/meta', { host: `localhost:${server.port}` })).status).toBe(200);
  });
});

describe('the dashboard bound beyond loopback', () => {
  let open: DashboardServer;
  beforeAll(async () => {
    open = await startDashboard({ loaded, host: '0.0.0.0', port: 0 });
  });
  afterAll(async () => open?.close());

  test('needs the token on every request: bearer, cookie, or ?token= once to open the page', async () => {
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const path of ['/', '/api/meta', '/api/cluster', '/api/analytics', '/api/agent', '/api/vector', '/assets/dashboard.js']) {
      const reply = await call(open, path);
      expect({ path, status: reply.status }).toEqual({ path, status: 401 });
      expect(reply.body).not.toContain(open.token!);
    }
    expect((await call(open, '/api/meta', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call(open, '/api/meta', { headers: { authorization: `Bearer ${open.token}` } })).json()).toMatchObject({ tokenRequired: true });

    const opened = await call(open, `/?token=${open.token}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/');
    const cookie = String(opened.headers['set-cookie']).split(';')[0]!;
    expect(String(opened.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await call(open, '/', { headers: { cookie } })).status).toBe(200);
    expect((await call(open, '/api/analytics?period=24h', { headers: { cookie } })).json().totals.runs).toBeGreaterThan(0);
    // The token opens the page only: an endpoint does not take it from the query string.
    expect((await call(open, `/api/meta?token=${open.token}`)).status).toBe(401);
    // And a bad parameter with the token is still a 400.
    expect((await call(open, '/api/analytics?period=x', { headers: { cookie } })).status).toBe(400);
  });
});
