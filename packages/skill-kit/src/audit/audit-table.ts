import { nodeAddress, requirePrimary, type TopologyProvider } from '@pgcluster/core';
import pg from 'pg';
import type { SkillLogger } from '../skill/skill-meta';
import type { AuditRecord } from './audit-log';

/**
 * The audit table on the primary; its columns mirror {@link AuditRecord} in snake_case.
 * @example
 * ```sql
 * select time, skill, actor, status, error_code, outcome from pgcluster.audit_log order by id desc limit 20
 * ```
 */
export const AUDIT_TABLE = 'pgcluster.audit_log';

/**
 * Creates the audit table, or brings one an older version made up to date (idempotent); run only
 * when it is missing or out of date and the run was not a dry run.
 */
export const AUDIT_TABLE_DDL = `create schema if not exists pgcluster;
create table if not exists pgcluster.audit_log (
  id text primary key,
  time timestamptz not null,
  skill text not null,
  actor text not null,
  input jsonb not null,
  dry_run boolean not null,
  status text not null,
  error_code text,
  duration_ms integer not null,
  rollback jsonb,
  undo_of text,
  outcome jsonb
);
alter table pgcluster.audit_log add column if not exists outcome jsonb`;

const COLUMNS = 'id, time, skill, actor, input, dry_run, status, error_code, duration_ms, rollback, undo_of';
const VALUES = '$1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10::jsonb, $11';
// outcome (the skill's summary, SkillResult.outcome) came later: a dry run does not migrate an older table, so it writes without it.
const INSERT = `insert into pgcluster.audit_log (${COLUMNS}, outcome) values (${VALUES}, $12::jsonb) on conflict (id) do nothing`;
const INSERT_WITHOUT_OUTCOME = `insert into pgcluster.audit_log (${COLUMNS}) values (${VALUES}) on conflict (id) do nothing`;

/** Where and how the audit table is written. */
export interface AuditTableConfig {
  /** Finds the primary: the cluster's topology provider (static nodes or Patroni), as every package uses. */
  topology: TopologyProvider;
  /** The write, connecting included, gives up after this long. */
  timeoutMs: number;
  log: SkillLogger;
}

interface Primary {
  name: string;
  client: pg.Client;
  hasTable: boolean;
  /** Whether the table has the outcome column (tables made before it was added do not). */
  hasOutcome: boolean;
}

/** A connection to the audit table being opened; see {@link openAuditTable}. */
export interface AuditTable {
  /**
   * Inserts one record (creating the table first when `createTable` and it is missing), then
   * closes every connection. Best-effort: never throws; failures are logged at debug level.
   * @returns the name of the node written to, or undefined when nothing was written.
   */
  write(record: AuditRecord, createTable: boolean): Promise<string | undefined>;
  /** Closes every connection without writing (a run that is not recorded in the table). */
  close(): Promise<void>;
}

/**
 * Starts finding the primary for the audit table right away, through the cluster's topology
 * (so a split brain, two nodes answering "not in recovery", writes no row anywhere: the record
 * stays in the audit file), so that a run can overlap the connecting with its own work and the
 * write at its end costs one INSERT.
 *
 * @example
 * ```ts
 * const table = openAuditTable({ topology: createTopologyProvider(config), timeoutMs: 2_000, log })
 * // … run the skill …
 * await table.write(record, true)
 * ```
 */
export function openAuditTable(config: AuditTableConfig): AuditTable {
  const clients = new Set<pg.Client>();
  const closeAll = () => Promise.all([...clients].map((c) => (clients.delete(c), c.end().catch(() => undefined))));
  const primary = findPrimary(config, clients);
  return {
    async write(record, createTable) {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          config.log.debug(`audit table: gave up after ${config.timeoutMs} ms`);
          resolve(undefined);
        }, config.timeoutMs);
      });
      try {
        return await Promise.race([insert(record, await primary, createTable, config.log), expired]);
      } catch (error) {
        config.log.debug(`audit table: ${(error as Error).message}`);
        return undefined;
      } finally {
        clearTimeout(timer);
        await closeAll();
      }
    },
    async close() {
      await closeAll();
    },
  };
}

async function insert(record: AuditRecord, primary: Primary | undefined, createTable: boolean, log: SkillLogger): Promise<string | undefined> {
  if (!primary) {
    log.debug('audit table: no writable primary answered; the record is only in the audit file');
    return undefined;
  }
  if (!primary.hasTable && !createTable) return undefined;
  const migrate = createTable && !(primary.hasTable && primary.hasOutcome);
  if (migrate) await primary.client.query(AUDIT_TABLE_DDL);
  const withOutcome = migrate || primary.hasOutcome;
  // Security: every value is a bound parameter; the input and summary were redacted before they got here.
  await primary.client.query(withOutcome ? INSERT : INSERT_WITHOUT_OUTCOME, [
    record.id,
    record.time,
    record.skill,
    record.actor,
    JSON.stringify(record.input ?? null),
    record.dryRun,
    record.outcome.status,
    record.outcome.errorCode ?? null,
    Math.round(record.durationMs),
    record.rollback ? JSON.stringify(record.rollback) : null,
    record.undoOf ?? null,
    ...(withOutcome ? [record.outcome.summary ? JSON.stringify(record.outcome.summary) : null] : []),
  ]);
  return primary.name;
}

/** Resolves the primary through the topology and opens the connection the record is written on. */
async function findPrimary(config: AuditTableConfig, clients: Set<pg.Client>): Promise<Primary | undefined> {
  const timeout = AbortSignal.timeout(config.timeoutMs);
  let member;
  try {
    member = requirePrimary(await config.topology.resolve(timeout), 'the audit row');
  } catch (error) {
    config.log.debug(`audit table: ${(error as Error).message}`);
    return undefined;
  }
  const client = new pg.Client({
    connectionString: member.url,
    application_name: 'pgcluster-audit',
    connectionTimeoutMillis: config.timeoutMs,
    statement_timeout: config.timeoutMs,
    lock_timeout: Math.max(100, Math.floor(config.timeoutMs / 2)),
  });
  client.on('error', () => undefined);
  clients.add(client);
  try {
    await client.connect();
    const { rows } = await client.query<{ in_recovery: boolean; has_table: boolean; has_outcome: boolean }>(
      `select pg_is_in_recovery() as in_recovery, to_regclass('pgcluster.audit_log') is not null as has_table,
              exists (select 1 from pg_attribute where attrelid = to_regclass('pgcluster.audit_log') and attname = 'outcome' and not attisdropped) as has_outcome`,
    );
    const row = rows[0];
    // Demoted since the topology was resolved: no row rather than a failed write.
    return row && !row.in_recovery ? { name: member.name, client, hasTable: row.has_table, hasOutcome: row.has_outcome } : undefined;
  } catch (error) {
    config.log.debug(`audit table: ${member.name} (${nodeAddress(member.url)}): ${(error as Error).message}`);
    return undefined;
  }
}
