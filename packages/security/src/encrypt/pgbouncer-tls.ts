import { chmodSync, chownSync, copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { dirname, join } from 'node:path';
import { PgClusterError, setPgbouncerIniValues, withClient, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import { bouncerUrl, writeAuthFile } from '../rotate/pgbouncer-auth';
import { issueServerCertificate, nodeSans } from './certificates';
import { eventually } from '../cluster/eventually';

/** `application_name` of the TLS checks through PgBouncer. */
const APPLICATION_NAME = 'pgcluster-encrypt';

/** The files security-encrypt writes beside pgbouncer.ini. */
export const PGBOUNCER_TLS_FILES = { crt: 'pgbouncer-tls.crt', key: 'pgbouncer-tls.key', ca: 'pgcluster-ca.crt' } as const;

/**
 * The TLS settings of PgBouncer for a CA and its own certificate: clients offered TLS (`prefer`)
 * or required to use it (`require`), and PgBouncer's own connections to PostgreSQL verified
 * against the CA (`verify-full`).
 * @example pgbouncerTlsSettings('/etc/pgbouncer', 'TLSv1.2', false).server_tls_sslmode // 'verify-full'
 */
export function pgbouncerTlsSettings(dir: string, minProtocol: 'TLSv1.2' | 'TLSv1.3', requireTls: boolean): Record<string, string> {
  const protocols = minProtocol === 'TLSv1.3' ? 'tlsv1.3' : 'tlsv1.2,tlsv1.3';
  return {
    client_tls_sslmode: requireTls ? 'require' : 'prefer',
    client_tls_cert_file: join(dir, PGBOUNCER_TLS_FILES.crt),
    client_tls_key_file: join(dir, PGBOUNCER_TLS_FILES.key),
    client_tls_ca_file: join(dir, PGBOUNCER_TLS_FILES.ca),
    client_tls_protocols: protocols,
    server_tls_sslmode: 'verify-full',
    server_tls_ca_file: join(dir, PGBOUNCER_TLS_FILES.ca),
    server_tls_protocols: protocols,
  };
}

/** What the files beside pgbouncer.ini were before the run (null: absent), for undo. */
export function pgbouncerTlsBackup(iniFile: string): Record<string, string | null> {
  const dir = dirname(iniFile);
  return Object.fromEntries([iniFile, ...Object.values(PGBOUNCER_TLS_FILES).map((f) => join(dir, f))].map((p) => [p, existsSync(p) ? readFileSync(p, 'utf8') : null]));
}

/** What PgBouncer's TLS looks like after the run. */
export interface PgbouncerTlsState {
  clientTls: string;
  serverTls: string;
  /** The TLS version of a verify-full client connection to PgBouncer. */
  protocol: string | null;
  /** A statement sent through PgBouncer ran on a server connection encrypted in pg_stat_ssl. */
  serverSsl: boolean;
}

const admin = (url: string) => ({ url, connectTimeoutMs: 5_000, applicationName: APPLICATION_NAME });

/** RELOAD (rereads pgbouncer.ini) and RECONNECT (server connections are replaced after use, with the new TLS settings). */
export async function reloadAndReconnect(adminUrl: string): Promise<void> {
  await withClient(admin(adminUrl), 'reloading PgBouncer', async (c) => {
    await c.query('RELOAD');
    await c.query('RECONNECT');
  });
}

/**
 * Turns PgBouncer's TLS on, both sides, verified: a certificate for PgBouncer (SANs for its host)
 * beside its ini (key mode 600, owned like the ini), the CA copied there, the client_tls_* and
 * server_tls_* settings written, RELOAD and RECONNECT; then a verify-full client connection to
 * PgBouncer must be encrypted and a statement through it must run on an encrypted server
 * connection (pg_stat_ssl); with `requireTls` a client without TLS must be refused.
 * @throws PgClusterError `ACTION_FAILED` when a check does not hold.
 * @example await enablePgbouncerTls({ iniFile, adminUrl }, ca, tlsDir, node, { minProtocol: 'TLSv1.2', requireTls: false, days: 825 })
 */
export async function enablePgbouncerTls(
  bouncer: { iniFile: string; adminUrl: string },
  ca: { crt: string; key: string },
  tlsDir: string,
  primary: NodeConfig,
  options: { minProtocol: 'TLSv1.2' | 'TLSv1.3'; requireTls: boolean; days: number },
): Promise<PgbouncerTlsState> {
  const dir = dirname(bouncer.iniFile);
  const { uid, gid } = statSync(bouncer.iniFile);
  const crt = join(dir, PGBOUNCER_TLS_FILES.crt);
  const key = join(dir, PGBOUNCER_TLS_FILES.key);
  await issueServerCertificate(ca, tlsDir, 'pgbouncer', nodeSans(new URL(bouncer.adminUrl).hostname), crt, key, options.days);
  copyFileSync(ca.crt, join(dir, PGBOUNCER_TLS_FILES.ca));
  for (const f of [crt, key, join(dir, PGBOUNCER_TLS_FILES.ca)]) chownSync(f, uid, gid);
  // Security: PgBouncer's key is its own user's only.
  chmodSync(key, 0o600);
  const settings = pgbouncerTlsSettings(dir, options.minProtocol, options.requireTls);
  writeAuthFile(bouncer.iniFile, setPgbouncerIniValues(readFileSync(bouncer.iniFile, 'utf8'), settings));
  await reloadAndReconnect(bouncer.adminUrl);

  const tls = (url: string) => {
    const u = new URL(url);
    u.searchParams.set('sslmode', 'verify-full');
    u.searchParams.set('sslrootcert', ca.crt);
    return u.toString();
  };
  const node = new URL(primary.url);
  const through = tls(bouncerUrl(bouncer.adminUrl, decodeURIComponent(node.username), decodeURIComponent(node.password), decodeURIComponent(node.pathname.slice(1)) || 'postgres'));
  const state = await eventually('PgBouncer to speak TLS on both sides', async () =>
    withClient(admin(through), 'checking TLS through PgBouncer', async (c) => {
      const protocol = ((c as unknown as { connection: { stream: Partial<TLSSocket> } }).connection.stream.getProtocol?.() ?? null) as string | null;
      const row = (await c.query<{ ssl: boolean | null }>('select (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl')).rows[0]!;
      return { protocol, serverSsl: row.ssl === true };
    }),
  (s) => s.protocol !== null && s.serverSsl);
  if (options.requireTls) {
    const plain = new URL(bouncerUrl(bouncer.adminUrl, decodeURIComponent(node.username), decodeURIComponent(node.password), decodeURIComponent(node.pathname.slice(1)) || 'postgres'));
    plain.search = '?sslmode=disable';
    const refused = await withClient(admin(plain.toString()), 'probing PgBouncer without TLS', (c: pg.Client) => c.query('select 1')).then(() => false, () => true);
    if (!refused) throw new PgClusterError('ACTION_FAILED', 'PgBouncer still accepts a client without TLS after client_tls_sslmode = require');
  }
  return { clientTls: settings.client_tls_sslmode!, serverTls: settings.server_tls_sslmode!, ...state };
}

/**
 * Puts back pgbouncer.ini and the TLS files as they were, then RELOAD and RECONNECT (through
 * `adminUrl`, the URL that reaches PgBouncer now).
 * @example await undoPgbouncerTls(backup.pgbouncer.files, currentAdminUrl)
 */
export async function undoPgbouncerTls(files: Record<string, string | null>, adminUrl: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) rmSync(path, { force: true });
    else writeAuthFile(path, content);
  }
  await reloadAndReconnect(adminUrl);
}

