import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, readPgbouncer, withClient, type LoadedConfig } from '@pgcluster/core';
import { AuditLog } from '@pgcluster/skill-kit';
import { isHaClusterHandle, startCluster, type HaClusterHandle } from '@pgcluster/testing';
import pg from 'pg';
import { AgentPolicySchema, readOutcomes, runAgent } from '../src';

// One HA cluster (etcd + 2 Patroni nodes + PgBouncer in transaction mode) for the whole file.
let cluster: HaClusterHandle;
const stateDirs: string[] = [];

beforeAll(async () => {
  const handle = await startCluster({ ha: true, replicas: 1, fast: true });
  if (!isHaClusterHandle(handle)) throw new Error('expected an HA cluster');
  cluster = handle;
}, 180_000);

afterAll(async () => {
  await cluster?.stop({ purge: true }).catch(() => cluster.destroySync());
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
}, 120_000);

const loaded = (): LoadedConfig => {
  const stateDir = mkdtempSync(join(tmpdir(), 'agent-pgbouncer-'));
  stateDirs.push(stateDir);
  return {
    config: ClusterConfig.parse({ name: 'ha', patroni: { url: cluster.patroniUrl() }, nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })), pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl() } }),
    source: 'test',
    stateDir,
  };
};
const admin = (statement: string) => withClient({ url: cluster.pgbouncerAdminUrl() }, 'PgBouncer admin', (c) => c.query(statement));
const bouncer = async () => (await readPgbouncer(cluster.pgbouncerAdminUrl())).pools.find((p) => p.database === 'pgcluster');

/**
 * The fault: a pool of 2, its server connections closed, and 5 clients through PgBouncer each
 * holding one in a statement: 3 wait. Resolves once the oldest has waited 1 s (the policy's threshold).
 */
async function saturate(): Promise<pg.Client[]> {
  await admin('SET default_pool_size = 2');
  await admin('RECONNECT');
  const clients: pg.Client[] = [];
  for (let i = 0; i < 5; i += 1) {
    const c = new pg.Client({ connectionString: cluster.pgbouncerUrl() });
    c.on('error', () => undefined);
    await c.connect();
    void c.query('select pg_sleep(60)').catch(() => undefined);
    clients.push(c);
  }
  for (let i = 0; i < 100 && ((await bouncer())?.maxwaitSeconds ?? 0) < 1.2; i += 1) await new Promise((r) => setTimeout(r, 200));
  return clients;
}

async function release(clients: pg.Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await withClient({ url: cluster.url() }, 'ending the sleepers', (c) => c.query("select pg_terminate_backend(pid) from pg_stat_activity where query like 'select pg_sleep%' and pid <> pg_backend_pid()"));
  await admin('SET default_pool_size = 10');
}

const policyOf = (extra: Record<string, unknown> = {}) =>
  AgentPolicySchema.parse({
    mode: 'act',
    thresholds: { pgbouncer_pool_saturated: { warning: 1 } },
    slowStatements: { enabled: false },
    verify: { attempts: 5, delaySeconds: 0.5 },
    ...extra,
  });

describe('the agent and a saturated PgBouncer pool', () => {
  test('act mode (the default autonomy lets it run cluster-scale): grows the pool to serve every waiting client, verified, audited as the agent', async () => {
    const holders = await saturate();
    try {
      const config = loaded();
      const stderr: string[] = [];
      const [summary] = await runAgent({ loaded: config, policy: policyOf(), once: true, stderr: (l) => void stderr.push(l) });
      const acted = summary!.outcomes.find((o) => o.check === 'pgbouncer_pool_saturated' && o.decision === 'acted');
      expect(acted).toMatchObject({ node: 'pgbouncer', object: 'pool pgcluster/pgcluster', result: 'verified', action: { skill: 'cluster-scale', input: { target: 'pgbouncer', size: 5 } } });
      expect(acted!.recoverSeconds).toBeGreaterThanOrEqual(0);
      expect(await bouncer()).toMatchObject({ poolSize: 5, clWaiting: 0, svActive: 5 });
      expect(new AuditLog({ stateDir: config.stateDir }).get(acted!.auditIds[0]!)).toMatchObject({ skill: 'cluster-scale', actor: 'agent', outcome: { status: 'ok' } });
      expect(stderr.filter((l) => l.includes('"agent-escalation"'))).toEqual([]);
    } finally {
      await release(holders);
    }
  });

  test("a pool already at the policy's maxPoolSize: the agent does not grow it, reverts to the previous sizes and escalates", async () => {
    const holders = await saturate();
    try {
      const config = loaded();
      const stderr: string[] = [];
      const [summary] = await runAgent({ loaded: config, policy: policyOf({ maxPoolSize: 2 }), once: true, stderr: (l) => void stderr.push(l) });
      const acted = summary!.outcomes.find((o) => o.check === 'pgbouncer_pool_saturated' && o.decision === 'acted');
      // The finding's size 5 was lowered to the policy's bound, which is the pool's size already.
      expect(acted).toMatchObject({ result: 'reverted', action: { skill: 'cluster-scale', input: { target: 'pgbouncer', size: 2 } } });
      expect(acted!.message).toMatch(/the pool did not grow \(default_pool_size 2 → 2; the policy's maxPoolSize is 2\)/);
      expect(acted!.auditIds).toHaveLength(2);
      expect((await bouncer())!.poolSize).toBe(2);
      const escalations = stderr.filter((l) => l.includes('"agent-escalation"')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(escalations).toContainEqual(expect.objectContaining({ check: 'pgbouncer_pool_saturated', object: 'pool pgcluster/pgcluster' }));
      expect((await readOutcomes({ stateDir: config.stateDir })).filter((o) => o.decision === 'acted' && o.result !== 'pending')).toHaveLength(1);
    } finally {
      await release(holders);
    }
  });
});
