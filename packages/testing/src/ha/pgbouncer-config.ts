import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** What PgBouncer's configuration says. */
export interface PgbouncerConfigInput {
  host: string;
  port: number;
  /** The file holding the `[databases]` entries (rewritten on failover, then `SIGHUP`). */
  databasesFile: string;
  /** `auth_file`: one line per user with its SCRAM secret. */
  authFile: string;
  pidFile: string;
  logFile: string;
  /** May use the admin console (`SHOW`, `SET`, `RELOAD`). */
  adminUser: string;
  /** Server connections per user/database pair. */
  defaultPoolSize: number;
}

/**
 * Renders `pgbouncer.ini`: transaction pooling on loopback, SCRAM auth from an auth file, the
 * admin console for {@link PgbouncerConfigInput.adminUser}, databases from an included file.
 *
 * @example
 * ```ts
 * writeFileSync('pgbouncer.ini', renderPgbouncerIni({ host: '127.0.0.1', port: 6433, databasesFile, authFile,
 *   pidFile, logFile, adminUser: 'pgbouncer_admin', defaultPoolSize: 10 }))
 * ```
 */
export function renderPgbouncerIni(input: PgbouncerConfigInput): string {
  return [
    '; Written by @pgcluster/testing.',
    '[databases]',
    `%include ${input.databasesFile}`,
    '',
    '[pgbouncer]',
    `listen_addr = ${input.host}`,
    `listen_port = ${input.port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${input.authFile}`,
    `admin_users = ${input.adminUser}`,
    `stats_users = ${input.adminUser}`,
    'pool_mode = transaction',
    'max_client_conn = 200',
    `default_pool_size = ${input.defaultPoolSize}`,
    'reserve_pool_size = 0',
    'max_db_connections = 0',
    'server_lifetime = 600',
    'server_connect_timeout = 3',
    'server_login_retry = 1',
    'ignore_startup_parameters = extra_float_digits,options',
    `pidfile = ${input.pidFile}`,
    `logfile = ${input.logFile}`,
    '',
  ].join('\n');
}

/**
 * The `[databases]` entry sending every database to one PostgreSQL server (the leader).
 * @example renderPgbouncerDatabases('127.0.0.1', 54321) // '* = host=127.0.0.1 port=54321\n'
 */
export function renderPgbouncerDatabases(host: string, port: number): string {
  return `* = host=${host} port=${port}\n`;
}

/**
 * An `auth_file` line; values are double-quoted with `"` doubled, as PgBouncer reads them.
 * @example renderAuthFileLine('app', 'SCRAM-SHA-256$4096:…') // '"app" "SCRAM-SHA-256$4096:…"'
 */
export function renderAuthFileLine(user: string, secret: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `${q(user)} ${q(secret)}`;
}

/**
 * A SCRAM-SHA-256 secret for `password` as PostgreSQL stores it (`SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`):
 * the auth file then holds no password.
 *
 * @example
 * ```ts
 * scramSecret('s3cret') // 'SCRAM-SHA-256$4096:…$…:…'
 * ```
 */
export function scramSecret(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** What the role-change callback needs to re-point PgBouncer. */
export interface RoleChangeScriptInput {
  host: string;
  /** This node's PostgreSQL port. */
  port: number;
  databasesFile: string;
  pidFile: string;
}

/**
 * Renders the shell script Patroni runs on start and on every role change of one node
 * (`<script> <action> <role> <scope>`): when the node becomes the leader it rewrites PgBouncer's
 * `[databases]` file to point at itself and sends PgBouncer `SIGHUP` (the same as `RELOAD`),
 * so PgBouncer follows a failover without anyone else acting. Every value is baked in (no
 * argument from Patroni reaches the file but the role word, which is only compared).
 *
 * @example
 * ```ts
 * writeFileSync('on-role-change.sh', renderRoleChangeScript({ host: '127.0.0.1', port: 54321, databasesFile, pidFile }), { mode: 0o700 })
 * ```
 */
export function renderRoleChangeScript(input: RoleChangeScriptInput): string {
  const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    '#!/bin/sh',
    '# Written by @pgcluster/testing: Patroni calls it as <script> <action> <role> <scope>.',
    'case "$2" in master|primary|promoted) ;; *) exit 0 ;; esac',
    `db=${sq(input.databasesFile)}`,
    `printf '%s\\n' ${sq(renderPgbouncerDatabases(input.host, input.port).trimEnd())} > "$db.tmp" && mv "$db.tmp" "$db"`,
    `pid=$(cat ${sq(input.pidFile)} 2>/dev/null) && [ -n "$pid" ] && kill -HUP "$pid"`,
    'exit 0',
    '',
  ].join('\n');
}
