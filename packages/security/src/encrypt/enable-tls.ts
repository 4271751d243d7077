import { chmodSync, chownSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, InputError, parseConfig, PgClusterError, RefusedError, withClient, type ClusterConfig, type LoadedConfig, type NodeConfig } from '@pgcluster/core';
import { findPrimary } from '../cluster/find-primary';
import { assertConfigUnchanged, configFileOf, sha256, writeSecretFile } from '../rotate/config-file';
import { parseConninfo, renderConninfo, rewritePrimaryConninfo } from '../rotate/replica-credentials';
import { pgbouncerSettings } from '../rotate/pgbouncer-auth';
import { ensureCa, issueServerCertificate, nodeSans } from './certificates';
import { enablePgbouncerTls, pgbouncerTlsBackup, undoPgbouncerTls } from './pgbouncer-tls';
import type { EncryptReport } from './encrypt-schema';
import { eventually } from '../cluster/eventually';

/** `application_name` of the encrypt skill's connections. */
export const ENCRYPT_APPLICATION_NAME = 'pgcluster-encrypt';

/** The files of a node's data directory that enabling TLS changes (and undo restores). */
const NODE_FILES = ['pg_hba.conf', 'postgresql.auto.conf', 'server.crt', 'server.key', 'pgcluster-ca.crt'] as const;

/** The copy of the CA certificate in each data directory, which replicas verify the primary with. */
const CA_COPY = 'pgcluster-ca.crt';

/**
 * Options of {@link enableTls}.
 * @example const options: EnableTlsOptions = { minProtocol: 'TLSv1.2', requireTls: true, days: 825 }
 */
export interface EnableTlsOptions {
  minProtocol: 'TLSv1.2' | 'TLSv1.3';
  requireTls: boolean;
  days: number;
  /** Names the backup file (the run's audit id); default a timestamp. */
  runId?: string;
}

/** What an encrypt backup holds (mode 600, state dir): every file the run changed, as it was. */
interface EncryptBackup {
  version: 1;
  time: string;
  configFile: string;
  previousConfig: string;
  nodes: Array<{ name: string; dataDir: string; files: Record<string, string | null> }>;
  /** sha256 of the config file as the run wrote it: undo refuses when it changed since. */
  writtenConfigSha256?: string;
  /** pgbouncer.ini and the TLS files beside it, as they were (PgBouncer in the config). */
  pgbouncer?: { iniFile: string; files: Record<string, string | null> };
  undone?: string;
}

/**
 * The data directory of every node, which must be on this machine (certificates and pg_hba.conf are written there).
 * @throws InputError naming `nodes.<i>.dataDir` when one is missing.
 */
function localNodes(config: ClusterConfig): Array<NodeConfig & { dataDir: string }> {
  return (config.nodes ?? []).map((n, i) => {
    if (!n.dataDir || !existsSync(join(n.dataDir, 'PG_VERSION'))) {
      throw new InputError(`config nodes.${i}.dataDir`, `node ${n.name} needs its data directory on this machine: security-encrypt writes its certificate and pg_hba.conf there`);
    }
    return n as NodeConfig & { dataDir: string };
  });
}

/**
 * A URL with TLS verified against the CA: `sslmode=verify-full&sslrootcert=<ca>`.
 * @example tlsUrl('postgresql://u:p@127.0.0.1:5432/db', '/srv/tls/ca.crt')
 */
export function tlsUrl(url: string, ca: string): string {
  const u = new URL(url);
  u.searchParams.set('sslmode', 'verify-full');
  u.searchParams.set('sslrootcert', ca);
  return u.toString();
}

/**
 * Enables TLS from nothing, staged so that no client is cut off, each stage verified before the
 * next: (1) a CA (reused when the state dir has one) and a certificate per node with SANs for its
 * host, key mode 600 owned by the server's user; (2) ssl = on and ssl_min_protocol_version on
 * every node with a reload (no restart), verified by a verify-full connection and pg_stat_ssl;
 * (3) replicas stream with sslmode=verify-full against the CA (their password moved to a
 * password file), verified in pg_stat_ssl of the primary; (4) the config's URLs say
 * sslmode=verify-full and sslrootcert; (5) with `requireTls`, pg_hba.conf's TCP `host` lines
 * become `hostssl`, and a client without TLS is refused. Every file it changes is backed up
 * first; {@link undoTls} restores them.
 *
 * @throws InputError when a node's dataDir is not on this machine; PgClusterError `ACTION_FAILED` when a stage does not verify.
 * @example
 * ```ts
 * const report = await enableTls(loadConfig(), { minProtocol: 'TLSv1.2', requireTls: true, days: 825 })
 * report.unencryptedConnections // 0
 * ```
 */
export async function enableTls(loaded: LoadedConfig, options: EnableTlsOptions): Promise<EncryptReport> {
  const configFile = configFileOf(loaded);
  const nodes = localNodes(loaded.config);
  const primary = await findPrimary(loaded.config);
  const bouncer = pgbouncerOf(loaded.config);
  const backupFile = join(loaded.stateDir, 'security', `encrypt-${options.runId ?? new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const backup: EncryptBackup = {
    version: 1,
    time: new Date().toISOString(),
    configFile,
    previousConfig: readFileSync(configFile, 'utf8'),
    nodes: nodes.map((n) => ({ name: n.name, dataDir: n.dataDir, files: Object.fromEntries(NODE_FILES.map((f) => [f, existsSync(join(n.dataDir, f)) ? readFileSync(join(n.dataDir, f), 'utf8') : null])) })),
    ...(bouncer ? { pgbouncer: { iniFile: bouncer.iniFile, files: pgbouncerTlsBackup(bouncer.iniFile) } } : {}),
  };
  writeSecretFile(backupFile, `${JSON.stringify(backup, null, 2)}\n`);

  // 1. Certificates.
  const ca = await ensureCa(join(loaded.stateDir, 'tls'), loaded.config.name, options.days);
  const sans = new Map<string, string[]>();
  for (const n of nodes) {
    const names = nodeSans(new URL(n.url).hostname);
    sans.set(n.name, names);
    const crt = join(n.dataDir, 'server.crt');
    const key = join(n.dataDir, 'server.key');
    await issueServerCertificate(ca, join(loaded.stateDir, 'tls'), n.name, names, crt, key, options.days);
    copyFileSync(ca.crt, join(n.dataDir, CA_COPY));
    const { uid, gid } = statSync(n.dataDir);
    for (const f of [crt, key, join(n.dataDir, CA_COPY)]) chownSync(f, uid, gid);
    // Security: the server refuses a key others can read; so do we.
    chmodSync(key, 0o600);
  }

  // 2. ssl on, with a reload, verified on each node.
  for (const n of nodes) {
    await withClient({ url: n.url, applicationName: ENCRYPT_APPLICATION_NAME }, `turning ssl on on ${n.name}`, async (c) => {
      await c.query("ALTER SYSTEM SET ssl_cert_file = 'server.crt'");
      await c.query("ALTER SYSTEM SET ssl_key_file = 'server.key'");
      await c.query(`ALTER SYSTEM SET ssl_min_protocol_version = ${c.escapeLiteral(options.minProtocol)}`);
      await c.query("ALTER SYSTEM SET ssl = 'on'");
      await c.query('SELECT pg_reload_conf()');
    });
  }
  const protocols = new Map<string, string | null>();
  for (const n of nodes) protocols.set(n.name, await verifyTls(n, ca.crt));

  // 3. Replicas stream over TLS.
  const replicas = nodes.filter((n) => n.name !== primary.name);
  for (const r of replicas) {
    await rewritePrimaryConninfo(r, r.url, (v) => {
      v.set('sslmode', 'verify-full');
      v.set('sslrootcert', join(r.dataDir, CA_COPY));
    });
  }
  const streaming = await streamsOverTls(primary, ca.crt, replicas.map((r) => r.name));

  // 4. PgBouncer: TLS for its clients (offered, or required) and verify-full to the servers — before any node requires TLS.
  const pgbouncer = bouncer ? await enablePgbouncerTls(bouncer, ca, join(loaded.stateDir, 'tls'), primary, options) : null;

  // 5. The config's URLs verify the servers (and PgBouncer).
  const raw = JSON.parse(backup.previousConfig) as { nodes?: Array<{ url: string }>; pgbouncer?: { adminUrl: string } };
  for (const n of raw.nodes ?? []) n.url = tlsUrl(n.url, ca.crt);
  if (bouncer && raw.pgbouncer) raw.pgbouncer.adminUrl = tlsUrl(raw.pgbouncer.adminUrl, ca.crt);
  const written = `${JSON.stringify(raw, null, 2)}\n`;
  writeSecretFile(backupFile, `${JSON.stringify({ ...backup, writtenConfigSha256: sha256(written) }, null, 2)}\n`);
  writeSecretFile(configFile, written);
  const now = parseConfig(raw, configFile);

  // 6. Only TLS is accepted (optional, last).
  if (options.requireTls) {
    for (const n of nodes) {
      const path = join(n.dataDir, 'pg_hba.conf');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/^(\s*)host(\s)/gm, '$1hostssl$2'));
      await withClient({ url: tlsUrl(n.url, ca.crt), applicationName: ENCRYPT_APPLICATION_NAME }, `reloading pg_hba.conf on ${n.name}`, (c) => c.query('SELECT pg_reload_conf()'));
    }
    for (const n of nodes) await expectPlainRefused(n);
  }

  return {
    action: 'enable',
    ca: ca.crt,
    nodes: nodes.map((n) => ({
      node: n.name,
      ssl: true,
      protocol: protocols.get(n.name) ?? null,
      sans: sans.get(n.name) ?? [],
      streamsOverTls: n.name === primary.name ? null : (streaming.get(n.name) ?? false),
      hostssl: options.requireTls,
    })),
    unencryptedConnections: await countUnencrypted(now),
    configFile,
    backup: backupFile,
    pgbouncer,
  };
}

/**
 * PgBouncer of the config, whose pgbouncer.ini must be on this machine (its TLS settings are written there).
 * @throws ConfigError naming `pgbouncer.configFile` when it is missing.
 */
function pgbouncerOf(config: ClusterConfig): { iniFile: string; adminUrl: string } | null {
  if (!config.pgbouncer) return null;
  if (!config.pgbouncer.configFile || !existsSync(config.pgbouncer.configFile)) {
    throw new ConfigError('pgbouncer.configFile: PgBouncer is configured but its pgbouncer.ini is not on this machine, so its TLS cannot be configured; nothing was changed', {
      hint: 'Set pgbouncer.configFile to the pgbouncer.ini PgBouncer runs with.',
    });
  }
  return { iniFile: config.pgbouncer.configFile, adminUrl: config.pgbouncer.adminUrl };
}

/**
 * Restores every file an {@link enableTls} run changed (pg_hba.conf, postgresql.auto.conf, the
 * certificates) and the config file, then reloads each node: TLS is back to how it was.
 * @throws RefusedError when the backup was already undone.
 * @example await undoTls(loadConfig(), '/srv/app/.pgcluster/security/encrypt-….json')
 */
export async function undoTls(loaded: LoadedConfig, backupFile: string): Promise<EncryptReport> {
  if (!existsSync(backupFile)) throw new InputError('backup', `${backupFile} does not exist`);
  const backup = JSON.parse(readFileSync(backupFile, 'utf8')) as EncryptBackup;
  if (backup.version !== 1 || !Array.isArray(backup.nodes)) throw new InputError('backup', `${backupFile} is not an encrypt backup`);
  if (backup.undone) throw new RefusedError(`the TLS change in ${backupFile} was already undone at ${backup.undone}`);
  assertConfigUnchanged(backup.configFile, backup.writtenConfigSha256, 'the TLS change');
  const current = loaded.config.nodes ?? [];
  // PgBouncer first: its server connections verify TLS, which the nodes are about to stop offering.
  let pgbouncer: EncryptReport['pgbouncer'] = null;
  if (backup.pgbouncer && loaded.config.pgbouncer) {
    await undoPgbouncerTls(backup.pgbouncer.files, loaded.config.pgbouncer.adminUrl);
    const ini = pgbouncerSettings(backup.pgbouncer.files[backup.pgbouncer.iniFile] ?? '');
    pgbouncer = { clientTls: ini.get('client_tls_sslmode') ?? 'disable', serverTls: ini.get('server_tls_sslmode') ?? 'prefer', protocol: null, serverSsl: false };
  }
  for (const n of backup.nodes) {
    const { uid, gid } = statSync(n.dataDir);
    for (const [file, content] of Object.entries(n.files)) {
      const path = join(n.dataDir, file);
      if (content === null) rmSync(path, { force: true });
      else {
        // Security: a password that primary_conninfo held inline stays in the password file enabling TLS moved it to.
        writeFileSync(path, file === 'postgresql.auto.conf' ? withoutInlinePassword(content, n.dataDir) : content, { mode: 0o600 });
        chmodSync(path, 0o600);
        chownSync(path, uid, gid);
      }
    }
  }
  // The servers still speak TLS until the reload: reach them with the current (TLS) URLs.
  for (const n of backup.nodes) {
    const node = current.find((c) => c.name === n.name);
    if (node) await reloadAndWait(node);
  }
  writeSecretFile(backup.configFile, backup.previousConfig);
  const previous = parseConfig(JSON.parse(backup.previousConfig), backup.configFile);
  const nodes = [];
  for (const n of previous.nodes ?? []) {
    const ssl = await eventually(`${n.name} to answer after the reload`, () =>
      withClient({ url: n.url, applicationName: ENCRYPT_APPLICATION_NAME }, `checking ${n.name}`, async (c) => (await c.query<{ v: string }>("select current_setting('ssl') as v")).rows[0]!.v),
    );
    nodes.push({ node: n.name, ssl: ssl === 'on', protocol: null, sans: [], streamsOverTls: null, hostssl: false });
  }
  writeSecretFile(backupFile, `${JSON.stringify({ ...backup, undone: new Date().toISOString() }, null, 2)}\n`);
  return { action: 'undo', ca: join(loaded.stateDir, 'tls', 'ca.crt'), nodes, unencryptedConnections: await countUnencrypted(previous), configFile: backup.configFile, backup: backupFile, pgbouncer };
}

/**
 * postgresql.auto.conf content whose primary_conninfo names the password file beside the data
 * directory instead of holding a password (the server logs primary_conninfo when it changes).
 */
function withoutInlinePassword(content: string, dataDir: string): string {
  return content.replace(/^(\s*primary_conninfo\s*=\s*)'((?:[^']|'')*)'/m, (line, head: string, quoted: string) => {
    const values = parseConninfo(quoted.replace(/''/g, "'"));
    if (!values.has('password')) return line;
    values.delete('password');
    if (!values.has('passfile')) values.set('passfile', join(dirname(dataDir), 'pgpass'));
    return `${head}'${renderConninfo(values).replace(/'/g, "''")}'`;
  });
}

/** Reloads the node's configuration and waits until new sessions see it (pg_conf_load_time moves). */
async function reloadAndWait(node: NodeConfig): Promise<void> {
  const loadTime = () => withClient({ url: node.url, applicationName: ENCRYPT_APPLICATION_NAME }, `reloading ${node.name}`, async (c) => (await c.query<{ t: string }>('select pg_conf_load_time()::text as t')).rows[0]!.t);
  const before = await loadTime();
  await withClient({ url: node.url, applicationName: ENCRYPT_APPLICATION_NAME }, `reloading ${node.name}`, (c) => c.query('SELECT pg_reload_conf()'));
  // After the reload the node may refuse the TLS URL (ssl off): a failure to connect counts as reloaded.
  await eventually(`${node.name} to reload its configuration`, () => loadTime().catch(() => null), (t) => t !== before, 10_000);
}


/** A verify-full connection to the node succeeds and pg_stat_ssl says it is encrypted; returns the TLS version. */
async function verifyTls(node: NodeConfig, ca: string): Promise<string | null> {
  return eventually(`TLS on ${node.name} (see its server log if the key or certificate was refused)`, () =>
    withClient({ url: tlsUrl(node.url, ca), applicationName: ENCRYPT_APPLICATION_NAME }, `verifying TLS on ${node.name}`, async (c) => {
      const row = (await c.query<{ ssl: boolean; version: string | null }>('select ssl, version from pg_stat_ssl where pid = pg_backend_pid()')).rows[0];
      if (!row?.ssl) throw new PgClusterError('ACTION_FAILED', `${node.name}: the connection is not encrypted`);
      return row.version;
    }),
  );
}

/** On the primary: whether each replica's WAL sender is encrypted (pg_stat_ssl). */
async function streamsOverTls(primary: NodeConfig, ca: string, names: readonly string[]): Promise<Map<string, boolean>> {
  if (names.length === 0) return new Map();
  return eventually(
    'replicas to stream over TLS',
    () =>
      withClient({ url: tlsUrl(primary.url, ca), applicationName: ENCRYPT_APPLICATION_NAME }, 'checking replication TLS', async (c) => {
        const rows = (await c.query<{ name: string; ssl: boolean }>("select r.application_name as name, coalesce(s.ssl, false) as ssl from pg_stat_replication r left join pg_stat_ssl s on s.pid = r.pid where r.state = 'streaming'")).rows;
        return new Map(rows.map((r) => [r.name, r.ssl]));
      }),
    (m) => names.every((n) => m.get(n) === true),
  );
}

/** A connection without TLS (sslmode=disable) is refused by pg_hba.conf. */
async function expectPlainRefused(node: NodeConfig): Promise<void> {
  const u = new URL(node.url);
  u.search = '';
  u.searchParams.set('sslmode', 'disable');
  try {
    await withClient({ url: u.toString(), applicationName: ENCRYPT_APPLICATION_NAME }, `probing ${node.name} without TLS`, (c) => c.query('select 1'));
  } catch {
    return;
  }
  throw new PgClusterError('ACTION_FAILED', `${node.name} still accepts a connection without TLS after pg_hba.conf became hostssl`);
}

/**
 * Client and WAL-sender connections over TCP without TLS, on every node — but the executor's own
 * audit-table connection (`pgcluster-audit`), opened with the old URL before the run and closed after it.
 */
async function countUnencrypted(config: ClusterConfig): Promise<number> {
  let total = 0;
  for (const n of config.nodes ?? []) {
    total += await withClient({ url: n.url, applicationName: ENCRYPT_APPLICATION_NAME }, `counting connections on ${n.name}`, async (c) =>
      (await c.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity a left join pg_stat_ssl s on s.pid = a.pid
          where a.backend_type in ('client backend', 'walsender') and a.client_addr is not null and not coalesce(s.ssl, false)
            and a.application_name <> 'pgcluster-audit'`,
      )).rows[0]!.n,
    );
  }
  return total;
}
