import type { NodeConfig } from '@pgcluster/core';
import type { SkillReference } from '@pgcluster/skill-kit';
import type { CheckId } from './check-catalogue';

/** What one node told the health check before any check ran (one query). */
export interface NodeFacts {
  name: string;
  role: 'primary' | 'replica';
  /** The database the connection inspects (table, index and pgvector checks look only there). */
  database: string;
  versionNum: number;
  uptimeSeconds: number;
  /** pgvector's version in that database, or null when it is not installed there. */
  vectorVersion: string | null;
  blockSize: number;
  sharedBuffersBytes: number;
  effectiveCacheSizeBytes: number;
  maintenanceWorkMemBytes: number;
  autovacuumFreezeMaxAge: number;
  synchronousStandbyNames: string;
  maxConnections: number;
  /** superuser_reserved_connections */
  reservedConnections: number;
}

/** One read-only statement on the node's single connection; values are bound, never interpolated. */
export type QueryRows = <R = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

/** What a node check gets: the node, its facts and its connection. */
export interface NodeCheckContext {
  node: NodeConfig;
  facts: NodeFacts;
  query: QueryRows;
  /** Quotes an identifier for the few statements built from catalogue names (sequences). */
  quoteIdent: (name: string) => string;
  /** Runs `fn` once per node and run for `key`: checks that read the same rows share one query. */
  once: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
}

/** A candidate finding: the check's value for one object, before thresholds decide its severity. */
export interface Candidate {
  object: string;
  value: number;
  message: string;
  recommendation: SkillReference;
  /** Never report above warning (an unreliable estimate, for instance). */
  maxSeverity?: 'warning';
}

/**
 * The implementation of one catalogue check that runs on a node.
 * @example
 * ```ts
 * const check: NodeCheck = { id: 'pending_restart', collect: async ({ query }) => [] }
 * ```
 */
export interface NodeCheck {
  id: CheckId;
  /** Why it cannot run on this node (e.g. pgvector missing), or null. */
  skip?(ctx: NodeCheckContext): string | null;
  /** Every object worth judging, with its value in the check's unit. */
  collect(ctx: NodeCheckContext): Promise<Candidate[]>;
}

/**
 * A typed reference to a skill, for a recommendation.
 * @example ref('maintenance-vacuum', { table: 'public.items' }, 'reclaims the dead rows')
 */
export function ref(skill: string, input: Record<string, unknown>, why?: string): SkillReference {
  return { skill, input, ...(why === undefined ? {} : { why }) };
}

/** Rounds for messages: 1234.5678 → 1234.57. */
export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * Bytes for messages: 1536 → '1.5 KiB'.
 * @example formatBytes(64 * 1024 * 1024) // '64 MiB'
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${round(v, 1)} ${units[i]}`;
}

/** The SQL condition that excludes system schemas, for a schema-name column. */
export function userSchema(column: string): string {
  return `${column} not in ('pg_catalog', 'information_schema') and ${column} !~ '^pg_(toast|temp_)'`;
}
