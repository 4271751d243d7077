import { InputError, PgClusterError, urlWithDatabase, withClient, type ClusterConfig } from '@pgcluster/core';
import { createTopologyProvider, type TopologyMember, type TopologyProvider } from '@pgcluster/pools';

/** Phases a long backup operation reports progress for. */
/** The default timeout of the actions that copy a whole cluster (a backup, a restore, a drill): 30 minutes. */
export const CLUSTER_COPY_TIMEOUT_MS = 1_800_000;

export const BACKUP_PHASES = ['backup', 'verify', 'restore'] as const;
/** One of {@link BACKUP_PHASES}. */
export type BackupPhase = (typeof BACKUP_PHASES)[number];

/** A progress report: bytes written (backup, restore) or read (verify) so far. */
export interface BackupProgress {
  phase: BackupPhase;
  /** The database being dumped or restored, for logical backups. */
  database?: string;
  bytes: number;
}

/** What every backup function needs: the cluster, where the catalogue lives, and hooks. */
export interface BackupContext {
  config: ClusterConfig;
  /** The absolute state dir (`LoadedConfig.stateDir`); backups go to `<stateDir>/backups`. */
  stateDir: string;
  signal?: AbortSignal;
  /** Called about twice a second during long runs. */
  onProgress?: (progress: BackupProgress) => void;
  /** Where the primary is found; default the provider the config implies (static or Patroni). */
  provider?: TopologyProvider;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The current primary, or an `UNREACHABLE` error naming what the topology saw.
 * @example
 * ```ts
 * const primary = await resolvePrimary(ctx)
 * ```
 */
export async function resolvePrimary(ctx: BackupContext): Promise<TopologyMember> {
  const topology = await (ctx.provider ?? createTopologyProvider(ctx.config)).resolve(ctx.signal);
  if (!topology.primary) {
    throw new PgClusterError('UNREACHABLE', `no primary to work with: ${topology.problems.join('; ') || 'none found'}`, {
      hint: 'Check the cluster with pgcluster cluster-status.',
    });
  }
  return topology.primary;
}

/**
 * Checks a database name and quotes it for SQL.
 * @throws InputError naming `field`.
 * @example
 * ```ts
 * quoteDatabase('app_restored', 'target') // '"app_restored"'
 * ```
 */
export function quoteDatabase(name: string, field: string): string {
  // Security: database names reach SQL as identifiers; only lower-case identifiers pass, and they are quoted.
  if (!IDENTIFIER.test(name)) throw new InputError(field, 'must be a lower-case identifier (letters, digits, _; at most 63 characters)');
  return `"${name}"`;
}

/**
 * Maps names given by the user (a key of `config.databases`, or a database name) to database
 * names that exist on the primary; default every configured database, else the URL's.
 * @throws InputError naming `databases` and what exists.
 * @example
 * ```ts
 * await resolveDatabases(ctx, primary, ['project']) // ['app']
 * ```
 */
export async function resolveDatabases(ctx: BackupContext, primary: TopologyMember, names: readonly string[] | undefined): Promise<string[]> {
  const configured = ctx.config.databases;
  const wanted = names?.length
    ? names.map((n) => configured[n] ?? n)
    : Object.values(configured).length
      ? Object.values(configured)
      : [decodeURIComponent(new URL(primary.url).pathname.slice(1)) || 'postgres'];
  for (const name of wanted) quoteDatabase(name, 'databases');
  const existing = await listDatabases(primary);
  const missing = wanted.filter((n) => !existing.includes(n));
  if (missing.length) {
    throw new InputError('databases', `${missing.join(', ')} not found; databases on the primary: ${existing.join(', ')}`);
  }
  return [...new Set(wanted)];
}

/**
 * Databases on a node that accept connections, templates excluded.
 * @example
 * ```ts
 * await listDatabases(primary) // ['app', 'postgres', 'shared']
 * ```
 */
export async function listDatabases(member: TopologyMember): Promise<string[]> {
  return withClient({ url: maintenanceUrl(member.url) }, `listing databases on ${member.name}`, async (c) => {
    const { rows } = await c.query<{ datname: string }>('select datname from pg_database where datallowconn and not datistemplate order by 1');
    return rows.map((r) => r.datname);
  });
}

/**
 * The node URL pointed at the `postgres` maintenance database (for CREATE/ALTER/DROP DATABASE).
 * @example
 * ```ts
 * maintenanceUrl('postgresql://u:p@h:5432/app') // 'postgresql://u:p@h:5432/postgres'
 * ```
 */
export function maintenanceUrl(url: string): string {
  return urlWithDatabase(url, 'postgres');
}
