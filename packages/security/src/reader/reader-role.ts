import { readFileSync } from 'node:fs';
import { PgClusterError, RefusedError, withClient, type LoadedConfig, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import { findPrimary } from '../cluster/find-primary';
import { waitForReplicas } from '../cluster/wait-for-replicas';
import { configFileOf, writeSecretFile } from '../rotate/config-file';
import { generatePassword, scramVerifier } from '../rotate/scram-verifier';
import { DEFAULT_READER_ROLE, type ReaderReport } from './reader-schema';

/** `application_name` of the reader's set-up connections. */
export const READER_APPLICATION_NAME = 'pgcluster-security-reader';

/**
 * The predefined roles the reader is a member of: `pg_monitor` (every statistics view, every
 * setting, pg_stat_statements of all users) and `pg_read_all_data` (SELECT on every table, for
 * vector-search and cluster-query). Nothing that writes.
 */
export const READER_MEMBERSHIPS = ['pg_monitor', 'pg_read_all_data'] as const;

/**
 * Predefined roles the reader must never hold; `init` revokes them. Security: server files and
 * programs (pg_read_file('/etc/passwd'), COPY … PROGRAM), writes and signals stay out of reach.
 */
export const READER_FORBIDDEN_ROLES = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program', 'pg_write_all_data', 'pg_signal_backend', 'pg_checkpoint'] as const;

/**
 * The function that tells the reader which roles hold MD5 hashes or none (for security-audit)
 * without the hashes: SECURITY DEFINER with a fixed search_path, executable by the reader only.
 */
export const PASSWORD_KINDS_FUNCTION = 'pgcluster.role_password_kinds';

const PASSWORD_KINDS_DDL = `CREATE OR REPLACE FUNCTION ${PASSWORD_KINDS_FUNCTION}()
  RETURNS TABLE (rolname text, rolcanlogin boolean, no_password boolean, md5 boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $fn$ select rolname::text, rolcanlogin, rolpassword is null, coalesce(rolpassword like 'md5%', false)
            from pg_catalog.pg_authid where rolname !~ '^pg_' order by rolname $fn$`;

/**
 * The statements `init` runs on the primary, in order (the password as a SCRAM verifier computed
 * here: the plain password never reaches the server, its logs or pg_stat_statements).
 * @example readerStatements('"pgcluster_reader"', { create: true, verifier: "'<verifier>'" })
 */
export function readerStatements(role: string, options: { create: boolean; verifier?: string }): string[] {
  return [
    ...(options.create ? [`CREATE ROLE ${role} LOGIN`] : []),
    `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT${options.verifier ? ` PASSWORD ${options.verifier}` : ''}`,
    `ALTER ROLE ${role} SET default_transaction_read_only = on`,
    `GRANT ${READER_MEMBERSHIPS.join(', ')} TO ${role}`,
    ...READER_FORBIDDEN_ROLES.map((r) => `REVOKE ${r} FROM ${role}`),
    `GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ${role}`,
    `GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO ${role}`,
    'CREATE SCHEMA IF NOT EXISTS pgcluster',
    PASSWORD_KINDS_DDL,
    `REVOKE ALL ON FUNCTION ${PASSWORD_KINDS_FUNCTION}() FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA pgcluster TO ${role}`,
    `GRANT EXECUTE ON FUNCTION ${PASSWORD_KINDS_FUNCTION}() TO ${role}`,
  ];
}

/**
 * The statements `drop` runs on the primary: the reader's grants in the database, the helper
 * function, then the role.
 * @example dropStatements('"pgcluster_reader"')
 */
export function dropStatements(role: string): string[] {
  return [`DROP OWNED BY ${role}`, `DROP FUNCTION IF EXISTS ${PASSWORD_KINDS_FUNCTION}()`, `DROP ROLE ${role}`];
}

/** What the reader's grants amount to, in words (for the report). */
export function readerGrants(): string[] {
  return [
    ...READER_MEMBERSHIPS.map((r) => `member of ${r}`),
    'SELECT on pg_hba_file_rules',
    `EXECUTE on ${PASSWORD_KINDS_FUNCTION}() (which roles hold MD5 hashes or none, never the hashes)`,
    'default_transaction_read_only = on',
    `none of ${READER_FORBIDDEN_ROLES.join(', ')}`,
  ];
}

/** How {@link initReaderRole} and {@link dropReaderRole} run. */
export interface ReaderOptions {
  /** The role; default {@link DEFAULT_READER_ROLE}. */
  user?: string;
  /** Where to report progress. */
  log?: (line: string) => void;
}

/**
 * Creates or refreshes the least-privilege reader on the primary (role, memberships, revocations,
 * the password-kinds helper) and writes `reader: { user, password }` into the config file (mode
 * 600), then proves it: a login works and a write through it is refused. A configured reader whose
 * password still works keeps it; otherwise a new generated one is set. Secrets are never printed.
 *
 * @throws RefusedError when `user` is the configured login itself (it would lose its rights).
 * @throws PgClusterError `NOT_SUPPORTED` when the config is not a file.
 * @example
 * ```ts
 * const report = await initReaderRole(loadConfig())
 * report.verified // true
 * ```
 */
export async function initReaderRole(loaded: LoadedConfig, options: ReaderOptions = {}): Promise<ReaderReport> {
  const user = options.user ?? DEFAULT_READER_ROLE;
  refuseOwnLogin(loaded, user);
  const configFile = configFileOf(loaded);
  const primary = await findPrimary(loaded.config);
  const database = databaseOf(primary);
  const current = loaded.config.reader?.user === user ? loaded.config.reader.password : undefined;
  const keep = current !== undefined && (await canLogin(primary, user, current));
  const password = keep ? current : generatePassword();
  const change = await withClient({ url: primary.url, applicationName: READER_APPLICATION_NAME }, `creating the least-privilege role on ${primary.name}`, async (c) => {
    const exists = (await c.query('select 1 from pg_roles where rolname = $1', [user])).rowCount === 1;
    const verifier = keep ? undefined : c.escapeLiteral(scramVerifier(password));
    await c.query('BEGIN');
    for (const statement of readerStatements(c.escapeIdentifier(user), { create: !exists, ...(verifier ? { verifier } : {}) })) await c.query(statement);
    await c.query('COMMIT');
    return { created: !exists, lsn: (await c.query<{ lsn: string }>('select pg_current_wal_flush_lsn()::text as lsn')).rows[0]!.lsn };
  });
  options.log?.(`${change.created ? 'created' : 'refreshed'} the least-privilege role ${user} on ${primary.name}`);
  // Read skills connect to replicas too: the role and its password must have reached them first.
  const behind = await waitForReplicas(loaded.config, primary, change.lsn);
  if (behind.length > 0) options.log?.(`${behind.join(', ')} had not replayed the new role yet: read skills there fail to log in as ${user} until they do`);
  if (!keep) writeReaderEntry(configFile, { user, password });
  const verified = await proveReadOnly(primary, user, password);
  return { action: 'init', user, node: primary.name, database, created: change.created, passwordSet: !keep, dropped: false, grants: readerGrants(), configFile, verified };
}

/**
 * Removes the reader: its grants, the helper function and the role on the primary, and the
 * `reader` entry of the config file (read skills then connect as the configured login again).
 * @example await dropReaderRole(loadConfig())
 */
export async function dropReaderRole(loaded: LoadedConfig, options: ReaderOptions = {}): Promise<ReaderReport> {
  const user = options.user ?? loaded.config.reader?.user ?? DEFAULT_READER_ROLE;
  refuseOwnLogin(loaded, user);
  const configFile = configFileOf(loaded);
  const primary = await findPrimary(loaded.config);
  // The config first: no read skill tries a role that is about to go.
  if (loaded.config.reader?.user === user) writeReaderEntry(configFile, undefined);
  const dropped = await withClient({ url: primary.url, applicationName: READER_APPLICATION_NAME }, `dropping the least-privilege role on ${primary.name}`, async (c) => {
    if ((await c.query('select 1 from pg_roles where rolname = $1', [user])).rowCount !== 1) return false;
    await c.query('BEGIN');
    for (const statement of dropStatements(c.escapeIdentifier(user))) await c.query(statement);
    await c.query('COMMIT');
    return true;
  });
  options.log?.(dropped ? `dropped the role ${user} on ${primary.name}` : `no role ${user} on ${primary.name}`);
  return { action: 'drop', user, node: primary.name, database: databaseOf(primary), created: false, passwordSet: false, dropped, grants: [], configFile, verified: false };
}

/** Security: the configured login (a superuser, usually) is never turned into the reader. */
function refuseOwnLogin(loaded: LoadedConfig, user: string): void {
  const urls = [...(loaded.config.nodes ?? []).map((n) => n.url), ...(loaded.config.patroni?.memberUrl ? [loaded.config.patroni.memberUrl] : [])];
  if (urls.some((url) => decodeURIComponent(new URL(url).username) === user)) {
    throw new RefusedError(`${user} is the configured login itself; making it the read-only role would take its rights away; nothing was changed`, {
      hint: 'Pick another role name (--user), e.g. pgcluster_reader.',
    });
  }
}

function databaseOf(node: NodeConfig): string {
  const path = new URL(node.url).pathname.slice(1);
  return path ? decodeURIComponent(path) : decodeURIComponent(new URL(node.url).username);
}

function asUser(node: NodeConfig, user: string, password: string): string {
  const u = new URL(node.url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

async function canLogin(node: NodeConfig, user: string, password: string): Promise<boolean> {
  try {
    await withClient({ url: asUser(node, user, password), applicationName: READER_APPLICATION_NAME, connectTimeoutMs: 3_000 }, 'checking the reader login', (c) => c.query('select 1'));
    return true;
  } catch {
    return false;
  }
}

/** A login as the reader works, and the server refuses a write through it (read-only by default). */
async function proveReadOnly(node: NodeConfig, user: string, password: string): Promise<boolean> {
  return withClient({ url: asUser(node, user, password), applicationName: READER_APPLICATION_NAME }, 'proving the reader is read-only', async (c: pg.Client) => {
    const who = (await c.query<{ u: string }>('select current_user as u')).rows[0]!.u;
    if (who !== user) throw new PgClusterError('ACTION_FAILED', `logged in as ${who}, not ${user}`);
    try {
      await c.query('create temporary table pgcluster_reader_probe (x int)');
    } catch (error) {
      return (error as { code?: string }).code === '25006';
    }
    await c.query('drop table if exists pgcluster_reader_probe').catch(() => undefined);
    return false;
  });
}

/** Writes or removes the config's `reader` entry, keeping the rest of the file (mode 600, atomically). */
function writeReaderEntry(configFile: string, reader: { user: string; password: string } | undefined): void {
  const raw = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  if (reader) raw['reader'] = reader;
  else delete raw['reader'];
  writeSecretFile(configFile, `${JSON.stringify(raw, null, 2)}\n`);
}
