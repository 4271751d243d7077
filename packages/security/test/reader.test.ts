import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { ReaderReport, SecurityAuditSkill, SecurityReaderSkill } from '../src';

// A primary and a replica: the role is created on the primary and logs in on the replica too.
const cluster = useCluster({ replicas: 1, fast: true });
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-reader-'));
const configFile = join(dir, 'pgcluster.config.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  const nodes = cluster().nodes.map((n) => ({ name: n.name, url: n.url() }));
  writeFileSync(configFile, JSON.stringify({ name: 'reader', nodes }, null, 2), { mode: 0o600 });
});

const loaded = (): LoadedConfig => loadConfig({ path: configFile });
const primaryUrl = () => cluster().primary.url();
const roleExists = () => withClient({ url: primaryUrl() }, 'role', async (c) => (await c.query("select 1 from pg_roles where rolname = 'pgcluster_reader'")).rowCount === 1);
const reader = () => (JSON.parse(readFileSync(configFile, 'utf8')) as { reader?: { user: string; password: string } }).reader;
const asReader = (url: string, password: string) => {
  const u = new URL(url);
  u.username = 'pgcluster_reader';
  u.password = encodeURIComponent(password);
  return u.toString();
};

test('a dry run plans every statement and changes nothing', async () => {
  const envelope = await executeSkill(SecurityReaderSkill, {}, { config: loaded(), dryRun: true });
  expect(envelope.status).toBe('planned');
  expect(envelope.plan!.map((s) => s.text).join('\n')).toMatch(/CREATE ROLE "pgcluster_reader" LOGIN[\s\S]*GRANT pg_monitor, pg_read_all_data[\s\S]*REVOKE pg_execute_server_program/);
  expect(await roleExists()).toBe(false);
  expect(reader()).toBeUndefined();
});

test('init creates the role, writes its password only to the config, and it logs in read-only on the replica', async () => {
  const envelope = await executeSkill(SecurityReaderSkill, {}, { config: loaded() });
  expect(envelope.ok).toBe(true);
  expect(ReaderReport.parse(envelope.data)).toMatchObject({ action: 'init', user: 'pgcluster_reader', created: true, passwordSet: true, verified: true });
  expect(envelope.rollback).toMatchObject({ skill: 'security-reader', input: { action: 'drop', user: 'pgcluster_reader' } });
  const { password } = reader()!;
  expect(JSON.stringify(envelope)).not.toContain(password);
  expect(await cluster().logs(undefined, 5000)).not.toContain(password);
  const leaked = await withClient({ url: primaryUrl() }, 'statements', async (c) => {
    await c.query('create extension if not exists pg_stat_statements');
    return (await c.query<{ n: number }>("select count(*)::int as n from pg_stat_statements where query like '%' || $1 || '%'", [password])).rows[0]!.n;
  });
  expect(leaked).toBe(0);
  const replica = cluster().nodes.find((n) => n.role === 'replica')!;
  const who = await withClient({ url: asReader(replica.url(), password) }, 'replica', async (c) => (await c.query("select current_user as u, pg_has_role('pg_monitor', 'member') as monitor, pg_has_role('pg_read_server_files', 'member') as files")).rows[0]);
  expect(who).toEqual({ u: 'pgcluster_reader', monitor: true, files: false });
});

test('init returns only once the replica has replayed the new role: read skills log in there at once', async () => {
  const replica = cluster().nodes.find((n) => n.role === 'replica')!;
  await executeSkill(SecurityReaderSkill, { action: 'drop' }, { config: loaded(), yes: true });
  // The replica's replay held for a second, as a busy replica lags: init must wait for it.
  await withClient({ url: replica.url() }, 'pause replay', (c) => c.query('select pg_wal_replay_pause()'));
  const resumed = new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => withClient({ url: replica.url() }, 'resume replay', (c) => c.query('select pg_wal_replay_resume()')));
  try {
    const envelope = await executeSkill(SecurityReaderSkill, {}, { config: loaded() });
    expect(envelope.ok).toBe(true);
    const { password } = reader()!;
    const who = await withClient({ url: asReader(replica.url(), password) }, 'replica', async (c) => (await c.query<{ u: string }>('select current_user as u')).rows[0]!.u);
    expect(who).toBe('pgcluster_reader');
  } finally {
    await resumed;
  }
});

test('the audit, run as the reader, still sees password kinds through the helper function, never the hashes', async () => {
  await withClient({ url: primaryUrl() }, 'md5 role', async (c) => {
    await c.query("set password_encryption = 'md5'");
    await c.query("create role legacy_md5 login password 'legacy-password-1'");
  });
  const envelope = await executeSkill(SecurityAuditSkill, { checks: ['md5_password_hashes', 'unexpected_superusers'] }, { config: loaded() });
  const data = envelope.data as { findings: { check: string; object: string }[]; checks: { check: string; status: string }[] };
  expect(data.checks.find((c) => c.check === 'md5_password_hashes')?.status).not.toBe('skipped');
  expect(data.findings.filter((f) => f.check === 'md5_password_hashes').map((f) => f.object)).toEqual(['legacy_md5']);
  // The configured superuser is expected even though the audit connected as the reader.
  expect(data.findings.filter((f) => f.check === 'unexpected_superusers')).toEqual([]);
  await withClient({ url: primaryUrl() }, 'cleanup', (c) => c.query('drop role legacy_md5'));
});

test('init again keeps a working password; a broken one is replaced', async () => {
  const { password } = reader()!;
  const again = await executeSkill(SecurityReaderSkill, {}, { config: loaded() });
  expect(again.data).toMatchObject({ created: false, passwordSet: false, verified: true });
  expect(reader()!.password).toBe(password);
  const raw = JSON.parse(readFileSync(configFile, 'utf8')) as { reader: { password: string } };
  raw.reader.password = 'not-the-password-0123456789';
  writeFileSync(configFile, JSON.stringify(raw), { mode: 0o600 });
  const repaired = await executeSkill(SecurityReaderSkill, {}, { config: loaded() });
  expect(repaired.data).toMatchObject({ created: false, passwordSet: true, verified: true });
  expect(reader()!.password).not.toBe('not-the-password-0123456789');
});

test('the configured login is never made the reader (exit 3, nothing changed)', async () => {
  const own = decodeURIComponent(new URL(primaryUrl()).username);
  const envelope = await executeSkill(SecurityReaderSkill, { user: own }, { config: loaded() });
  expect(exitCodeFor(envelope)).toBe(3);
  const superuser = await withClient({ url: primaryUrl() }, 'own', async (c) => (await c.query<{ s: boolean }>('select rolsuper as s from pg_roles where rolname = current_user')).rows[0]!.s);
  expect(superuser).toBe(true);
});

test('drop removes the config entry, the helper function and the role', async () => {
  const envelope = await executeSkill(SecurityReaderSkill, { action: 'drop' }, { config: loaded() });
  expect(envelope.data).toMatchObject({ action: 'drop', dropped: true });
  expect(reader()).toBeUndefined();
  expect(await roleExists()).toBe(false);
  const fn = await withClient({ url: primaryUrl() }, 'function', async (c) => (await c.query("select to_regprocedure('pgcluster.role_password_kinds()') as f")).rows[0]!.f);
  expect(fn).toBeNull();
});
