import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import type { ClusterHandle } from '@pgcluster/testing';
import pg from 'pg';
import { AgentPolicySchema, runAgent, type AgentPolicy, type AgentTickSummary } from '../src';

/**
 * The test cluster as a loaded config with its own state dir (audit log and agent files). Call it
 * at a test file's top level: the state dirs it makes are removed after the file's tests.
 */
export function agentHarness(cluster: () => ClusterHandle) {
  const stateDirs: string[] = [];
  afterAll(() => {
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  });
  const newStateDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-test-'));
    stateDirs.push(dir);
    return dir;
  };
  const loaded = (stateDir: string): LoadedConfig => ({
    config: ClusterConfig.parse({ name: 'itest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url(), ...(n.dataDir ? { dataDir: n.dataDir } : {}) })) }),
    source: 'test',
    stateDir,
  });
  const sql = async <T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> =>
    withClient({ url: cluster().url() }, 'test query', async (c) => (await c.query<T>(text, values)).rows);
  const session = async (): Promise<{ client: pg.Client; pid: number }> => {
    const client = new pg.Client({ connectionString: cluster().url() });
    client.on('error', () => undefined);
    await client.connect();
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    return { client, pid };
  };
  /** One agent, one state dir: `tick()` runs one round with the policy and collects stderr. */
  const agent = (policyInput: Record<string, unknown>, stateDir = newStateDir()) => {
    const policy: AgentPolicy = AgentPolicySchema.parse({ verify: { attempts: 3, delaySeconds: 0.5 }, ...policyInput });
    const stderr: string[] = [];
    const tick = async (extra: { maxTicks?: number; intervalSeconds?: number } = {}): Promise<AgentTickSummary[]> =>
      runAgent({ loaded: loaded(stateDir), policy, ...(extra.maxTicks ? { maxTicks: extra.maxTicks, intervalSeconds: extra.intervalSeconds ?? 0 } : { once: true }), stderr: (l) => void stderr.push(l) });
    const escalations = () => stderr.filter((l) => l.includes('"agent-escalation"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { stateDir, policy, tick, stderr, escalations, loaded: () => loaded(stateDir) };
  };
  const deadRows = async (table: string) => (await sql<{ n: number }>('select n_dead_tup::int as n from pg_stat_user_tables where relname = $1', [table]))[0]?.n ?? 0;
  /** A table with autovacuum off and 60% of its 20,000 rows deleted (dead_tuples fires). */
  const deadTable = async (table: string) => {
    await sql(`create table public.${table} (id int primary key, payload text) with (autovacuum_enabled = off)`);
    await sql(`insert into public.${table} select i, repeat('x', 50) from generate_series(1, 20000) i`);
    await sql(`analyze public.${table}`);
    const [{ xid }] = (await sql<{ xid: string }>(`with d as (delete from public.${table} where id % 5 <> 0) select pg_current_xact_id()::text as xid`)) as [{ xid: string }];
    await replicasPast(xid);
  };
  /**
   * Waits until every replica's hot_standby_feedback horizon has passed `xid`: until then the
   * primary keeps rows deleted by it for the replica, and no VACUUM can remove them.
   */
  const replicasPast = async (xid: string) => {
    for (let i = 0; i < 300; i += 1) {
      const [{ behind }] = (await sql<{ behind: number }>(`select (select count(*)::int from pg_stat_replication where backend_xmin is not null and backend_xmin::text::bigint <= $1::bigint)
                + (select count(*)::int from pg_replication_slots where xmin is not null and xmin::text::bigint <= $1::bigint) as behind`, [xid])) as [{ behind: number }];
      if (behind === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { loaded, sql, session, agent, deadRows, deadTable };
}
