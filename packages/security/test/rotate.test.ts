import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor, type Envelope } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { RotateReport, scramVerifier, SecurityRotateSkill } from '../src';

// A real primary and a streaming replica; the config file is the one clients read. The rotation
// runs under pgbench load and a client that reconnects with whatever the config file says.
const cluster = useCluster({ replicas: 1, fast: true });
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-rotate-'));
const configFile = join(dir, 'pgcluster.config.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const nodes = cluster().nodes.map((n) => ({ name: n.name, url: n.url(), dataDir: n.dataDir }));
  writeFileSync(configFile, JSON.stringify({ name: 'rotate', nodes }, null, 2), { mode: 0o600 });
});

const loaded = (): LoadedConfig => loadConfig({ path: configFile });
const primaryUrl = (): string => loaded().config.nodes![0]!.url;
const passwordOf = (url: string): string => decodeURIComponent(new URL(url).password);

async function rotate(input: Record<string, unknown>, yes = true): Promise<Envelope<RotateReport>> {
  const envelope = await executeSkill(SecurityRotateSkill, input, { config: loaded(), yes });
  if (envelope.data) expect(RotateReport.parse(envelope.data)).toEqual(envelope.data);
  return envelope;
}

async function canLogIn(url: string): Promise<true | string> {
  try {
    await withClient({ url }, 'login probe', (c) => c.query('select 1'));
    return true;
  } catch (error) {
    return (error as Error).message;
  }
}

async function streamingUser(): Promise<string | null> {
  return withClient({ url: primaryUrl() }, 'replication', async (c) => (await c.query<{ u: string }>("select usename as u from pg_stat_replication where state = 'streaming'")).rows[0]?.u ?? null);
}

/** Secrets must appear nowhere: the envelope, the audit log, the server logs, pg_stat_statements. */
async function expectNoSecret(password: string, envelope: Envelope<unknown>): Promise<void> {
  expect(JSON.stringify(envelope)).not.toContain(password);
  expect(readFileSync(join(dir, '.pgcluster', 'audit', 'audit.jsonl'), 'utf8')).not.toContain(password);
  expect(await cluster().logs(undefined, 5000)).not.toContain(password);
  const leaked = await withClient({ url: primaryUrl() }, 'pg_stat_statements', async (c) => (await c.query("select count(*)::int as n from pg_stat_statements where query like '%' || $1 || '%'", [password])).rows[0]!.n);
  expect(leaked).toBe(0);
}

function runPgbench(url: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const u = new URL(url);
  const bin = join(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim(), 'pgbench');
  // Security: the password reaches pgbench through its environment, never its command line.
  const child = spawn(bin, ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), ...args, u.pathname.slice(1)], { env: { ...process.env, PGPASSWORD: passwordOf(url) } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

test('alternating rotation under pgbench -c 8 -T 30: zero failed transactions and reconnects, the replica follows, the old password is refused after the grace period', async () => {
  const before = primaryUrl();
  expect((await runPgbench(before, ['-i', '-s', '1', '-q'])).code).toBe(0);
  const bench = runPgbench(before, ['-c', '8', '-j', '2', '-T', '30']);
  // A client that opens a new connection each time with whatever the config file holds.
  let stop = false;
  const reconnects = { ok: 0, failed: [] as string[] };
  const reconnecting = (async () => {
    while (!stop) {
      const result = await canLogIn(loadConfig({ path: configFile }).config.nodes![0]!.url);
      if (result === true) reconnects.ok += 1;
      else reconnects.failed.push(result);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await new Promise((r) => setTimeout(r, 3_000));

  const envelope = await rotate({ role: cluster().user, graceSeconds: 8 });
  expect(envelope.error).toBeUndefined();
  const report = envelope.data!;
  expect(report).toMatchObject({ action: 'rotate', mode: 'alternate', previousLogin: cluster().user, newLogin: `${cluster().user}_alt`, createdRole: true, loginProved: true, configFile });
  expect(report.replicas).toEqual([{ node: 'node2', updated: true, detail: expect.stringContaining(`streams as ${cluster().user}_alt`) }]);
  expect(envelope.rollback).toMatchObject({ skill: 'security-rotate', input: { role: cluster().user, action: 'undo', backup: report.backup } });
  expect(statSync(configFile).mode & 0o777).toBe(0o600);
  expect(statSync(report.backup).mode & 0o777).toBe(0o600);
  const after = primaryUrl();
  expect(decodeURIComponent(new URL(after).username)).toBe(`${cluster().user}_alt`);
  expect(loaded().config.nodes!.every((n) => new URL(n.url).username === `${cluster().user}_alt`)).toBe(true);
  await expectNoSecret(passwordOf(after), envelope);

  const { code, out } = await bench;
  stop = true;
  await reconnecting;
  const processed = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1]);
  process.stderr.write(`pgbench during rotation: ${processed} transactions, ${failed} failed; reconnecting client: ${reconnects.ok} logins, ${reconnects.failed.length} failed\n`);
  expect(code).toBe(0);
  expect(processed).toBeGreaterThan(0);
  expect(failed).toBe(0);
  expect(reconnects.failed).toEqual([]);
  expect(reconnects.ok).toBeGreaterThan(0);

  // The grace period (8 s) is long over: the old password is refused, the new one works, the replica streams as the new login.
  expect(await canLogIn(before)).toMatch(/password authentication failed/);
  expect(await canLogIn(after)).toBe(true);
  expect(await streamingUser()).toBe(`${cluster().user}_alt`);
}, 120_000);

test('undo while the old password works puts the config and the replica back; a second undo is refused', async () => {
  const before = primaryUrl();
  const beforeText = readFileSync(configFile, 'utf8');
  const rotated = await rotate({ role: cluster().user, graceSeconds: 300 });
  expect(rotated.data).toMatchObject({ previousLogin: `${cluster().user}_alt`, newLogin: cluster().user, createdRole: false });
  const newUrl = primaryUrl();
  expect(await canLogIn(before)).toBe(true);

  // A later change of the config file (another rotation, TLS) would be thrown away: refused until it is gone.
  const switchedText = readFileSync(configFile, 'utf8');
  writeFileSync(configFile, `${switchedText}\n`, { mode: 0o600 });
  const later = await rotate(rotated.rollback!.input);
  expect(exitCodeFor(later)).toBe(3);
  expect(later.error?.message).toMatch(/changed after the rotation/);
  writeFileSync(configFile, switchedText, { mode: 0o600 });

  const undo = await rotate(rotated.rollback!.input);
  expect(undo.error).toBeUndefined();
  expect(undo.data).toMatchObject({ action: 'undo', newLogin: `${cluster().user}_alt`, previousLogin: cluster().user });
  expect(readFileSync(configFile, 'utf8')).toBe(beforeText);
  expect(await canLogIn(primaryUrl())).toBe(true);
  expect(await canLogIn(newUrl)).toBe(true); // still within its grace: clients that already switched keep working
  expect(await streamingUser()).toBe(`${cluster().user}_alt`);

  const again = await rotate(rotated.rollback!.input);
  expect(exitCodeFor(again)).toBe(3);
  expect(again.error?.message).toMatch(/already undone/);
}, 120_000);

test('single-role mode keeps the login, states its window, and records a given password as ***', async () => {
  const before = primaryUrl();
  const password = 'Given-Password-0123456789';
  const envelope = await rotate({ role: cluster().user, mode: 'single', password });
  expect(envelope.error).toBeUndefined();
  expect(envelope.data).toMatchObject({ mode: 'single', previousLogin: `${cluster().user}_alt`, newLogin: `${cluster().user}_alt`, previousValidUntil: null });
  expect(envelope.data!.window).toMatch(/new connections with the old password fail/);
  expect(await canLogIn(before)).toMatch(/password authentication failed/);
  expect(passwordOf(primaryUrl())).toBe(password);
  expect(await canLogIn(primaryUrl())).toBe(true);
  expect(readFileSync(join(dir, '.pgcluster', 'audit', 'audit.jsonl'), 'utf8')).toContain('"password":"***"');
  await expectNoSecret(password, envelope);
}, 60_000);

test('without --yes, or for a role that is not the config\'s, nothing changes', async () => {
  const text = readFileSync(configFile, 'utf8');
  // A dry run shows the plan and changes nothing, even confirmed.
  const roles = () =>
    withClient({ url: primaryUrl() }, 'roles', async (c) =>
      (await c.query("select rolname, rolvaliduntil::text as until, rolpassword from pg_authid where rolname like $1 || '%' order by 1", [cluster().user])).rows);
  const rolesBefore = await roles();
  const dry = await executeSkill(SecurityRotateSkill, { role: cluster().user }, { config: loaded(), yes: true, dryRun: true });
  expect(dry.status).toBe('planned');
  expect(dry.plan?.length).toBeGreaterThan(0);
  expect(await roles()).toEqual(rolesBefore);
  const refused = await rotate({ role: cluster().user }, false);
  expect(exitCodeFor(refused)).toBe(3);
  expect(refused.plan?.map((s) => s.text).join('\n')).toMatch(/ALTER ROLE .* PASSWORD '<SCRAM-SHA-256 verifier of the new password>'/);
  const wrong = await rotate({ role: 'someone_else' });
  expect(exitCodeFor(wrong)).toBe(2);
  expect(wrong.error?.message).toMatch(/^--role \(role\): must be the config's user/);
  const bad = await rotate({ role: 'Bad-Name', action: 'undo' });
  expect(exitCodeFor(bad)).toBe(2);
  expect(bad.error?.message).toMatch(/role/);
  expect(bad.error?.message).toMatch(/backup/);
  // A replica streaming as the login whose dataDir is not on this machine would break when the old password expires.
  const remote = loaded();
  remote.config.nodes![1] = { name: remote.config.nodes![1]!.name, url: remote.config.nodes![1]!.url };
  const stuck = await executeSkill(SecurityRotateSkill, { role: cluster().user }, { config: remote, yes: true });
  expect(exitCodeFor(stuck)).toBe(3);
  expect(stuck.error?.message).toMatch(/replica\(s\) node2 stream as .* nothing was changed/);
  expect(readFileSync(configFile, 'utf8')).toBe(text);
  expect(await canLogIn(primaryUrl())).toBe(true);
});

test('the rotation sends a SCRAM verifier the server accepts for the password', async () => {
  const verifier = scramVerifier('some-password-1234');
  expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  await withClient({ url: primaryUrl() }, 'verifier', (c) => c.query(`CREATE ROLE verifier_probe LOGIN PASSWORD ${c.escapeLiteral(verifier)}`));
  const u = new URL(primaryUrl());
  u.username = 'verifier_probe';
  u.password = 'some-password-1234';
  expect(await canLogIn(u.toString())).toBe(true);
  u.password = 'wrong-password-1234';
  expect(await canLogIn(u.toString())).toMatch(/password authentication failed/);
  await withClient({ url: primaryUrl() }, 'cleanup', (c) => c.query('DROP ROLE verifier_probe'));
});
