import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, type Envelope } from '@pgcluster/skill-kit';
import { isHaClusterHandle, startCluster, type HaClusterHandle } from '@pgcluster/testing';
import { bouncerUrl, EncryptReport, generatePassword, pgbouncerAuthOf, reloadPgbouncer, RotateReport, scramVerifier, SecurityEncryptSkill, SecurityRotateSkill, setAuthFileSecret, writeAuthFile } from '../src';

// A real `dev up --ha`-style cluster (etcd, Patroni, PgBouncer in transaction pooling with a SCRAM
// auth file), one node to keep it light. The application logs in as `app` (Patroni's own
// superuser is not what clients rotate); pgbench runs THROUGH PgBouncer while the rotation
// switches PgBouncer's auth file and reloads it, and a client that reconnects through PgBouncer
// with whatever login the config holds must never fail.
let cluster: HaClusterHandle;
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-rotate-bouncer-'));
const configFile = join(dir, 'pgcluster.config.json');
const appPassword = generatePassword();

beforeAll(async () => {
  const handle = await startCluster({ ha: true, replicas: 0, fast: true });
  if (!isHaClusterHandle(handle)) throw new Error('expected an HA cluster');
  cluster = handle;
  await withClient({ url: cluster.url('node1', 'postgres') }, 'the application role', async (c) => {
    await c.query(`create role app login createrole password ${c.escapeLiteral(scramVerifier(appPassword))}`);
    await c.query('create database appdb owner app');
  });
  const direct = new URL(cluster.url('node1'));
  direct.username = 'app';
  direct.password = encodeURIComponent(appPassword);
  direct.pathname = '/appdb';
  writeFileSync(configFile, JSON.stringify({ name: 'ha', patroni: { url: cluster.patroniUrl('node1') }, nodes: [{ name: 'node1', url: direct.toString() }], pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl(), configFile: cluster.pgbouncerConfigFile() } }, null, 2), { mode: 0o600 });
  // PgBouncer learns about app the way an operator adds a user: its SCRAM secret (as the server stores it) in the auth file, then RELOAD.
  const secret = await withClient({ url: cluster.url('node1', 'postgres') }, 'the secret', async (c) => (await c.query<{ s: string }>("select rolpassword as s from pg_authid where rolname = 'app'")).rows[0]!.s);
  const authFile = pgbouncerAuthOf(loaded().config)!.authFile!;
  writeAuthFile(authFile, setAuthFileSecret(readFileSync(authFile, 'utf8'), 'app', secret));
  await reloadPgbouncer(cluster.pgbouncerAdminUrl());
}, 180_000);

afterAll(async () => {
  await cluster?.stop({ purge: true }).catch(() => cluster.destroySync());
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

const loaded = (): LoadedConfig => loadConfig({ path: configFile });
const configUrl = () => loaded().config.nodes![0]!.url;
/** The config's login, through PgBouncer. */
const throughBouncer = () => {
  const u = new URL(configUrl());
  return bouncerUrl(cluster.pgbouncerAdminUrl(), decodeURIComponent(u.username), decodeURIComponent(u.password), 'appdb');
};

async function canLogIn(url: string): Promise<true | string> {
  try {
    await withClient({ url, connectTimeoutMs: 5_000 }, 'probe', (c) => c.query('select 1'));
    return true;
  } catch (error) {
    return (error as Error).message;
  }
}

function runPgbench(url: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const u = new URL(url);
  const bin = join(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim(), 'pgbench');
  // Security: the password reaches pgbench through its environment, never its command line.
  const child = spawn(bin, ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), ...args, u.pathname.slice(1)], { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

test("alternating rotation under pgbench -c 8 THROUGH PgBouncer: PgBouncer's auth file gets the new login and a RELOAD, zero failed transactions, a client reconnecting through PgBouncer with the config's login never fails", async () => {
  expect((await runPgbench(configUrl(), ['-i', '-s', '1', '-q'])).code).toBe(0);
  const bench = runPgbench(throughBouncer(), ['-c', '8', '-j', '2', '-T', '20']);
  let stop = false;
  const reconnects = { ok: 0, failed: [] as string[] };
  const reconnecting = (async () => {
    while (!stop) {
      const result = await canLogIn(throughBouncer());
      if (result === true) reconnects.ok += 1;
      else reconnects.failed.push(result);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await new Promise((r) => setTimeout(r, 3_000));

  const envelope = (await executeSkill(SecurityRotateSkill, { role: 'app', graceSeconds: 6 }, { config: loaded(), yes: true })) as Envelope<RotateReport>;
  expect(envelope.error).toBeUndefined();
  const report = envelope.data!;
  expect(RotateReport.parse(report)).toEqual(report);
  const authFile = pgbouncerAuthOf(loaded().config)!.authFile!;
  expect(report).toMatchObject({ previousLogin: 'app', newLogin: 'app_alt', pgbouncer: { authFile, reloaded: true, loginProved: true } });
  const newPassword = decodeURIComponent(new URL(configUrl()).password);
  const auth = readFileSync(authFile, 'utf8');
  expect(auth).toMatch(/^"app_alt" "SCRAM-SHA-256\$4096:/m);
  expect(auth).toMatch(/^"app" "SCRAM-SHA-256\$/m);
  expect(auth).not.toContain(newPassword);
  expect(statSync(authFile).mode & 0o777).toBe(0o600);
  expect(JSON.stringify(envelope)).not.toContain(newPassword);

  const { code, out } = await bench;
  stop = true;
  await reconnecting;
  const processed = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1]);
  process.stderr.write(`pgbench through PgBouncer during rotation: ${processed} transactions, ${failed} failed; reconnecting client through PgBouncer: ${reconnects.ok} logins, ${reconnects.failed.length} failed\n`);
  expect(code).toBe(0);
  expect(processed).toBeGreaterThan(0);
  expect(failed).toBe(0);
  expect(reconnects.failed).toEqual([]);
  expect(reconnects.ok).toBeGreaterThan(0);
  // The new login goes through PgBouncer; the old password is refused by the server after the grace period.
  expect(await canLogIn(throughBouncer())).toBe(true);
  const old = new URL(configUrl());
  old.username = 'app';
  old.password = encodeURIComponent(appPassword);
  expect(await canLogIn(old.toString())).toMatch(/password authentication failed/);
}, 180_000);

test('a config that names PgBouncer without its configFile is refused before anything changes (exit 2, the field named)', async () => {
  const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { pgbouncer: { configFile?: string } };
  delete raw.pgbouncer.configFile;
  const other = join(dir, 'no-ini.config.json');
  writeFileSync(other, JSON.stringify(raw), { mode: 0o600 });
  const before = readFileSync(other, 'utf8');
  const envelope = await executeSkill(SecurityRotateSkill, { role: 'app' }, { config: loadConfig({ path: other }), yes: true });
  expect(envelope.error).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('pgbouncer.configFile') });
  expect(readFileSync(other, 'utf8')).toBe(before);
});

test("security-encrypt with PgBouncer: client TLS required and server TLS verify-full against the CA, each verified; the config's admin URL verifies PgBouncer; undo puts pgbouncer.ini back", async () => {
  const tlsConfig = join(dir, 'tls.config.json');
  const node = cluster.nodes[0]!;
  writeFileSync(tlsConfig, JSON.stringify({ name: 'ha', patroni: { url: cluster.patroniUrl('node1') }, nodes: [{ name: 'node1', url: node.url(), dataDir: node.dataDir }], pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl(), configFile: cluster.pgbouncerConfigFile() } }, null, 2), { mode: 0o600 });
  const iniBefore = readFileSync(cluster.pgbouncerConfigFile(), 'utf8');
  const tlsLoaded = () => loadConfig({ path: tlsConfig });

  const dry = await executeSkill(SecurityEncryptSkill, { requireTls: true }, { config: tlsLoaded(), dryRun: true, yes: true });
  expect(dry.plan!.some((s) => s.target === cluster.pgbouncerConfigFile() && s.text.includes('client_tls_sslmode = require'))).toBe(true);
  expect(readFileSync(cluster.pgbouncerConfigFile(), 'utf8')).toBe(iniBefore);

  const envelope = (await executeSkill(SecurityEncryptSkill, { requireTls: true }, { config: tlsLoaded(), yes: true })) as Envelope<EncryptReport>;
  expect(envelope.error).toBeUndefined();
  const report = envelope.data!;
  expect(EncryptReport.parse(report)).toEqual(report);
  expect(report.pgbouncer).toMatchObject({ clientTls: 'require', serverTls: 'verify-full', serverSsl: true, protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
  const ini = readFileSync(cluster.pgbouncerConfigFile(), 'utf8');
  expect(ini).toMatch(/^client_tls_sslmode = require$/m);
  expect(ini).toMatch(/^server_tls_sslmode = verify-full$/m);
  expect(statSync(join(dirname(cluster.pgbouncerConfigFile()), 'pgbouncer-tls.key')).mode & 0o777).toBe(0o600);
  const adminUrl = new URL(tlsLoaded().config.pgbouncer!.adminUrl);
  expect(adminUrl.searchParams.get('sslmode')).toBe('verify-full');
  expect(adminUrl.searchParams.get('sslrootcert')).toBe(report.ca);

  // A verify-full client through PgBouncer, whose own server connection is encrypted too; a client without TLS is refused.
  const through = (search: string) => {
    const u = new URL(cluster.pgbouncerUrl());
    u.search = search;
    return u.toString();
  };
  const ssl = await withClient({ url: through(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(report.ca)}`) }, 'through PgBouncer', async (c) => (await c.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()')).rows[0]!.ssl);
  expect(ssl).toBe(true);
  expect(await canLogIn(through('?sslmode=disable'))).not.toBe(true);
  await withClient({ url: tlsLoaded().config.pgbouncer!.adminUrl }, 'the admin console over TLS', (c) => c.query('SHOW VERSION'));

  const undo = await executeSkill(SecurityEncryptSkill, envelope.rollback!.input, { config: tlsLoaded(), yes: true });
  expect(undo.error).toBeUndefined();
  expect(readFileSync(cluster.pgbouncerConfigFile(), 'utf8')).toBe(iniBefore);
  expect(await canLogIn(through('?sslmode=disable'))).toBe(true);
}, 180_000);

test("single-role mode through PgBouncer: the login's line in the auth file changes with its password; undo puts the previous password back on the server and in PgBouncer", async () => {
  const before = configUrl();
  const login = decodeURIComponent(new URL(before).username);
  const authFile = pgbouncerAuthOf(loaded().config)!.authFile!;
  const lineBefore = readFileSync(authFile, 'utf8').split('\n').find((l) => l.startsWith(`"${login}" `));
  const envelope = (await executeSkill(SecurityRotateSkill, { role: 'app', mode: 'single' }, { config: loaded(), yes: true })) as Envelope<RotateReport>;
  expect(envelope.error).toBeUndefined();
  expect(envelope.data).toMatchObject({ mode: 'single', previousLogin: login, newLogin: login, pgbouncer: { authFile, reloaded: true, loginProved: true } });
  expect(readFileSync(authFile, 'utf8').split('\n').find((l) => l.startsWith(`"${login}" `))).not.toBe(lineBefore);
  expect(await canLogIn(throughBouncer())).toBe(true);

  const undo = (await executeSkill(SecurityRotateSkill, envelope.rollback!.input, { config: loaded(), yes: true })) as Envelope<RotateReport>;
  expect(undo.error).toBeUndefined();
  expect(undo.data!.pgbouncer).toMatchObject({ reloaded: true, loginProved: true });
  expect(configUrl()).toBe(before);
  // The previous password logs in again, directly and through PgBouncer.
  expect(await canLogIn(before)).toBe(true);
  expect(await canLogIn(throughBouncer())).toBe(true);
}, 120_000);
