import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import pg from 'pg';
import { AlertsReport, evaluateAlerts, loadAlertRules, MonitoringAlertsSkill, notifyChannel, type AlertNotification } from '../src';

// One real cluster (a primary only) for the whole file, and a real local HTTP server as the webhook.
const cluster = useCluster({ replicas: 0, fast: true });
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-alerts-'));
const received: Array<{ path: string; body: AlertNotification }> = [];
let answers: number[] = []; // status codes to answer next (then 200)
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url?.startsWith('/hang')) return; // never answers
      received.push({ path: req.url ?? '', body: JSON.parse(body) as AlertNotification });
      res.statusCode = answers.shift() ?? 200;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const loaded = (): LoadedConfig => ({ config: ClusterConfig.parse({ name: 'itest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url() })) }), source: 'test', stateDir: join(dir, 'state') });

function rulesFile(name: string, forDuration = '0s'): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      rules: [{ name: 'idle', check: 'idle_in_transaction', severity: 'warning', threshold: 0, for: forDuration, channels: ['hook', 'log'] }],
      channels: { hook: { type: 'webhook', url: `${base}/hook?token=webhook-secret-token`, timeoutMs: 2000, retries: 2 }, log: { type: 'file', path: `${name}.log` } },
    }),
  );
  return file;
}

async function alerts(input: Record<string, unknown>) {
  const envelope = await executeSkill(MonitoringAlertsSkill, input, { config: loaded(), audit: false, actor: 'library' });
  if (envelope.data) expect(AlertsReport.parse(envelope.data)).toEqual(envelope.data);
  expect(JSON.stringify(envelope)).not.toContain('webhook-secret-token');
  return envelope;
}

async function idleSession(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: cluster().url() });
  await client.connect();
  await client.query('begin');
  await client.query('select 1');
  return client;
}

describe('monitoring-alerts on a real cluster', () => {
  test('evaluate: an idle transaction fires once (webhook + file), stays deduplicated, then resolves once', async () => {
    const file = rulesFile('fire');
    received.length = 0;
    expect((await alerts({ action: 'evaluate', rulesFile: file })).data).toMatchObject({ evaluation: { transitions: [] }, active: [] });

    const session = await idleSession();
    const fired = await alerts({ action: 'evaluate', rulesFile: file });
    expect(fired.status).toBe('degraded');
    expect(exitCodeFor(fired)).toBe(1);
    const data = fired.data as AlertsReport;
    expect(data.evaluation!.transitions).toEqual([
      expect.objectContaining({ rule: 'idle', node: 'node1', from: 'inactive', to: 'firing', notified: [{ channel: 'hook', ok: true, attempts: 1 }, { channel: 'log', ok: true, attempts: 1 }] }),
    ]);
    expect(received.map((r) => [r.path, r.body.status, r.body.rule, r.body.check])).toEqual([['/hook?token=webhook-secret-token', 'firing', 'idle', 'idle_in_transaction']]);

    const again = await alerts({ action: 'evaluate', rulesFile: file });
    expect((again.data as AlertsReport).evaluation!.transitions).toEqual([]);
    expect(received).toHaveLength(1);

    await session.end();
    const resolved = await alerts({ action: 'evaluate', rulesFile: file });
    expect((resolved.data as AlertsReport).evaluation!.transitions).toEqual([expect.objectContaining({ rule: 'idle', from: 'firing', to: 'resolved' })]);
    expect(resolved.status).toBe('ok');
    expect(received.map((r) => r.body.status)).toEqual(['firing', 'resolved']);
    const lines = readFileSync(join(dir, 'fire.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AlertNotification);
    expect(lines.map((l) => l.status)).toEqual(['firing', 'resolved']);
  });

  test('for: an alert is pending until its condition has held long enough', async () => {
    const rules = loadAlertRules({ file: rulesFile('pending', '1h'), configSource: 'test' });
    const stateDir = join(dir, 'pending-state');
    const session = await idleSession();
    try {
      const t0 = new Date();
      const first = await evaluateAlerts(loaded().config, { stateDir, rules, now: t0 });
      expect(first.transitions).toEqual([expect.objectContaining({ from: 'inactive', to: 'pending', notified: [] })]);
      const early = await evaluateAlerts(loaded().config, { stateDir, rules, now: new Date(t0.getTime() + 30 * 60_000) });
      expect(early.transitions).toEqual([]);
      expect(early.active).toEqual([expect.objectContaining({ state: 'pending' })]);
      received.length = 0;
      const late = await evaluateAlerts(loaded().config, { stateDir, rules, now: new Date(t0.getTime() + 61 * 60_000) });
      expect(late.transitions).toEqual([expect.objectContaining({ from: 'pending', to: 'firing' })]);
      expect(received.map((r) => r.body.status)).toEqual(['firing']);
    } finally {
      await session.end();
    }
  });

  test('silence: notifications stop for the rule, and the run records how to undo it', async () => {
    const file = rulesFile('silenced');
    const silenced = await alerts({ action: 'silence', rule: 'idle', for: '1h', rulesFile: file });
    expect(silenced.rollback).toEqual({ skill: 'monitoring-alerts', input: { action: 'unsilence', rule: 'idle' }, why: 'unsilence idle' });
    expect(Object.keys((silenced.data as AlertsReport).silences)).toEqual(['idle']);
    received.length = 0;
    const session = await idleSession();
    try {
      const run = await alerts({ action: 'evaluate', rulesFile: file });
      expect((run.data as AlertsReport).evaluation!.transitions).toEqual([expect.objectContaining({ to: 'firing', silenced: true, notified: [] })]);
      expect(received).toEqual([]);
    } finally {
      await session.end();
    }
    await alerts({ action: 'unsilence', rule: 'idle', rulesFile: file });
    expect((await alerts({ action: 'list', rulesFile: file })).data).toMatchObject({ silences: {} });
  });

  test('webhook delivery retries a 5xx with backoff and gives up after a timeout', async () => {
    const n: AlertNotification = { status: 'firing', rule: 'r', check: 'lock_waits', severity: 'warning', node: 'node1', object: 'pid 1', value: 1, threshold: 0, message: 'm', since: '', at: '' };
    received.length = 0;
    answers = [503, 500];
    expect(await notifyChannel('hook', { type: 'webhook', url: `${base}/retry`, timeoutMs: 2000, retries: 3 }, n)).toEqual({ channel: 'hook', ok: true, attempts: 3 });
    expect(received).toHaveLength(3);
    answers = [404];
    expect(await notifyChannel('hook', { type: 'webhook', url: `${base}/gone`, timeoutMs: 2000, retries: 3 }, n)).toMatchObject({ ok: false, attempts: 1, error: expect.stringContaining('404') });
    const hung = await notifyChannel('hook', { type: 'webhook', url: `${base}/hang?token=x`, timeoutMs: 200, retries: 1 }, n);
    expect(hung).toMatchObject({ ok: false, attempts: 2, error: expect.stringContaining('no answer within 200 ms') });
    expect(hung.error).not.toContain('token');
  });

  test('export: the default rules as a Prometheus rules file that promtool accepts', async () => {
    const out = join(dir, 'rules.yml');
    const envelope = await alerts({ action: 'export', output: out });
    expect((envelope.data as AlertsReport).export).toMatchObject({ file: out, rules: expect.any(Number) });
    expect((envelope.data as AlertsReport).rulesSource).toBe('defaults');
    const check = execFileSync('promtool', ['check', 'rules', out], { encoding: 'utf8' });
    expect(check).toMatch(/SUCCESS: \d+ rules found/);
  });

  test('bad input: exit 2 naming the field, nothing written', async () => {
    expect((await alerts({ action: 'silence' })).error?.message).toMatch(/rule/);
    expect((await alerts({ action: 'silence', rule: 'idle' })).error?.message).toMatch(/for/);
    expect(exitCodeFor(await alerts({ action: 'silence', rule: 'no-such-rule', for: '1h', rulesFile: rulesFile('x') }))).toBe(2);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ name: 'r', check: 'no_such_check' }] }));
    const envelope = await alerts({ action: 'list', rulesFile: bad });
    expect(exitCodeFor(envelope)).toBe(2);
    expect(envelope.error?.message).toContain('rules.0.check');
  });
});
