import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, parseConfig, PgClusterError, RefusedError, withClient, type ClusterConfig, type LoadedConfig, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import { findPrimary } from '../cluster/find-primary';
import { waitForReplicas } from '../cluster/wait-for-replicas';
import { assertConfigUnchanged, configFileOf, sha256, switchConfigLogin, writeSecretFile } from './config-file';
import { authFileLine, bouncerUrl, pgbouncerAuthOf, proveBouncerLogin, reloadPgbouncer, setAuthFileSecret, writeAuthFile, type PgbouncerAuth } from './pgbouncer-auth';
import { replicasNotUpdatable, updateReplicaCredentials } from './replica-credentials';
import { ALT_SUFFIX, type RotateMode, type RotateReport } from './rotate-schema';
import { generatePassword, scramVerifier } from './scram-verifier';

/** `application_name` of the rotation's connections. */
export const ROTATE_APPLICATION_NAME = 'pgcluster-rotate';

/** Role attributes the alternate role copies from the base role (attributes are not inherited through membership). */
const COPIED_ATTRIBUTES = [
  ['rolsuper', 'SUPERUSER'],
  ['rolcreatedb', 'CREATEDB'],
  ['rolcreaterole', 'CREATEROLE'],
  ['rolreplication', 'REPLICATION'],
  ['rolbypassrls', 'BYPASSRLS'],
] as const;

/**
 * Options of {@link rotateCredentials}.
 * @example const options: RotateOptions = { role: 'app', mode: 'alternate', graceSeconds: 600 }
 */
export interface RotateOptions {
  role: string;
  mode: RotateMode;
  graceSeconds: number;
  /** The new password; default a generated one. */
  password?: string;
  /** Names the backup file (the run's audit id); default a timestamp. */
  runId?: string;
  /** Go ahead when replicas stream as the login but cannot be updated here (the caller updates them by hand). */
  manualReplicas?: boolean;
}

/** What a rotation's backup holds (mode 600, in the state dir): enough to undo it. */
interface RotationBackup {
  version: 1;
  time: string;
  role: string;
  mode: RotateMode;
  graceSeconds: number;
  configFile: string;
  /** The config file before the rotation (it already held the previous password, mode 600). */
  previousConfig: string;
  previousLogin: string;
  newLogin: string;
  /** The previous login's VALID UNTIL before the rotation (null: none). */
  previousLoginValidUntil: string | null;
  createdRole: boolean;
  /** PgBouncer's auth file and the new login's line in it before the rotation (null: none), when the config has PgBouncer. */
  pgbouncer?: { authFile: string | null; previousLine: string | null };
  /** sha256 of the config file as the rotation wrote it: undo refuses when it changed since. */
  writtenConfigSha256?: string;
  undone?: string;
}

const q = (c: pg.Client, name: string) => c.escapeIdentifier(name);

/**
 * The statements a rotation runs on the primary, as a plan (the verifier shown as a placeholder).
 * @example rotationStatements('app', 'app_alt', 'alternate', 600)
 */
export function rotationStatements(current: string, target: string, role: string, mode: RotateMode, graceSeconds: number): string[] {
  if (mode === 'single') return [`ALTER ROLE ${target} PASSWORD '<SCRAM-SHA-256 verifier of the new password>'`];
  return [
    ...(target !== role ? [`CREATE ROLE ${target} LOGIN <the attributes of ${role}> IN ROLE ${role} (when it does not exist)`] : []),
    `ALTER ROLE ${target} PASSWORD '<SCRAM-SHA-256 verifier of the new password>' VALID UNTIL 'infinity'`,
    `-- prove a login as ${target} with the new password, switch the config file, update replicas streaming as ${current}`,
    `ALTER ROLE ${current} VALID UNTIL '<now + ${graceSeconds} s>'`,
  ];
}

/**
 * The login the config uses now and the one a rotation moves it to: alternate takes turns
 * between `<role>` and `<role>_alt`; single keeps the login.
 * @throws InputError (`role`) when the config's user is neither.
 * @example loginsOf(config, 'app', 'alternate') // { current: 'app', target: 'app_alt', primary }
 */
export function loginsOf(config: ClusterConfig, role: string, mode: RotateMode): { current: string; target: string } {
  const users = [...new Set((config.nodes ?? []).map((n) => decodeURIComponent(new URL(n.url).username)))];
  const current = users.find((u) => u === role || u === `${role}${ALT_SUFFIX}`);
  if (!current) throw new InputError('role', `must be the config's user (the config logs in as ${users.join(', ') || 'nobody'}; give the base name, without ${ALT_SUFFIX})`);
  return { current, target: mode === 'single' ? current : current === role ? `${role}${ALT_SUFFIX}` : role };
}

/**
 * Rotates the password of the config's login role with no failed connection. Alternate mode
 * (AWS Secrets Manager's alternating users): `<role>_alt`, a member of `<role>` with its
 * attributes, takes turns with `<role>`; the one not in use gets a new password (sent as a
 * SCRAM verifier, so the password never reaches the server log or pg_stat_statements), a login
 * with it is proven, the config file (mode 600) is switched to it, replicas streaming as the old
 * login are pointed at the new one (password file + primary_conninfo), and only then does the
 * old login's password get `VALID UNTIL now + grace`. Single mode changes the login's own
 * password: until each client reloads it, new connections with the old one fail (open ones stay).
 * A backup of the previous config (mode 600, state dir) lets {@link undoRotation} restore it.
 *
 * @throws InputError (`role`) when the role is not the config's user; PgClusterError `ACTION_FAILED` when the new login fails (nothing switched).
 * @example
 * ```ts
 * const report = await rotateCredentials(loadConfig(), { role: 'app', mode: 'alternate', graceSeconds: 3600 })
 * console.log(`${report.previousLogin} → ${report.newLogin}; old password valid until ${report.previousValidUntil}`)
 * ```
 */
export async function rotateCredentials(loaded: LoadedConfig, options: RotateOptions): Promise<RotateReport> {
  const configFile = configFileOf(loaded);
  const config = loaded.config;
  const { current, target } = loginsOf(config, options.role, options.mode);
  const primary = await findPrimary(config);
  const password = options.password ?? generatePassword();
  const verifier = scramVerifier(password);
  const previousConfig = readFileSync(configFile, 'utf8');
  const newUrlOf = (node: NodeConfig) => withLogin(node.url, target, password);
  const replicas = replicasOf(config, primary);
  // Read before anything changes: a PgBouncer the rotation cannot update is refused up front.
  const bouncer = pgbouncerAuthOf(config);
  // Security: a replica left streaming as the old login stops replicating once its password expires.
  const stuck = await replicasNotUpdatable(replicas, current);
  if (stuck.length > 0 && !options.manualReplicas) {
    throw new RefusedError(`replica(s) ${stuck.join(', ')} stream as ${current} (or do not answer) and have no dataDir on this machine, so the rotation could not point them at ${target}; nothing was changed`, {
      hint: "Give each replica's dataDir in the config (on this machine), or pass --manual-replicas and update their primary_conninfo and password file by hand before the old password expires.",
    });
  }

  // 1. The new password on the login not in use (created as a member of the role when missing).
  const { createdRole, previousLoginValidUntil, lsn } = await withClient({ url: primary.url, applicationName: ROTATE_APPLICATION_NAME }, `rotating ${options.role} on ${primary.name}`, async (c) => {
    const roles = await c.query<Record<string, unknown>>('select * from pg_roles where rolname = any($1::text[])', [[options.role, target, current]]);
    const row = (name: string) => roles.rows.find((r) => r['rolname'] === name);
    const before = row(current)?.['rolvaliduntil'] as Date | null | undefined;
    let created = false;
    if (options.mode === 'alternate' && !row(target)) {
      const base = row(options.role);
      if (!base) throw new InputError('role', `role ${options.role} does not exist on ${primary.name}`);
      const attributes = COPIED_ATTRIBUTES.filter(([column]) => base[column] === true).map(([, keyword]) => keyword);
      await c.query(`CREATE ROLE ${q(c, target)} LOGIN ${attributes.join(' ')} IN ROLE ${q(c, options.role)}`);
      created = true;
    }
    // Security: a SCRAM verifier, never the password, crosses the wire and reaches logs and statistics.
    const validity = options.mode === 'alternate' ? " VALID UNTIL 'infinity'" : '';
    await c.query(`ALTER ROLE ${q(c, target)} PASSWORD ${c.escapeLiteral(verifier)}${validity}`);
    return {
      createdRole: created,
      previousLoginValidUntil: before instanceof Date && Number.isFinite(before.getTime()) ? before.toISOString() : null,
      lsn: (await c.query<{ lsn: string }>('select pg_current_wal_flush_lsn()::text as lsn')).rows[0]!.lsn,
    };
  });

  // 2. Prove the login before anything depends on it.
  try {
    await withClient({ url: newUrlOf(primary), applicationName: ROTATE_APPLICATION_NAME }, `logging in as ${target}`, (c) => c.query('select 1'));
  } catch (error) {
    if (options.mode === 'single') await restorePassword(primary, current, previousConfig, target, password);
    throw new PgClusterError('ACTION_FAILED', `the new password of ${target} did not log in on ${primary.name}: ${(error as Error).message}; the config was not switched`, {
      hint: "Check pg_hba.conf for a line that admits the role with scram-sha-256, then rotate again.",
      cause: error,
    });
  }

  // 3. PgBouncer knows the new login (the same SCRAM secret as the server, so it can log in for its clients), proven through it.
  let pgbouncer: Awaited<ReturnType<typeof switchPgbouncer>> | null = null;
  try {
    pgbouncer = bouncer ? await switchPgbouncer(bouncer, target, verifier, newUrlOf(primary)) : null;
  } catch (error) {
    // Single mode changed the login in use: put its password back before giving up (the config was not switched).
    if (options.mode === 'single') {
      const restored = await restorePassword(primary, current, previousConfig, target, password);
      if (bouncer?.authFile) {
        writeAuthFile(bouncer.authFile, setAuthFileSecret(readFileSync(bouncer.authFile, 'utf8'), current, restored));
        await reloadPgbouncer(bouncer.adminUrl).catch(() => undefined);
      }
    }
    throw error;
  }

  // 4. The backup undo needs, then the config (once the replicas know the new login: reads go there too), then the replicas.
  await waitForReplicas(config, primary, lsn);
  const backupFile = join(loaded.stateDir, 'security', `rotate-${options.runId ?? new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const backup: RotationBackup = { version: 1, time: new Date().toISOString(), role: options.role, mode: options.mode, graceSeconds: options.graceSeconds, configFile, previousConfig, previousLogin: current, newLogin: target, previousLoginValidUntil, createdRole, ...(pgbouncer ? { pgbouncer: { authFile: pgbouncer.report.authFile, previousLine: pgbouncer.previousLine } } : {}) };
  const switched = switchConfigLogin(previousConfig, current, target, password).text;
  writeSecretFile(backupFile, `${JSON.stringify({ ...backup, writtenConfigSha256: sha256(switched) }, null, 2)}\n`);
  writeSecretFile(configFile, switched);
  const replicaUpdates = await updateReplicaCredentials(replicas, current, target, password, newUrlOf);

  // 5. Only now the old login's password gets its end (alternate); single mode changed it in step 1.
  let previousValidUntil: string | null = null;
  if (options.mode === 'alternate') {
    previousValidUntil = new Date(Date.now() + options.graceSeconds * 1000).toISOString();
    await withClient({ url: newUrlOf(primary), applicationName: ROTATE_APPLICATION_NAME }, `expiring ${current}`, (c) => c.query(`ALTER ROLE ${q(c, current)} VALID UNTIL ${c.escapeLiteral(previousValidUntil!)}`));
  }
  return {
    action: 'rotate',
    mode: options.mode,
    role: options.role,
    previousLogin: current,
    newLogin: target,
    createdRole,
    previousValidUntil,
    loginProved: true,
    configFile,
    backup: backupFile,
    replicas: replicaUpdates,
    window: windowOf(options.mode, previousValidUntil),
    pgbouncer: pgbouncer?.report ?? null,
  };
}

/**
 * Writes the login's SCRAM secret into PgBouncer's auth file (auth_query needs nothing written),
 * RELOADs PgBouncer and proves a login through it with the new password.
 */
async function switchPgbouncer(bouncer: PgbouncerAuth, login: string, verifier: string, directUrl: string): Promise<{ report: NonNullable<RotateReport['pgbouncer']>; previousLine: string | null }> {
  let previousLine: string | null = null;
  if (bouncer.authFile) {
    const text = existsSync(bouncer.authFile) ? readFileSync(bouncer.authFile, 'utf8') : '';
    previousLine = authFileLine(text, login);
    writeAuthFile(bouncer.authFile, setAuthFileSecret(text, login, verifier));
    await reloadPgbouncer(bouncer.adminUrl);
  }
  const direct = new URL(directUrl);
  await proveBouncerLogin(bouncerUrl(bouncer.adminUrl, login, decodeURIComponent(direct.password), decodeURIComponent(direct.pathname.slice(1)) || login), login);
  return { report: { authFile: bouncer.authFile, reloaded: bouncer.authFile !== null, loginProved: true }, previousLine };
}

/**
 * Undoes a rotation while the previous password still works: the previous login gets back its
 * VALID UNTIL (single mode: its previous password, as a verifier), replicas stream as it again,
 * and the previous config file is restored; the new login keeps its password for the grace
 * period, so clients that already switched do not fail.
 *
 * @throws PgClusterError `ACTION_FAILED` when the previous password no longer logs in; RefusedError when the backup was already undone.
 * @example await undoRotation(loadConfig(), '/srv/app/.pgcluster/security/rotate-01….json')
 */
export async function undoRotation(loaded: LoadedConfig, backupFile: string, role: string): Promise<RotateReport> {
  if (!existsSync(backupFile)) throw new InputError('backup', `${backupFile} does not exist`);
  const backup = JSON.parse(readFileSync(backupFile, 'utf8')) as RotationBackup;
  if (backup.version !== 1 || backup.role !== role) throw new InputError('backup', `${backupFile} is not a rotation backup of role ${role}`);
  if (backup.undone) throw new RefusedError(`the rotation in ${backupFile} was already undone at ${backup.undone}`);
  const previous = parseConfig(JSON.parse(backup.previousConfig), `${backupFile} (previous config)`);
  const now = configFileOf(loaded);
  assertConfigUnchanged(now, backup.writtenConfigSha256, 'the rotation');
  const primary = await findPrimary(loaded.config);
  const previousPrimary = previous.nodes?.find((n) => n.name === primary.name);
  if (!previousPrimary) throw new PgClusterError('ACTION_FAILED', `the previous config has no node ${primary.name}, the primary now`);
  const oldPassword = decodeURIComponent(new URL(previousPrimary.url).password);

  let restoredVerifier: string | null = null;
  if (backup.mode === 'single') {
    restoredVerifier = await restorePassword(primary, backup.previousLogin, backup.previousConfig, backup.newLogin, undefined);
  } else {
    await withClient({ url: primary.url, applicationName: ROTATE_APPLICATION_NAME }, `restoring ${backup.previousLogin}`, async (c) => {
      await c.query(`ALTER ROLE ${q(c, backup.previousLogin)} VALID UNTIL ${c.escapeLiteral(backup.previousLoginValidUntil ?? 'infinity')}`);
    });
  }
  try {
    await withClient({ url: previousPrimary.url, applicationName: ROTATE_APPLICATION_NAME }, `logging in as ${backup.previousLogin}`, (c) => c.query('select 1'));
  } catch (error) {
    throw new PgClusterError('ACTION_FAILED', `the previous password of ${backup.previousLogin} no longer logs in, so the rotation cannot be undone: ${(error as Error).message}`, {
      hint: 'Rotate again instead (pgcluster security-rotate --role <role>).',
      cause: error,
    });
  }
  const replicas = replicasOf(loaded.config, primary);
  const replicaUpdates = await updateReplicaCredentials(replicas, backup.newLogin, backup.previousLogin, oldPassword, (n) => previous.nodes?.find((p) => p.name === n.name)?.url ?? n.url);
  let newLoginValidUntil: string | null = null;
  if (backup.mode === 'alternate') {
    newLoginValidUntil = new Date(Date.now() + backup.graceSeconds * 1000).toISOString();
    await withClient({ url: previousPrimary.url, applicationName: ROTATE_APPLICATION_NAME }, `expiring ${backup.newLogin}`, (c) => c.query(`ALTER ROLE ${q(c, backup.newLogin)} VALID UNTIL ${c.escapeLiteral(newLoginValidUntil!)}`));
  }
  // PgBouncer: single mode puts the login's restored secret back (alternate keeps the new login's line: it stays valid for the grace period).
  let pgbouncer: RotateReport['pgbouncer'] = null;
  if (backup.pgbouncer) {
    const bouncer = pgbouncerAuthOf(loaded.config);
    if (bouncer?.authFile && restoredVerifier) {
      writeAuthFile(bouncer.authFile, setAuthFileSecret(existsSync(bouncer.authFile) ? readFileSync(bouncer.authFile, 'utf8') : '', backup.previousLogin, restoredVerifier));
      await reloadPgbouncer(bouncer.adminUrl);
    }
    if (bouncer) {
      const u = new URL(previousPrimary.url);
      await proveBouncerLogin(bouncerUrl(bouncer.adminUrl, backup.previousLogin, oldPassword, decodeURIComponent(u.pathname.slice(1)) || backup.previousLogin), backup.previousLogin);
      pgbouncer = { authFile: bouncer.authFile, reloaded: bouncer.authFile !== null && restoredVerifier !== null, loginProved: true };
    }
  }
  writeSecretFile(now, backup.previousConfig);
  const undoneAt = new Date().toISOString();
  writeSecretFile(backupFile, `${JSON.stringify({ ...backup, undone: undoneAt }, null, 2)}\n`);
  return {
    action: 'undo',
    mode: backup.mode,
    role,
    previousLogin: backup.newLogin,
    newLogin: backup.previousLogin,
    createdRole: false,
    previousValidUntil: newLoginValidUntil,
    loginProved: true,
    configFile: now,
    backup: backupFile,
    replicas: replicaUpdates,
    window: windowOf(backup.mode, newLoginValidUntil),
    pgbouncer,
  };
}

function windowOf(mode: RotateMode, validUntil: string | null): string {
  return mode === 'alternate'
    ? `none: both logins work until ${validUntil}; clients must reload the config before then`
    : 'new connections with the old password fail from the password change until each client reloads the config; open connections are unaffected';
}

/** Single mode: puts the previous password back (from the previous config), as a verifier; returns that verifier (PgBouncer's auth file gets the same). */
async function restorePassword(primary: NodeConfig, login: string, previousConfig: string, connectAs: string, connectPassword: string | undefined): Promise<string> {
  const previous = parseConfig(JSON.parse(previousConfig), 'the previous config');
  const old = previous.nodes?.find((n) => n.name === primary.name)?.url ?? primary.url;
  const oldPassword = decodeURIComponent(new URL(old).password);
  const url = connectPassword ? withLogin(primary.url, connectAs, connectPassword) : primary.url;
  const verifier = scramVerifier(oldPassword);
  await withClient({ url, applicationName: ROTATE_APPLICATION_NAME }, `restoring ${login}'s previous password`, (c) => c.query(`ALTER ROLE ${q(c, login)} PASSWORD ${c.escapeLiteral(verifier)}`));
  return verifier;
}

function withLogin(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

function replicasOf(config: ClusterConfig, primary: NodeConfig): NodeConfig[] {
  return (config.nodes ?? []).filter((n) => n.name !== primary.name);
}
