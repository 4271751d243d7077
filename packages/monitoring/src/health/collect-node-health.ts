import { withClient, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import { READ_ONLY_SESSION_SQL, serverReason } from '../connection/read-only-session';
import type { CheckId } from './check-catalogue';
import type { Candidate, NodeCheck, NodeCheckContext, NodeFacts } from './node-check';

/**
 * `application_name` of the health check's connections.
 * @example `select count(*) from pg_stat_activity where application_name = '${HEALTH_APPLICATION_NAME}'`
 */
export const HEALTH_APPLICATION_NAME = 'pgcluster-health';

/** The one statement that reads a node's facts before the checks run. */
export const NODE_FACTS_SQL = `
select pg_is_in_recovery() as in_recovery, current_database() as database, current_setting('server_version_num')::int as version_num,
       extract(epoch from now() - pg_postmaster_start_time())::float8 as uptime_seconds,
       (select extversion from pg_extension where extname = 'vector') as vector_version,
       current_setting('block_size')::int as block_size,
       pg_size_bytes(current_setting('shared_buffers'))::float8 as shared_buffers,
       pg_size_bytes(current_setting('effective_cache_size'))::float8 as effective_cache_size,
       pg_size_bytes(current_setting('maintenance_work_mem'))::float8 as maintenance_work_mem,
       current_setting('autovacuum_freeze_max_age')::float8 as autovacuum_freeze_max_age,
       current_setting('synchronous_standby_names') as synchronous_standby_names,
       current_setting('max_connections')::int as max_connections,
       current_setting('superuser_reserved_connections')::int as reserved_connections`;

/** What one check did on one node. */
export type NodeCheckOutcome = { ran: true; candidates: Candidate[] } | { ran: false; reason: string };

/** What the health run learned from one node. */
export interface NodeHealth {
  name: string;
  up: boolean;
  facts?: NodeFacts;
  error?: string;
  queries: number;
  outcomes: Map<CheckId, NodeCheckOutcome>;
}

/** Options of {@link collectNodeHealth}. */
export interface CollectNodeHealthOptions {
  database?: string;
  connectTimeoutMs: number;
  /** The checks for this node's role are chosen once its facts are known. */
  checksFor: (facts: NodeFacts) => readonly NodeCheck[];
  signal?: AbortSignal;
}

/**
 * Runs the checks that apply to one node over ONE connection, one statement at a time, each
 * read-only with a 1 s statement timeout. A check that fails (timeout, permission) is reported
 * as skipped with the server's reason; a node that does not answer comes back `up: false`.
 *
 * @example
 * ```ts
 * const health = await collectNodeHealth(config.nodes[0], { connectTimeoutMs: 2000, checksFor: () => NODE_CHECKS })
 * ```
 */
export async function collectNodeHealth(node: NodeConfig, options: CollectNodeHealthOptions): Promise<NodeHealth> {
  const health: NodeHealth = { name: node.name, up: false, queries: 0, outcomes: new Map() };
  // statement_timeout is enforced by the server: a stopped (SIGSTOP) server that accepted the
  // connection would never answer, so the client is ended after a budget of its own.
  const budgetMs = options.connectTimeoutMs + NODE_BUDGET_MS;
  let timedOut = false;
  try {
    await withClient({ url: node.url, database: options.database, connectTimeoutMs: options.connectTimeoutMs, applicationName: HEALTH_APPLICATION_NAME }, node.name, async (client) => {
      const end = () => void client.end().catch(() => undefined);
      const timer = setTimeout(() => {
        timedOut = true;
        end();
      }, budgetMs);
      options.signal?.addEventListener('abort', end, { once: true });
      try {
        await inspect(client, node, health, options, () => (timedOut ? `no answer within ${budgetMs} ms` : null));
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', end);
      }
    });
  } catch (error) {
    if (!health.up) health.error = timedOut ? `no answer within ${budgetMs} ms` : serverReason(error, node.name);
  }
  return health;
}

/** How long the checks of one node may take in all, after connecting. */
const NODE_BUDGET_MS = 20_000;

async function inspect(client: pg.Client, node: NodeConfig, health: NodeHealth, options: CollectNodeHealthOptions, timedOut: () => string | null): Promise<void> {
  const run = async <R>(text: string, values?: unknown[]): Promise<R[]> => {
    health.queries += 1;
    return (await client.query(text, values)).rows as R[];
  };
  await run(READ_ONLY_SESSION_SQL);
  const [f] = await run<Record<string, unknown>>(NODE_FACTS_SQL);
  const facts: NodeFacts = {
    name: node.name,
    role: f!['in_recovery'] ? 'replica' : 'primary',
    database: f!['database'] as string,
    versionNum: f!['version_num'] as number,
    uptimeSeconds: f!['uptime_seconds'] as number,
    vectorVersion: (f!['vector_version'] as string | null) ?? null,
    blockSize: f!['block_size'] as number,
    sharedBuffersBytes: f!['shared_buffers'] as number,
    effectiveCacheSizeBytes: f!['effective_cache_size'] as number,
    maintenanceWorkMemBytes: f!['maintenance_work_mem'] as number,
    autovacuumFreezeMaxAge: f!['autovacuum_freeze_max_age'] as number,
    synchronousStandbyNames: f!['synchronous_standby_names'] as string,
    maxConnections: f!['max_connections'] as number,
    reservedConnections: f!['reserved_connections'] as number,
  };
  health.up = true;
  health.facts = facts;
  const memo = new Map<string, Promise<unknown>>();
  const ctx: NodeCheckContext = {
    node,
    facts,
    query: run,
    quoteIdent: (name) => client.escapeIdentifier(name),
    once: <T>(key: string, fn: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, fn());
      return memo.get(key) as Promise<T>;
    },
  };
  for (const check of options.checksFor(facts)) {
    if (options.signal?.aborted) break;
    const skip = check.skip?.(ctx) ?? null;
    if (skip !== null) {
      health.outcomes.set(check.id, { ran: false, reason: skip });
      continue;
    }
    try {
      health.outcomes.set(check.id, { ran: true, candidates: await check.collect(ctx) });
    } catch (error) {
      health.outcomes.set(check.id, { ran: false, reason: `query failed: ${timedOut() ?? serverReason(error, node.name)}` });
    }
  }
}
