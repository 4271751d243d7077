import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor, type Envelope } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { EncryptReport, SecurityAuditSkill, SecurityEncryptSkill } from '../src';

// A real primary and a streaming replica without TLS, a config file with their data directories.
const cluster = useCluster({ replicas: 1, fast: true });
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-encrypt-'));
const configFile = join(dir, 'pgcluster.config.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let originalConfig = '';
let originalHba = '';

beforeAll(() => {
  originalConfig = JSON.stringify({ name: 'tls', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url(), dataDir: n.dataDir })) }, null, 2);
  writeFileSync(configFile, originalConfig, { mode: 0o600 });
  originalHba = readFileSync(join(cluster().primary.dataDir!, 'pg_hba.conf'), 'utf8');
});

const loaded = (): LoadedConfig => loadConfig({ path: configFile });

async function encrypt(input: Record<string, unknown>): Promise<Envelope<EncryptReport>> {
  const envelope = await executeSkill(SecurityEncryptSkill, input, { config: loaded(), yes: true });
  if (envelope.data) expect(EncryptReport.parse(envelope.data)).toEqual(envelope.data);
  return envelope;
}

async function connects(url: string): Promise<true | string> {
  try {
    await withClient({ url }, 'probe', (c) => c.query('select 1'));
    return true;
  } catch (error) {
    return (error as Error).message;
  }
}

const plain = (url: string) => {
  const u = new URL(url);
  u.search = '?sslmode=disable';
  return u.toString();
};

let rollback: Record<string, unknown> = {};

test('TLS from nothing: every connection encrypted, the replica streams over TLS, a client without TLS is refused, verify-full connects', async () => {
  const envelope = await encrypt({ requireTls: true });
  expect(envelope.error).toBeUndefined();
  const report = envelope.data!;
  expect(report.nodes.map((n) => [n.node, n.ssl, n.streamsOverTls, n.hostssl])).toEqual([
    ['node1', true, null, true],
    ['node2', true, true, true],
  ]);
  expect(report.nodes.every((n) => n.protocol === 'TLSv1.2' || n.protocol === 'TLSv1.3')).toBe(true);
  expect(report.nodes[0]!.sans).toEqual(['IP:127.0.0.1', 'DNS:localhost']);
  expect(report.unencryptedConnections).toBe(0);
  for (const n of cluster().nodes) {
    const key = statSync(join(n.dataDir!, 'server.key'));
    expect(key.mode & 0o777).toBe(0o600);
    expect(key.uid).toBe(statSync(n.dataDir!).uid);
  }
  // The config's URLs verify the server; a client without TLS is refused by pg_hba.conf.
  for (const n of loaded().config.nodes!) {
    expect(new URL(n.url).searchParams.get('sslmode')).toBe('verify-full');
    expect(await connects(n.url)).toBe(true);
    expect(await connects(plain(n.url))).toMatch(/no pg_hba\.conf entry|SSL off/);
  }
  expect(readFileSync(join(cluster().primary.dataDir!, 'pg_hba.conf'), 'utf8')).toMatch(/^hostssl\s+all\s+all\s+127\.0\.0\.1\/32\s+scram-sha-256$/m);
  // Security: the replica's password left primary_conninfo for a password file; it is in no server log.
  expect(readFileSync(join(cluster().replicas[0]!.dataDir!, 'postgresql.auto.conf'), 'utf8')).not.toMatch(/password=/);
  expect(await cluster().logs(undefined, 5000)).not.toContain(decodeURIComponent(new URL(cluster().url()).password));

  // The audit agrees: no encryption finding is left.
  const audit = await executeSkill(SecurityAuditSkill, { checks: ['ssl_off', 'tls_min_version', 'clients_without_ssl', 'hba_host_without_ssl', 'key_file_permissions'] }, { config: loaded(), audit: false });
  expect(audit.data?.findings).toEqual([]);
  expect(audit.data?.checks.find((c) => c.check === 'key_file_permissions')?.status).toBe('ok');
  rollback = envelope.rollback!.input;
  expect(rollback).toMatchObject({ action: 'undo', backup: report.backup });
}, 120_000);

test('undo restores every file: ssl off, host lines, the config, the replica streaming without TLS', async () => {
  const envelope = await encrypt(rollback);
  expect(envelope.error).toBeUndefined();
  expect(envelope.data!.nodes.map((n) => n.ssl)).toEqual([false, false]);
  expect(readFileSync(configFile, 'utf8')).toBe(originalConfig);
  expect(readFileSync(join(cluster().primary.dataDir!, 'pg_hba.conf'), 'utf8')).toBe(originalHba);
  expect(await connects(plain(cluster().url()))).toBe(true);
  const streaming = async () =>
    withClient({ url: cluster().url() }, 'replication', async (c) => (await c.query<{ n: number }>("select count(*)::int as n from pg_stat_replication where state = 'streaming'")).rows[0]!.n);
  const until = Date.now() + 30_000;
  while ((await streaming()) !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
  expect(await streaming()).toBe(1);
  expect(readFileSync(join(cluster().replicas[0]!.dataDir!, 'postgresql.auto.conf'), 'utf8')).not.toMatch(/password=/);

  const again = await encrypt(rollback);
  expect(exitCodeFor(again)).toBe(3);
  expect(again.error?.message).toMatch(/already undone/);
}, 120_000);

test('a dry run shows every stage and changes nothing', async () => {
  const before = await withClient({ url: loaded().config.nodes![0]!.url }, 'ssl', async (c) => (await c.query<{ s: string }>("select current_setting('ssl') as s")).rows[0]!.s);
  const dry = await executeSkill(SecurityEncryptSkill, {}, { config: loaded(), yes: true, dryRun: true });
  expect(dry.status).toBe('planned');
  expect(dry.plan?.length).toBeGreaterThan(0);
  expect(readFileSync(configFile, 'utf8')).toBe(originalConfig);
  expect(await withClient({ url: loaded().config.nodes![0]!.url }, 'ssl', async (c) => (await c.query<{ s: string }>("select current_setting('ssl') as s")).rows[0]!.s)).toBe(before);
});

test('a node without a local data directory is refused by name, nothing changed', async () => {
  const config = loaded();
  config.config.nodes![1] = { name: 'node2', url: config.config.nodes![1]!.url };
  const envelope = await executeSkill(SecurityEncryptSkill, {}, { config, yes: true });
  expect(exitCodeFor(envelope)).toBe(2);
  expect(envelope.error?.message).toMatch(/^config nodes\.1\.dataDir: node node2 needs its data directory on this machine/);
  expect(readFileSync(configFile, 'utf8')).toBe(originalConfig);
});
