import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { LogsReport, MonitoringLogsSkill } from '@pgcluster/monitoring';
import { executeSkill, exitCodeFor, type Envelope } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { PgauditReport, SecurityAuditReport, SecurityAuditSkill, SecurityPgauditSkill } from '../src';
import { pgauditInstalled } from './weak-cluster';

// A real primary and a streaming replica without pgaudit, a config file with their data
// directories: security-pgaudit restarts both (the replica first), then a DDL statement must land
// in the server log as an AUDIT line that monitoring-logs classifies, and the audit's finding is gone.
const cluster = useCluster({ replicas: 1, fast: true });
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-pgaudit-'));
const configFile = join(dir, 'pgcluster.config.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  writeFileSync(configFile, JSON.stringify({ name: 'audited', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url(), dataDir: n.dataDir })) }, null, 2), { mode: 0o600 });
});

const loaded = (): LoadedConfig => loadConfig({ path: configFile });
const run = (input: Record<string, unknown>, options: { dryRun?: boolean; yes?: boolean } = { yes: true }) => executeSkill(SecurityPgauditSkill, input, { config: loaded(), ...options }) as Promise<Envelope<PgauditReport>>;
const audit = async () => (await executeSkill(SecurityAuditSkill, { checks: ['pgaudit_absent'] }, { config: loaded(), audit: false, actor: 'library' })).data as SecurityAuditReport;
const setting = (node: string, name: string) => withClient({ url: cluster().url(node) }, 'reading a setting', async (c) => (await c.query<{ v: string | null }>('select setting as v from pg_settings where name = $1', [name])).rows[0]?.v ?? null);

const installed = pgauditInstalled();
const maybe = installed ? test : test.skip;
if (!installed) process.stderr.write('pgaudit is not installed (apt-get install postgresql-15-pgaudit): the pgaudit tests are skipped\n');

let backup = '';

maybe("before: the audit's pgaudit_absent finding on every node recommends security-pgaudit, and its dry run plans the restart (replica first) and changes nothing", async () => {
  const findings = (await audit()).findings.filter((f) => f.check === 'pgaudit_absent');
  expect(findings.map((f) => f.node).sort()).toEqual(['node1', 'node2']);
  for (const f of findings) expect(f.recommendation).toMatchObject({ skill: 'security-pgaudit', input: {} });

  const dry = await run({}, { dryRun: true, yes: true });
  expect(dry.ok).toBe(true);
  const restarts = dry.plan!.filter((s) => s.kind === 'command' && s.text.includes('pg_ctl') && s.text.includes('restart'));
  expect(restarts.map((s) => s.target)).toEqual(['node2', 'node1']);
  expect(dry.plan!.some((s) => s.kind === 'sql' && s.text.includes('CREATE EXTENSION IF NOT EXISTS pgaudit'))).toBe(true);
  expect(await setting('node1', 'shared_preload_libraries')).toBe('pg_stat_statements');
  expect(await setting('node1', 'pgaudit.log')).toBeNull();

  const refused = await run({}, {});
  expect(exitCodeFor(refused)).toBe(3);
  for (const input of [{ log: 'ddl; drop table x' }, { log: 'everything' }, { action: 'undo' }]) {
    const bad = await run(input);
    expect(exitCodeFor(bad)).toBe(2);
    expect(bad.error?.message).toMatch(/log|backup/);
  }
  expect(await setting('node2', 'shared_preload_libraries')).toBe('pg_stat_statements');
});

maybe('enable: replica then primary restarted, pgaudit loaded everywhere, a DDL statement lands in the log as an AUDIT line that monitoring-logs classifies, and the finding is gone', async () => {
  const envelope = await run({});
  expect(envelope.error).toBeUndefined();
  const report = envelope.data!;
  expect(PgauditReport.parse(report)).toEqual(report);
  expect(report.restartOrder).toEqual(['node2', 'node1']);
  expect(report.nodes.map((n) => [n.node, n.role, n.preloaded, n.log, n.restarted])).toEqual([
    ['node1', 'primary', true, 'ddl, role, write', true],
    ['node2', 'replica', true, 'ddl, role, write', true],
  ]);
  expect(report.extensionCreated).toBe(true);
  expect(envelope.rollback).toMatchObject({ skill: 'security-pgaudit', input: { action: 'undo', backup: report.backup } });
  backup = report.backup;
  for (const node of ['node1', 'node2']) expect(await setting(node, 'shared_preload_libraries')).toBe('pg_stat_statements, pgaudit');
  await withClient({ url: cluster().url() }, 'the extension', async (c) => expect((await c.query("select 1 from pg_extension where extname = 'pgaudit'")).rowCount).toBe(1));
  // The replica streams again.
  await withClient({ url: cluster().url('node1') }, 'replication', async (c) => expect((await c.query("select 1 from pg_stat_replication where state = 'streaming'")).rowCount).toBe(1));

  // A DDL statement, for real.
  await withClient({ url: cluster().url() }, 'DDL', (c) => c.query('create table pgaudit_proof (id int)'));
  const logs = await eventually(async () => {
    const e = await executeSkill(MonitoringLogsSkill, { since: '1h', category: ['audit_events'] }, { config: loaded(), audit: false, actor: 'library' });
    return e.data as LogsReport;
  }, (r) => (r.categories.find((c) => c.category === 'audit_events')?.byNode['node1'] ?? 0) > 0);
  expect(LogsReport.parse(logs)).toEqual(logs);
  expect(logs.categories.find((c) => c.category === 'audit_events')).toMatchObject({ recommendation: { skill: 'security-audit' } });
  expect(await cluster().logs('node1', 5000)).toMatch(/AUDIT: SESSION,\d+,\d+,DDL,CREATE TABLE,TABLE,\w+\.pgaudit_proof/);

  expect((await audit()).findings.filter((f) => f.check === 'pgaudit_absent')).toEqual([]);

  // Idempotent: a second run finds pgaudit loaded and restarts nothing.
  const again = await run({});
  expect(again.data).toMatchObject({ restartOrder: [], extensionCreated: false });
  backup = backup || again.data!.backup;
});

maybe('undo: the extension dropped, both settings back as they were, both nodes restarted (replica first)', async () => {
  const envelope = await run({ action: 'undo', backup });
  expect(envelope.error).toBeUndefined();
  expect(envelope.data!.restartOrder).toEqual(['node2', 'node1']);
  expect(envelope.data!.nodes.map((n) => [n.node, n.preloaded, n.log])).toEqual([
    ['node1', false, null],
    ['node2', false, null],
  ]);
  for (const node of ['node1', 'node2']) expect(await setting(node, 'shared_preload_libraries')).toBe('pg_stat_statements');
  await withClient({ url: cluster().url() }, 'the extension', async (c) => expect((await c.query("select 1 from pg_extension where extname = 'pgaudit'")).rowCount).toBe(0));
  expect(readFileSync(join(cluster().primary.dataDir!, 'postgresql.auto.conf'), 'utf8')).not.toMatch(/pgaudit/);
  const twice = await run({ action: 'undo', backup });
  expect(exitCodeFor(twice)).toBe(3);
  expect((await audit()).findings.filter((f) => f.check === 'pgaudit_absent')).toHaveLength(2);
});

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
}
