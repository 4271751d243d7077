import { ClusterConfig, readPgbouncer, withClient, type ClusterConfigInput } from '@pgcluster/core';
import { ClusterScaleInput } from '@pgcluster/operations';
import { isHaClusterHandle, startCluster, type HaClusterHandle } from '@pgcluster/testing';
import pg from 'pg';
import { checkHealth, HealthReport } from '../src';

// One HA cluster (etcd + 2 Patroni nodes + PgBouncer in transaction mode) for the whole file.
let cluster: HaClusterHandle;

beforeAll(async () => {
  const handle = await startCluster({ ha: true, replicas: 1, fast: true });
  if (!isHaClusterHandle(handle)) throw new Error('expected an HA cluster');
  cluster = handle;
}, 180_000);

afterAll(async () => {
  await cluster?.stop({ purge: true }).catch(() => cluster.destroySync());
}, 120_000);

const configOf = (extra: Partial<ClusterConfigInput> = {}): ClusterConfig =>
  ClusterConfig.parse({ name: 'ha', nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })), ...extra });
const admin = (statement: string) => withClient({ url: cluster.pgbouncerAdminUrl() }, 'PgBouncer admin', (c) => c.query(statement));

/** Clients through PgBouncer, each holding a server connection in a statement for `seconds`. */
async function holdConnections(n: number, seconds: number): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  for (let i = 0; i < n; i += 1) {
    const c = new pg.Client({ connectionString: cluster.pgbouncerUrl() });
    c.on('error', () => undefined);
    await c.connect();
    void c.query('select pg_sleep($1)', [seconds]).catch(() => undefined);
    clients.push(c);
  }
  return clients;
}

async function release(clients: pg.Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await withClient({ url: cluster.url() }, 'ending the sleepers', (c) => c.query("select pg_terminate_backend(pid) from pg_stat_activity where query like 'select pg_sleep%' and pid <> pg_backend_pid()"));
}

describe('pgbouncer_pool_saturated', () => {
  test('skipped with the reason when the config has no PgBouncer; ok when no client waits', async () => {
    const without = await checkHealth(configOf(), { checks: ['pgbouncer_pool_saturated'] });
    expect(without.findings).toEqual([]);
    expect(without.checks).toEqual([expect.objectContaining({ check: 'pgbouncer_pool_saturated', status: 'skipped', reason: 'no PgBouncer in the config (pgbouncer.adminUrl)' })]);

    await withClient({ url: cluster.pgbouncerUrl() }, 'through PgBouncer', (c) => c.query('select 1'));
    const idle = await checkHealth(configOf({ pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl() } }), { checks: ['pgbouncer_pool_saturated'] });
    expect(idle.checks).toEqual([expect.objectContaining({ status: 'ok', nodes: ['pgbouncer'], warning: 15, critical: 60, unit: 'seconds' })]);
  });

  test('a pool of 2 with 5 clients holding statements: a finding with the numbers and a working cluster-scale; gone once they are released', async () => {
    // A tiny pool, its open server connections closed, then more clients than it has connections.
    await admin('SET default_pool_size = 2');
    await admin('RECONNECT');
    const holders = await holdConnections(5, 60);
    try {
      // The config's own thresholds apply (a wait of 1 s is a warning, 600 s critical).
      const config = configOf({ pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl() }, monitoring: { thresholds: { pgbouncer_pool_saturated: { warning: 1, critical: 600 } } } });
      let report: HealthReport | undefined;
      for (let i = 0; i < 100 && !report?.findings.length; i += 1) {
        await new Promise((r) => setTimeout(r, 300));
        report = await checkHealth(config, { checks: ['pgbouncer_pool_saturated'] });
      }
      expect(HealthReport.parse(report)).toEqual(report);
      const [finding] = report!.findings;
      const pool = (await readPgbouncer(cluster.pgbouncerAdminUrl())).pools.find((p) => p.database === 'pgcluster')!;
      expect(pool).toMatchObject({ clWaiting: 3, svActive: 2, poolSize: 2 });
      expect(finding).toMatchObject({
        check: 'pgbouncer_pool_saturated',
        category: 'connections',
        severity: 'warning',
        node: 'pgbouncer',
        object: 'pool pgcluster/pgcluster',
        threshold: 1,
        unit: 'seconds',
        recommendation: { skill: 'cluster-scale', input: { target: 'pgbouncer', size: 5 } },
      });
      expect(finding!.value).toBeGreaterThanOrEqual(1);
      expect(finding!.message).toMatch(/^PgBouncer pool pgcluster\/pgcluster: 3 client\(s\) waiting for a server connection, the oldest for [\d.]+ s; 2 of pool_size 2 server connections active/);
      // The recommendation is valid cluster-scale input (the executor would run it as is).
      expect(ClusterScaleInput.safeParse(finding!.recommendation.input).error).toBeUndefined();
    } finally {
      await release(holders);
    }
    const after = await checkHealth(configOf({ pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl() } }), { checks: ['pgbouncer_pool_saturated'], thresholds: { pgbouncer_pool_saturated: { warning: 0 } } });
    expect(after.findings).toEqual([]);
    expect(after.checks[0]).toMatchObject({ status: 'ok' });
    await admin('SET default_pool_size = 10');
  });

  test('an admin console that does not answer: skipped with the reason, no password in it', async () => {
    const url = new URL(cluster.pgbouncerAdminUrl());
    url.port = '1';
    const report = await checkHealth(configOf({ pgbouncer: { adminUrl: url.toString() } }), { checks: ['pgbouncer_pool_saturated'], connectTimeoutMs: 500 });
    expect(report.checks[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^PgBouncer's admin console did not answer: /) });
    expect(report.checks[0]!.reason).not.toContain(url.password);
  });
});
