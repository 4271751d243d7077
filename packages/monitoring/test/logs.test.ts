import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import pg from 'pg';
import { analyseLogs, LogsReport, MonitoringLogsSkill } from '../src';

// One real cluster (a primary and one replica): its logs are plain stderr (the default), then node1 is switched to jsonlog.
const cluster = useCluster({ replicas: 1, fast: true });

const configOf = (): ClusterConfig =>
  ClusterConfig.parse({ name: 'itest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url(), ...(n.dataDir ? { dataDir: n.dataDir } : {}) })) });
const loaded = (): LoadedConfig => ({ config: configOf(), source: 'test', stateDir: '/nonexistent' });

async function sql(text: string, node = 'node1'): Promise<void> {
  await withClient({ url: cluster().url(node) }, `test query on ${node}`, (c) => c.query(text));
}

async function failedLogin(password: string): Promise<void> {
  const url = new URL(cluster().url());
  url.password = password;
  const client = new pg.Client({ connectionString: url.toString() });
  await expect(client.connect()).rejects.toThrow(/password authentication failed/);
}

async function deadlock(): Promise<void> {
  const [a, b] = [new pg.Client({ connectionString: cluster().url() }), new pg.Client({ connectionString: cluster().url() })];
  await Promise.all([a.connect(), b.connect()]);
  try {
    await a.query('begin');
    await b.query('begin');
    await a.query('update pair set v = v + 1 where id = 1');
    await b.query('update pair set v = v + 1 where id = 2');
    const results = await Promise.allSettled([a.query('update pair set v = v + 1 where id = 2'), b.query('update pair set v = v + 1 where id = 1')]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([expect.stringContaining('deadlock detected')]);
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
}

async function statementTimeout(): Promise<void> {
  await expect(
    withClient({ url: cluster().url() }, 'timeout', async (c) => {
      await c.query("set statement_timeout = '100ms'");
      await c.query("select pg_sleep(1), 'timeout-literal-77'");
    }),
  ).rejects.toThrow(/statement timeout/);
}

/** Runs the skill until the node answers again (crash recovery takes a moment). */
async function eventually(run: () => ReturnType<typeof executeSkill>): ReturnType<typeof executeSkill> {
  const until = Date.now() + 30_000;
  for (;;) {
    const envelope = await run();
    // The crash is logged and the node answers again once the postmaster has reset every session.
    const crashes = (envelope.data as LogsReport | null)?.categories.find((c) => c.category === 'crashes')?.byNode['node1'] ?? 0;
    if (crashes > 0 || Date.now() > until) return envelope;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const SECRETS = ['wrong-password-secret-1', 'slow-literal-secret-2', 'timeout-literal-77'];

function expectNoSecret(report: LogsReport): void {
  const text = JSON.stringify(report);
  for (const s of SECRETS) expect(text).not.toContain(s);
}

async function provoke(): Promise<void> {
  await failedLogin('wrong-password-secret-1');
  await failedLogin('wrong-password-secret-1');
  await deadlock();
  await statementTimeout();
  await sql("select pg_sleep(0.12), 'slow-literal-secret-2'");
}

beforeAll(async () => {
  await sql('create table pair (id int primary key, v int)');
  await sql('insert into pair values (1, 0), (2, 0)');
  await sql("alter system set log_min_duration_statement = '100ms'");
  await sql('select pg_reload_conf()');
});

describe('monitoring-logs on a real cluster', () => {
  test('jsonlog (the dev/test default, into <dataDir>/log): failed logins, a deadlock, a statement timeout and a slow statement are classified, with their SQLSTATE', async () => {
    await provoke();
    const report = await analyseLogs(configOf(), { since: '1h' });
    expect(LogsReport.parse(report)).toEqual(report);
    expectNoSecret(report);
    expect(report.nodes.find((n) => n.name === 'node1')).toMatchObject({ format: 'jsonlog', via: 'pg_read_file', file: expect.stringMatching(new RegExp(`^${cluster().nodes[0]!.dataDir}/log/postgresql-.*\\.json$`)) });
    const count = (c: string) => report.categories.find((x) => x.category === c)?.byNode['node1'] ?? 0;
    expect(count('authentication_failures')).toBe(2);
    expect(count('deadlocks')).toBe(1);
    expect(count('statement_timeouts')).toBe(1);
    expect(count('restarts')).toBeGreaterThanOrEqual(1); // the cluster's own start
    expect(count('crashes')).toBe(0);
    expect(report.categories.find((c) => c.category === 'deadlocks')).toMatchObject({ check: 'deadlocks', recommendation: { skill: 'monitoring-health', input: { category: ['locks'] } } });
    expect(report.slowStatements).toEqual(expect.arrayContaining([expect.objectContaining({ statement: 'select pg_sleep(?), ?', occurrences: 1 })]));
    expect(report.topErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ category: 'authentication_failures', severity: 'FATAL', sqlstate: '28P01', message: 'password authentication failed for user "pgcluster"', occurrences: 2, nodes: ['node1'] }),
        expect.objectContaining({ category: 'deadlocks', severity: 'ERROR', sqlstate: '40P01', occurrences: 1 }),
        expect.objectContaining({ category: 'statement_timeouts', sqlstate: '57014', occurrences: 1 }),
      ]),
    );
    expect(report.periods.filter((p) => p.category === 'authentication_failures').reduce((a, p) => a + p.entries, 0)).toBe(2);

    const only = await analyseLogs(configOf(), { since: '1h', category: ['deadlocks'] });
    expect(only.categories.map((c) => c.category)).toEqual(['deadlocks']);
  });

  test('stderr fallback: with node1 switched to stderr without the collector, entries are read from server.log beside its data directory through pg_read_file', async () => {
    await sql("alter system set logging_collector = 'off'");
    await sql("alter system set log_destination = 'stderr'");
    await cluster().restart('node1');
    await provoke();
    const envelope = await executeSkill(MonitoringLogsSkill, { since: '1h' }, { config: loaded(), audit: false, actor: 'library' });
    const report = envelope.data as LogsReport;
    expect(LogsReport.parse(report)).toEqual(report);
    expectNoSecret(report);
    expect(report.nodes.find((n) => n.name === 'node1')).toMatchObject({ format: 'stderr', via: 'pg_read_file', file: cluster().nodes[0]!.logFile });
    expect(report.topErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ category: 'authentication_failures', severity: 'FATAL', sqlstate: null, occurrences: 2 }),
        expect.objectContaining({ category: 'deadlocks', severity: 'ERROR', occurrences: 1 }),
        expect.objectContaining({ category: 'statement_timeouts', occurrences: 1 }),
      ]),
    );
    expect(report.slowStatements).toEqual(expect.arrayContaining([expect.objectContaining({ statement: 'select pg_sleep(?), ?', occurrences: 1 })]));
    // A restart alone is no reason for concern.
    expect(report.categories.find((c) => c.category === 'restarts')?.byNode['node1']).toBeGreaterThanOrEqual(1);
    expect(envelope.status).toBe('ok');
    expect(exitCodeFor(envelope)).toBe(0);
  });

  test('a crash (a backend killed with SIGKILL): classified as crashes, the run is degraded (exit 1)', async () => {
    const victim = new pg.Client({ connectionString: cluster().url() });
    victim.on('error', () => undefined);
    await victim.connect();
    process.kill((await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid, 'SIGKILL');
    await victim.end().catch(() => undefined);
    const envelope = await eventually(() => executeSkill(MonitoringLogsSkill, { since: '1h', category: ['crashes'] }, { config: loaded(), audit: false, actor: 'library' }));
    const report = envelope.data as LogsReport;
    expect(report.categories.find((c) => c.category === 'crashes')?.byNode['node1']).toBeGreaterThanOrEqual(1);
    expect(report.topErrors.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/terminating any other active server processes|was terminated by signal/)]));
    expect(envelope.status).toBe('degraded');
    expect(exitCodeFor(envelope)).toBe(1);
  });

  test("a node that is down: its log is read on this machine, the collector's jsonlog file in its dataDir", async () => {
    await cluster().kill('node2');
    const report = await analyseLogs(configOf(), { since: '1h' });
    expect(report.nodes.find((n) => n.name === 'node2')).toMatchObject({ format: 'jsonlog', via: 'local', file: expect.stringMatching(new RegExp(`^${cluster().nodes[1]!.dataDir}/log/postgresql-.*\\.json$`)) });
    expect(report.categories.find((c) => c.category === 'restarts')?.byNode['node2']).toBeGreaterThanOrEqual(1);
    const { config } = loaded();
    const remote = ClusterConfig.parse({ ...config, nodes: config.nodes!.map(({ dataDir: _, ...n }) => n) });
    expect((await analyseLogs(remote, { since: '1h' })).nodes.find((n) => n.name === 'node2')).toMatchObject({ format: null, skipped: expect.stringContaining('no log readable') });
  });

  test('bad input is refused with exit 2 naming the field', async () => {
    for (const input of [{ since: 'yesterday' }, { category: ['nope'] }, { period: '0h' }]) {
      const envelope = await executeSkill(MonitoringLogsSkill, input, { config: loaded(), audit: false, actor: 'library' });
      expect(exitCodeFor(envelope)).toBe(2);
      expect(envelope.error?.message).toMatch(/since|category|period/);
    }
  });
});
