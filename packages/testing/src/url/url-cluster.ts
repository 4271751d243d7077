import { InputError, nodeAddress, PgClusterError, PostgresUrl, withClient } from '@pgcluster/core';
import type { ClusterHandle, NodeHandle, NodeRef, NodeRole, NodeStatus } from '../cluster/cluster-handle';
import { CLUSTER_ENV, type ResolvedClusterOptions } from '../cluster/cluster-options';
import { withDatabase } from '../cluster/postgres-url';
import { queryNodeStatuses } from '../cluster/query-node-status';

/**
 * Uses an existing server (`options.url` or `PGCLUSTER_TEST_URL`) as a one-node cluster:
 * checks it answers and creates the requested extensions there. The handle never stops,
 * kills or restarts that server.
 *
 * @example
 * ```ts
 * const cluster = await startUrlCluster(resolveClusterOptions({ provider: 'url', url }, process.env))
 * ```
 */
export async function startUrlCluster(options: ResolvedClusterOptions): Promise<ClusterHandle> {
  const raw = options.url ?? '';
  if (!PostgresUrl.safeParse(raw).success) {
    // Security: the URL may hold a password, so it is not echoed.
    throw new InputError(options.url ? 'url' : CLUSTER_ENV.url, 'must be a postgresql:// URL, e.g. postgresql://user:password@127.0.0.1:5433/db');
  }
  const parsed = new URL(raw);
  const database = decodeURIComponent(parsed.pathname.slice(1)) || options.database;
  const url = withDatabase(raw, database);
  if (options.replicas > 0) options.log(`url provider: ${nodeAddress(url)} is used as a single node; no replicas`);
  const role = await withClient({ url, connectTimeoutMs: 5_000 }, `connecting to ${nodeAddress(url)}`, async (c) => {
    for (const ext of options.extensions) await c.query(`create extension if not exists "${ext}"`);
    const { rows } = await c.query<{ r: boolean }>('select pg_is_in_recovery() as r');
    return rows[0]?.r ? ('replica' as const) : ('primary' as const);
  });
  options.log(`url provider: using ${nodeAddress(url)}`);
  return new UrlCluster(url, database, decodeURIComponent(parsed.username), role);
}

class UrlCluster implements ClusterHandle {
  readonly provider = 'url' as const;
  readonly baseDir = undefined;
  readonly nodes: readonly NodeHandle[];

  constructor(
    private readonly nodeUrl: string,
    readonly database: string,
    readonly user: string,
    role: NodeRole,
  ) {
    const u = new URL(nodeUrl);
    this.nodes = [
      {
        name: 'node1',
        role,
        host: u.hostname,
        port: Number(u.port || 5432),
        dataDir: undefined,
        logFile: undefined,
        url: (db?: string) => (db ? withDatabase(nodeUrl, db) : nodeUrl),
      },
    ];
  }

  get primary(): NodeHandle {
    return this.nodes[0]!;
  }

  get replicas(): readonly NodeHandle[] {
    return [];
  }

  url(node?: NodeRef, database?: string): string {
    if (node !== undefined) this.check(node);
    return this.primary.url(database);
  }

  status(): Promise<NodeStatus[]> {
    const n = this.primary;
    return queryNodeStatuses([{ name: n.name, role: n.role, host: n.host, port: n.port, url: this.nodeUrl }]);
  }

  async isRunning(node: NodeRef): Promise<boolean> {
    this.check(node);
    return (await this.status())[0]?.state === 'up';
  }

  kill(): Promise<void> {
    return Promise.reject(this.notOurs('kill'));
  }

  restart(): Promise<void> {
    return Promise.reject(this.notOurs('restart'));
  }

  async start(): Promise<void> {
    // The server is not ours to start; nothing to do.
  }

  async stop(): Promise<void> {
    // The server is not ours: stop() leaves it running.
  }

  destroySync(): void {
    // Nothing was created.
  }

  async logs(): Promise<string> {
    return `(the url provider cannot read the server log of ${nodeAddress(this.nodeUrl)})`;
  }

  private check(node: NodeRef): void {
    const name = typeof node === 'string' ? node : node.name;
    if (name !== 'node1') throw new InputError('node', `must be node1, the only node of a url cluster (got ${name})`);
  }

  private notOurs(action: string): PgClusterError {
    return new PgClusterError('NOT_SUPPORTED', `${action} is not supported by the url provider: the server at ${nodeAddress(this.nodeUrl)} is not managed by pgcluster`, {
      hint: "Use the local provider (PGCLUSTER_TEST_PROVIDER=local) for tests that kill or restart nodes.",
    });
  }
}
