import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import type { ClusterHandle } from '@pgcluster/testing';
import pg from 'pg';

/** Test helpers over one real cluster: its config, SQL on node1, and an open session. */
export function clusterHelpers(cluster: () => ClusterHandle) {
  const config = (): ClusterConfig =>
    ClusterConfig.parse({ name: 'itest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url(), ...(n.dataDir ? { dataDir: n.dataDir } : {}) })) });
  const loaded = (): LoadedConfig => ({ config: config(), source: 'test', stateDir: '/nonexistent' });
  const sql = async <T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> =>
    withClient({ url: cluster().url() }, 'test query', async (c) => (await c.query<T>(text, values)).rows);
  const session = async (url = cluster().url()): Promise<{ client: pg.Client; pid: number }> => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    return { client, pid };
  };
  const alive = async (pid: number): Promise<boolean> => (await sql<{ n: number }>('select count(*)::int as n from pg_stat_activity where pid = $1', [pid]))[0]!.n === 1;
  return { config, loaded, sql, session, alive };
}

/** Polls `fn` until `ok` holds (no timing assertion: it only bounds a wait). */
export async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
