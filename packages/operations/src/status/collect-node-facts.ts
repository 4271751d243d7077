import { performance as perf } from 'node:perf_hooks';
import { PgClusterError, QueryError, nodeAddress, withClient, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import type { HnswIndex } from './cluster-status-schema';
import type { HnswFacts, NodeFacts, PerformanceFacts, PerformanceSample, SenderFacts } from './node-facts';
import {
  EXTENSIONS_SQL,
  HNSW_INDEXES_SQL,
  NODE_SQL,
  PING_SQL,
  REPLICA_SQL,
  SENDERS_SQL,
  UNINDEXED_VECTORS_SQL,
  performanceSampleSql,
} from './status-queries';

/**
 * How {@link collectNodeFacts} reaches one node.
 * @example const options: CollectNodeOptions = { connectTimeoutMs: 2000, sampleMs: 0 }
 */
export interface CollectNodeOptions {
  /** Connect to this database instead of the URL's. */
  database?: string;
  /** Give up connecting after this long. */
  connectTimeoutMs: number;
  /** Performance window on a primary, ms; 0 takes one sample. */
  sampleMs: number;
  signal?: AbortSignal;
}

/**
 * `application_name` of the status check's connections (so they can be told apart in pg_stat_activity).
 * @example `select count(*) from pg_stat_activity where application_name = '${STATUS_APPLICATION_NAME}'`
 */
export const STATUS_APPLICATION_NAME = 'pgcluster-status';

/**
 * Collects everything the status report needs from one node over one short-lived client
 * (closed at the end). Never throws for a node problem: an unreachable or failing node comes
 * back with `up: false` and a reason free of secrets.
 *
 * @example
 * ```ts
 * const facts = await collectNodeFacts(config.nodes[0], { connectTimeoutMs: 2000, sampleMs: 300 })
 * facts.up && facts.inRecovery // true on a replica
 * ```
 */
export async function collectNodeFacts(node: NodeConfig, options: CollectNodeOptions): Promise<NodeFacts> {
  const base = { name: node.name, address: nodeAddress(databaseUrl(node.url, options.database)) };
  // Queries on a connected node must not hang the report either (a stopped process accepts
  // the TCP connection and the startup packet may already be answered): end the client.
  const queryBudgetMs = Math.max(2_000, options.connectTimeoutMs) + options.sampleMs + 3_000;
  const started = perf.now();
  let timedOut = false;
  try {
    return await withClient(
      { url: node.url, database: options.database, connectTimeoutMs: options.connectTimeoutMs, applicationName: STATUS_APPLICATION_NAME },
      node.name,
      async (client) => {
        const connectMs = perf.now() - started;
        const end = () => void client.end().catch(() => undefined);
        const timer = setTimeout(() => {
          timedOut = true;
          end();
        }, queryBudgetMs);
        options.signal?.addEventListener('abort', end, { once: true });
        try {
          return await inspect(client, base, connectMs, options);
        } finally {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', end);
        }
      },
    );
  } catch (error) {
    if (options.signal?.aborted) throw new PgClusterError('ABORTED', `status check of ${node.name} was cancelled`, { cause: error });
    const reason = timedOut ? `no answer within ${queryBudgetMs} ms` : describeNodeError(error, node.name, options.connectTimeoutMs);
    return { ...base, up: false, error: reason };
  }
}

async function inspect(
  client: pg.Client,
  base: { name: string; address: string },
  connectMs: number,
  options: CollectNodeOptions,
): Promise<NodeFacts> {
  const t0 = perf.now();
  await client.query(PING_SQL);
  const latencyMs = perf.now() - t0;
  const row = (await client.query(NODE_SQL)).rows[0] as {
    in_recovery: boolean;
    read_only: boolean;
    version: string;
    version_num: number;
    max_connections: number;
    database: string;
    active: number;
    executing: number;
    idle_in_transaction: number;
  };
  const facts: NodeFacts = {
    ...base,
    up: true,
    connectMs,
    latencyMs,
    inRecovery: row.in_recovery,
    ...(!row.in_recovery && row.read_only ? { fenced: true } : {}),
    version: row.version,
    versionNum: row.version_num,
    pool: { active: row.active, max: row.max_connections, executing: row.executing, idleInTransaction: row.idle_in_transaction },
  };

  const ext = (await client.query(EXTENSIONS_SQL)).rows[0] as { vector_version: string | null; pgss_schema: string | null };
  let firstSample: PerformanceSample | null = null;
  let pgss: { schema: string | null; problem: string | null } = { schema: null, problem: null };
  if (!row.in_recovery) {
    // Sample first so the window overlaps the remaining catalog queries, not just a sleep.
    pgss = ext.pgss_schema === null ? { schema: null, problem: `not installed in database ${row.database}` } : { schema: ext.pgss_schema, problem: null };
    try {
      firstSample = await sample(client, pgss.schema);
    } catch (error) {
      if (pgss.schema === null) throw error;
      // Installed but not preloaded: "pg_stat_statements must be loaded via shared_preload_libraries".
      pgss = { schema: null, problem: serverMessage(error) };
      firstSample = await sample(client, null);
    }
  }

  if (row.in_recovery) {
    const r = (await client.query(REPLICA_SQL)).rows[0] as {
      receive_lsn: string | null;
      replay_lsn: string | null;
      gap_bytes: number | null;
      delay_seconds: number | null;
      receiver_status: string | null;
      slot_name: string | null;
    };
    facts.replica = {
      receiveLsn: r.receive_lsn,
      replayLsn: r.replay_lsn,
      gapBytes: r.gap_bytes,
      delaySeconds: r.delay_seconds,
      receiverStatus: r.receiver_status,
      slotName: r.slot_name,
    };
  } else {
    facts.senders = (await client.query(SENDERS_SQL)).rows.map(
      (s): SenderFacts => ({
        pid: s.pid,
        applicationName: s.application_name,
        slotName: s.slot_name,
        state: s.state,
        syncState: s.sync_state,
        lagBytes: s.lag_bytes,
        writeLagS: s.write_lag_s,
        flushLagS: s.flush_lag_s,
        replayLagS: s.replay_lag_s,
      }),
    );
  }

  try {
    facts.hnsw = await readHnsw(client, row.database, ext.vector_version);
  } catch (error) {
    facts.hnswError = serverMessage(error);
  }

  if (firstSample) {
    let second: PerformanceSample | null = null;
    if (options.sampleMs > 0) {
      const wait = options.sampleMs - (perf.now() - firstSample.atMs);
      if (wait > 0) await sleep(wait, options.signal);
      second = await sample(client, pgss.schema);
    }
    const p: PerformanceFacts = { first: firstSample, second, statementsAvailable: pgss.schema !== null, statementsProblem: pgss.problem };
    facts.performance = p;
  }
  return facts;
}

async function sample(client: pg.Client, pgssSchema: string | null): Promise<PerformanceSample> {
  const r = (await client.query(performanceSampleSql(pgssSchema, (id) => client.escapeIdentifier(id)))).rows[0] as {
    xacts: number;
    calls: number | null;
    exec_ms: number | null;
  };
  return { atMs: perf.now(), xacts: r.xacts, calls: r.calls, execMs: r.exec_ms };
}

async function readHnsw(client: pg.Client, database: string, vectorVersion: string | null): Promise<HnswFacts> {
  if (vectorVersion === null) return { database, vectorVersion, indexes: [], unindexedVectorColumns: [] };
  const indexes = (await client.query(HNSW_INDEXES_SQL)).rows as HnswIndex[];
  const unindexed = (await client.query(UNINDEXED_VECTORS_SQL)).rows as HnswFacts['unindexedVectorColumns'];
  return { database, vectorVersion, indexes, unindexedVectorColumns: unindexed };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PgClusterError('ABORTED', 'status check was cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PgClusterError('ABORTED', 'status check was cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A short reason a node is down, free of secrets: `connection refused`, `no connection within
 * 2000 ms`, `authentication failed`, or the server's own message (`the database system is
 * shutting down`).
 *
 * @example describeNodeError(err, 'node2', 2000) // 'connection refused'
 */
export function describeNodeError(error: unknown, context: string, connectTimeoutMs: number): string {
  const e = QueryError.from(error, context);
  const code = e instanceof QueryError ? e.sqlState : undefined;
  const text = e.message.startsWith(`${context}: `) ? e.message.slice(context.length + 2) : e.message;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ETIMEDOUT':
      return `no connection within ${connectTimeoutMs} ms`;
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENOTFOUND':
      return 'host name not found';
    case '28P01':
    case '28000':
      return `authentication failed (${text})`;
    default:
      if (/timeout|timed out/i.test(text)) return `no connection within ${connectTimeoutMs} ms`;
      if (/Connection terminated/i.test(text)) return 'connection closed by the server';
      return text;
  }
}

function serverMessage(error: unknown): string {
  const message = QueryError.from(error, 'x').message;
  return message.startsWith('x: ') ? message.slice(3) : message;
}

function databaseUrl(url: string, database: string | undefined): string {
  if (!database) return url;
  try {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  } catch {
    return url;
  }
}
