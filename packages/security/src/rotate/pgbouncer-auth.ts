import { chownSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, PgClusterError, withClient, type ClusterConfig } from '@pgcluster/core';

/** `application_name` of the connections to PgBouncer. */
const APPLICATION_NAME = 'pgcluster-security';

/**
 * The `[pgbouncer]` section of a `pgbouncer.ini` as key → value (keys lower-case, later lines win).
 * @example pgbouncerSettings('[pgbouncer]\nauth_file = /etc/pgbouncer/userlist.txt\n').get('auth_file') // '/etc/pgbouncer/userlist.txt'
 */
export function pgbouncerSettings(ini: string): Map<string, string> {
  const settings = new Map<string, string>();
  let inSection = false;
  for (const line of ini.split('\n')) {
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (section) {
      inSection = section[1]!.trim().toLowerCase() === 'pgbouncer';
      continue;
    }
    const kv = inSection ? /^\s*([a-z_]+)\s*=\s*(.*?)\s*$/i.exec(line) : null;
    if (kv && !line.trimStart().startsWith(';') && !line.trimStart().startsWith('#')) settings.set(kv[1]!.toLowerCase(), kv[2]!);
  }
  return settings;
}

/** An auth_file value, quoted as PgBouncer reads it (`"` doubled). */
function quote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** The user a line of an auth file names, or null for a comment or a blank line. */
function lineUser(line: string): string | null {
  const m = /^\s*"((?:[^"]|"")*)"/.exec(line);
  return m ? m[1]!.replace(/""/g, '"') : null;
}

/**
 * An auth file's text with `user`'s line set to `secret` (replaced where it is, appended when
 * missing), or removed when `secret` is null. Every other line is kept as it is.
 * @example setAuthFileSecret('"app" "SCRAM-SHA-256$…"\n', 'app_alt', 'SCRAM-SHA-256$…') // both lines
 */
export function setAuthFileSecret(text: string, user: string, secret: string | null): string {
  const lines = text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  const at = lines.findIndex((l) => lineUser(l) === user);
  const line = secret === null ? null : `${quote(user)} ${quote(secret)}`;
  if (at >= 0) {
    if (line === null) lines.splice(at, 1);
    else lines[at] = line;
  } else if (line !== null) lines.push(line);
  return `${lines.join('\n')}\n`;
}

/**
 * The line an auth file holds for `user`, or null.
 * @example authFileLine(text, 'app') // '"app" "SCRAM-SHA-256$…"'
 */
export function authFileLine(text: string, user: string): string | null {
  return text.split('\n').find((l) => lineUser(l) === user) ?? null;
}

/** Where PgBouncer takes its users from, per its configuration file. */
export interface PgbouncerAuth {
  iniFile: string;
  /** auth_file (absolute), or null when PgBouncer looks users up with auth_query only. */
  authFile: string | null;
  adminUrl: string;
}

/**
 * PgBouncer's auth source from the config's `pgbouncer.configFile`; null when the config has no PgBouncer.
 * @throws ConfigError naming `pgbouncer.configFile` when PgBouncer is configured without it, or it cannot be read.
 * @example pgbouncerAuthOf(loadConfig().config) // { iniFile, authFile: '/srv/pgbouncer/userlist.txt', adminUrl }
 */
export function pgbouncerAuthOf(config: ClusterConfig): PgbouncerAuth | null {
  const bouncer = config.pgbouncer;
  if (!bouncer) return null;
  if (!bouncer.configFile) {
    throw new ConfigError("pgbouncer.configFile: PgBouncer is configured but not its pgbouncer.ini, so its auth file cannot be updated and clients through it would fail with the new login; nothing was changed", {
      hint: "Set pgbouncer.configFile to the pgbouncer.ini PgBouncer runs with, on this machine (its auth_file is updated and PgBouncer reloaded).",
    });
  }
  let ini: string;
  try {
    ini = readFileSync(bouncer.configFile, 'utf8');
  } catch (error) {
    throw new ConfigError(`pgbouncer.configFile ${bouncer.configFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const settings = pgbouncerSettings(ini);
  const file = settings.get('auth_file');
  const authFile = file ? (isAbsolute(file) ? file : resolve(dirname(bouncer.configFile), file)) : null;
  if (!authFile && !settings.get('auth_query') && !settings.get('auth_user')) {
    throw new ConfigError(`pgbouncer.configFile ${bouncer.configFile} names neither auth_file nor auth_query/auth_user: the rotation does not know where PgBouncer's users come from`);
  }
  return { iniFile: bouncer.configFile, authFile, adminUrl: bouncer.adminUrl };
}

/**
 * Writes an auth file atomically with the mode and owner it had (PgBouncer runs as its own user).
 * @example writeAuthFile('/srv/pgbouncer/userlist.txt', text)
 */
export function writeAuthFile(path: string, text: string): void {
  const before = existsSync(path) ? statSync(path) : undefined;
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.userlist.tmp`);
  // Security: SCRAM secrets, never passwords; mode 600 unless the file was stricter.
  writeFileSync(tmp, text, { mode: before ? before.mode & 0o777 & 0o600 : 0o600 });
  if (before) chownSync(tmp, before.uid, before.gid);
  renameSync(tmp, path);
}

/**
 * Tells PgBouncer to reread its configuration and auth file (`RELOAD` on the admin console).
 * @example await reloadPgbouncer(config.pgbouncer.adminUrl)
 */
export async function reloadPgbouncer(adminUrl: string): Promise<void> {
  await withClient({ url: adminUrl, connectTimeoutMs: 5_000, applicationName: APPLICATION_NAME }, 'reloading PgBouncer', (c) => c.query('RELOAD'));
}

/**
 * A client URL through PgBouncer: the admin URL's host and port, with `user`, `password` and `database`.
 * @example bouncerUrl(adminUrl, 'app_alt', password, 'app')
 */
export function bouncerUrl(adminUrl: string, user: string, password: string, database: string): string {
  const u = new URL(adminUrl);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * Proves a login through PgBouncer (a server connection included: `select 1`), retrying briefly
 * while the RELOAD is applied.
 * @throws PgClusterError `ACTION_FAILED` with PgBouncer's message.
 * @example await proveBouncerLogin(bouncerUrl(adminUrl, 'app_alt', password, 'app'), 'app_alt')
 */
export async function proveBouncerLogin(url: string, user: string): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      await withClient({ url, connectTimeoutMs: 5_000, applicationName: APPLICATION_NAME }, `logging in as ${user} through PgBouncer`, (c) => c.query('select 1'));
      return;
    } catch (error) {
      if (Date.now() > until) {
        throw new PgClusterError('ACTION_FAILED', `a login as ${user} through PgBouncer failed: ${(error as Error).message}`, {
          hint: "Check PgBouncer's log and that its auth_type is scram-sha-256 (or md5) with the auth file the config names.",
          cause: error,
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
