import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nodeAddress, PgClusterError, withClient, type ClusterConfig, type NodeConfig } from '@pgcluster/core';
import type { SkillLogger } from '@pgcluster/skill-kit';
import { chooseCandidate, formatLsn, parseLsn, type Candidate, type FailoverNodeFacts } from './choose-candidate';
import type { ClusterFailoverInput, ClusterFailoverOutput, FailoverStep } from './failover-schema';
import { inspectNodes } from './inspect-nodes';
import { isLocalDataDir, runningPostmaster, runServerProgram } from './local-node';

/** Ends every client session but ours: a fence that leaves replication running. */
export const TERMINATE_CLIENTS_SQL = `select count(pg_terminate_backend(pid)) as ended from pg_stat_activity
 where backend_type = 'client backend' and pid <> pg_backend_pid()`;

/** The timeline of the WAL being written now (from the current WAL file's name). */
export const TIMELINE_SQL = `select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int as timeline`;

/**
 * Quotes a string as an SQL literal (standard_conforming_strings on): for `ALTER SYSTEM`,
 * which takes no bound parameters.
 * @example sqlLiteral("it's") // "'it''s'"
 */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new PgClusterError('INVALID_INPUT', 'a value contains a NUL byte');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A libpq `primary_conninfo` for streaming from `source` under `applicationName`, with the
 * source URL's user and password (the password is written to the replica's
 * `postgresql.auto.conf`, never shown: see {@link redactConninfo}).
 * @example primaryConninfo('postgresql://u:p@127.0.0.1:5433/db', 'node3') // "host='127.0.0.1' port='5433' user='u' password='p' application_name='node3'"
 */
export function primaryConninfo(sourceUrl: string, applicationName: string): string {
  const u = new URL(sourceUrl);
  const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const parts = [`host=${q(u.hostname.replace(/^\[|\]$/g, ''))}`, `port=${q(u.port || '5432')}`];
  if (u.username) parts.push(`user=${q(decodeURIComponent(u.username))}`);
  if (u.password) parts.push(`password=${q(decodeURIComponent(u.password))}`);
  parts.push(`application_name=${q(applicationName)}`);
  return parts.join(' ');
}

/**
 * Re-points an existing `primary_conninfo` at another server: host and port change; user,
 * password (the replica's own replication credentials) and every other keyword stay. Without
 * one, {@link primaryConninfo} of the new primary's URL is used.
 * @example repointConninfo("host='a' port='1' user='r' password='x'", 'postgresql://u:p@b:2/db', 'node3') // "host='b' port='2' user='r' password='x' application_name='node3'"
 */
export function repointConninfo(current: string, targetUrl: string, applicationName: string): string {
  const pairs = [...current.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)].map((m) => [m[1]!, m[2]!] as const);
  if (!pairs.some(([k]) => k === 'user')) return primaryConninfo(targetUrl, applicationName);
  const u = new URL(targetUrl);
  const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const set = new Map<string, string>(pairs.filter(([k]) => k !== 'host' && k !== 'port' && k !== 'hostaddr' && k !== 'application_name'));
  return [`host=${q(u.hostname.replace(/^\[|\]$/g, ''))}`, `port=${q(u.port || '5432')}`, ...[...set].map(([k, v]) => `${k}=${v}`), `application_name=${q(applicationName)}`].join(' ');
}

/**
 * The conninfo with its password replaced, for plans and logs.
 * @example redactConninfo("host='h' password='s'") // "host='h' password='***'"
 */
export function redactConninfo(conninfo: string): string {
  return conninfo.replace(/password='(?:[^'\\]|\\.)*'/g, "password='***'");
}

/** The statements that re-point one replica at a new primary. */
export function repointSql(conninfo: string, slot: string): string[] {
  return [`alter system set primary_conninfo = ${sqlLiteral(conninfo)}`, `alter system set primary_slot_name = ${sqlLiteral(slot)}`, 'select pg_reload_conf()'];
}

/** Options of {@link nativeFailover}. */
export interface NativeFailoverOptions {
  log: SkillLogger;
  signal?: AbortSignal;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Native failover/switchover (no HA manager): fence the old primary when it answers (a local
 * one is stopped with `pg_ctl stop -m fast`; a remote one is made read-only and its sessions
 * ended), for a switchover wait until the target has replayed all of its WAL, `pg_promote()`
 * the candidate, create slots on it and re-point every other replica (`ALTER SYSTEM SET
 * primary_conninfo` + `pg_reload_conf()`, which PostgreSQL 15 applies on reload), and with
 * `rewind` `pg_rewind` the old primary (local `dataDir` only) and start it as a replica.
 *
 * @throws PgClusterError `ACTION_FAILED`/`TIMEOUT` with the step that failed; a switchover that
 *   cannot catch up un-fences the old primary before it throws.
 * @example
 * ```ts
 * const result = await nativeFailover(config, ClusterFailoverInput.parse({ action: 'failover' }), { log })
 * console.log(result.to, result.reason)
 * ```
 */
export async function nativeFailover(config: ClusterConfig, input: ClusterFailoverInput, options: NativeFailoverOptions): Promise<ClusterFailoverOutput> {
  const started = Date.now();
  const nodes = config.nodes ?? [];
  const facts = await inspectNodes(nodes);
  const candidate = chooseCandidate(input.action, facts, input.to);
  const steps: FailoverStep[] = [];
  const step = (name: string, ok: boolean, detail: string) => {
    steps.push({ step: name, ok, detail });
    options.log.info(`cluster-failover: ${name}: ${detail}`);
  };
  step('choose', true, candidate.reason);
  const byName = (name: string) => nodes.find((n) => n.name === name)!;
  const target = byName(candidate.name);
  const oldName = candidate.primary?.name ?? lostPrimaryName(facts, candidate);
  const old = oldName ? byName(oldName) : undefined;

  // 1. Fence the old primary, so that it takes no write the new one will not have.
  let fenced: ClusterFailoverOutput['fenced'] = candidate.primary ? 'none' : 'unreachable';
  let finalLsn = candidate.primary?.lsn;
  // The old primary's synchronous_standby_names, carried over to the new one (a replica's own is not used).
  const syncNames = candidate.primary && old
    ? await withClient({ url: old.url, connectTimeoutMs: 2_000 }, `reading ${old.name}'s synchronous_standby_names`, async (c) =>
        (await c.query<{ s: string }>("select current_setting('synchronous_standby_names') as s")).rows[0]?.s ?? '',
      ).catch(() => '')
    : undefined;
  if (candidate.primary && old) {
    if (isLocalDataDir(old.dataDir)) {
      await runServerProgram('pg_ctl', ['stop', '-D', old.dataDir, '-m', 'fast', '-w', '-t', '60', '-s'], old.dataDir, {}, options.signal);
      fenced = 'stopped';
      step('fence', true, `${old.name} stopped (pg_ctl stop -m fast): its last WAL went to the connected replicas`);
    } else {
      finalLsn = await withClient({ url: old.url, applicationName: 'pgcluster-failover' }, `fencing ${old.name}`, async (c) => {
        await c.query('alter system set default_transaction_read_only = on');
        await c.query('select pg_reload_conf()');
        await c.query(TERMINATE_CLIENTS_SQL);
        return parseLsn((await c.query<{ l: string }>('select pg_current_wal_lsn()::text as l')).rows[0]!.l);
      });
      fenced = 'read-only';
      step('fence', true, `${old.name} is remote: default_transaction_read_only on and client sessions ended (stopping it needs its machine)`);
    }
  }

  // 2. Switchover: the target must have replayed everything the old primary wrote.
  if (input.action === 'switchover' && finalLsn !== undefined) {
    try {
      const replayed = await waitForReplay(target, finalLsn, input.catchUpTimeoutMs, options.signal);
      step('catch up', true, `${target.name} replayed up to ${formatLsn(replayed)} (the old primary's last position ${formatLsn(finalLsn)})`);
    } catch (error) {
      if (old) await unfence(old, fenced).catch(() => undefined);
      step('catch up', false, (error as Error).message);
      throw error;
    }
  }

  // 3. Promote.
  await withClient({ url: target.url, applicationName: 'pgcluster-failover' }, `promoting ${target.name}`, async (c) => {
    const { rows } = await c.query<{ ok: boolean }>('select pg_promote(true, 60) as ok');
    if (!rows[0]?.ok) throw new PgClusterError('ACTION_FAILED', `${target.name} did not finish promotion within 60 s`);
  });
  const { timeline, lsn: newLsn } = await withClient({ url: target.url }, `reading ${target.name}'s timeline`, async (c) => {
    const t = (await c.query<{ timeline: number }>(TIMELINE_SQL)).rows[0]!.timeline;
    const l = (await c.query<{ l: string }>('select pg_current_wal_lsn()::text as l')).rows[0]!.l;
    return { timeline: Number(t), lsn: parseLsn(l) };
  });
  step('promote', true, `${target.name} is primary on timeline ${timeline}`);
  if (syncNames) {
    // The cluster was synchronous: the new primary waits for ANY 1 of the other nodes, as the old one did.
    const others = nodes.filter((n) => n.name !== target.name).map((n) => `"${n.name}"`).join(', ');
    const value = `ANY 1 (${others})`;
    await withClient({ url: target.url }, `synchronous_standby_names on ${target.name}`, async (c) => {
      await c.query(`alter system set synchronous_standby_names = ${sqlLiteral(value)}`);
      await c.query('select pg_reload_conf()');
    });
    step('synchronous', true, `${target.name} waits for ${value} (the old primary had ${syncNames})`);
  } else if (syncNames === undefined) {
    options.log.info('cluster-failover: the old primary did not answer, so its synchronous_standby_names is unknown; the new primary keeps its own');
  }
  const targetFacts = facts.find((f) => f.name === target.name)!;
  const lostBytes =
    input.action === 'switchover' ? 0 : finalLsn !== undefined && targetFacts.lsn !== undefined ? Math.max(0, Number(finalLsn - targetFacts.lsn)) : null;
  void newLsn;

  // 4. Slots on the new primary for every other node, then re-point the replicas that answer.
  const others = nodes.filter((n) => n.name !== target.name);
  await withClient({ url: target.url }, `creating replication slots on ${target.name}`, async (c) => {
    for (const n of others) {
      await c.query('select pg_create_physical_replication_slot($1) where not exists (select 1 from pg_replication_slots where slot_name = $1)', [slotName(n.name)]);
    }
  });
  const repointed: string[] = [];
  for (const n of others) {
    const f = facts.find((x) => x.name === n.name)!;
    if (n.name === oldName || !f.reachable || !f.inRecovery) continue;
    try {
      await withClient({ url: n.url, applicationName: 'pgcluster-failover' }, `re-pointing ${n.name}`, async (c) => {
        // Security: the replica keeps its own replication credentials (only host and port change); the conninfo
        // lands in its postgresql.auto.conf (mode 600) and is never shown by us.
        const current = (await c.query<{ v: string }>("select current_setting('primary_conninfo') as v")).rows[0]?.v ?? '';
        for (const sql of repointSql(repointConninfo(current, target.url, n.name), slotName(n.name))) await c.query(sql);
      });
      repointed.push(n.name);
      step('re-point', true, `${n.name} now streams from ${target.name} (${nodeAddress(target.url).split('/')[0]})`);
    } catch (error) {
      step('re-point', false, `${n.name}: ${(error as Error).message}`);
    }
  }

  // 5. The old primary: pg_rewind and rejoin on request (local data dir only), else leave it fenced.
  let oldPrimary: ClusterFailoverOutput['oldPrimary'] = fenced === 'stopped' ? 'stopped' : fenced === 'read-only' ? 'read-only' : 'down';
  if (input.rewind && old) {
    if (!isLocalDataDir(old.dataDir)) {
      step('rewind', false, `${old.name} has no local dataDir in the config: pg_rewind must run on its own machine (pg_rewind -D <its data dir> --source-server=…, then standby.signal and start)`);
    } else {
      await rejoinAsReplica(old, target, options.signal);
      const streaming = await waitForStreaming(target, old.name, 30_000);
      oldPrimary = 'rejoined';
      if (streaming) repointed.push(old.name);
      step('rewind', true, `${old.name} rewound (pg_rewind) and started as a replica of ${target.name}${streaming ? '; it streams' : '; not streaming yet'}`);
    }
  }
  return {
    action: input.action,
    mode: 'native',
    from: oldName ?? null,
    to: target.name,
    reason: candidate.reason,
    fenced,
    lostBytes,
    timeline,
    repointed,
    oldPrimary,
    steps,
    durationMs: Date.now() - started,
  };
}

/** The replication slot a node streams through: its name with `-` made `_` (slot names allow [a-z0-9_]). */
export function slotName(node: string): string {
  return node.replace(/-/g, '_');
}

/** With no primary answering, the old primary is the one node that does not answer (when exactly one). */
function lostPrimaryName(facts: readonly FailoverNodeFacts[], candidate: Candidate): string | undefined {
  const down = facts.filter((f) => !f.reachable && f.name !== candidate.name);
  return down.length === 1 ? down[0]!.name : undefined;
}

async function waitForReplay(target: NodeConfig, lsn: bigint, timeoutMs: number, signal?: AbortSignal): Promise<bigint> {
  const deadline = Date.now() + timeoutMs;
  let replayed: bigint | undefined;
  for (;;) {
    replayed = await withClient({ url: target.url, connectTimeoutMs: 2_000 }, `reading ${target.name}'s replay position`, async (c) =>
      parseLsn((await c.query<{ l: string }>('select pg_last_wal_replay_lsn()::text as l')).rows[0]!.l),
    ).catch(() => undefined);
    if (replayed !== undefined && replayed >= lsn) return replayed;
    if (Date.now() > deadline || signal?.aborted) {
      throw new PgClusterError('TIMEOUT', `${target.name} did not catch up within ${timeoutMs} ms: replayed ${replayed !== undefined ? formatLsn(replayed) : 'unknown'}, needs ${formatLsn(lsn)}`, {
        hint: 'The old primary was un-fenced and still leads; look at the target\'s replication (cluster-status) and retry, or raise --catch-up-timeout-ms.',
      });
    }
    await sleep(100);
  }
}

async function unfence(old: NodeConfig, fenced: ClusterFailoverOutput['fenced']): Promise<void> {
  if (fenced === 'stopped' && isLocalDataDir(old.dataDir)) {
    await runServerProgram('pg_ctl', ['start', '-D', old.dataDir, '-w', '-t', '60', '-s', '-l', serverLog(old.dataDir)], old.dataDir);
  } else if (fenced === 'read-only') {
    await withClient({ url: old.url }, `un-fencing ${old.name}`, async (c) => {
      await c.query('alter system reset default_transaction_read_only');
      await c.query('select pg_reload_conf()');
    });
  }
}

function serverLog(dataDir: string): string {
  const beside = join(dirname(dataDir), 'server.log');
  return existsSync(beside) ? beside : join(dataDir, 'pgcluster-rejoin.log');
}

async function rejoinAsReplica(old: NodeConfig & { dataDir?: string }, target: NodeConfig, signal?: AbortSignal): Promise<void> {
  const dataDir = old.dataDir!;
  if (runningPostmaster(dataDir) !== undefined) await runServerProgram('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-s'], dataDir);
  // A SIGKILLed postmaster leaves its lock file (and may linger as an unreaped zombie): pg_rewind's crash recovery would refuse it.
  else rmSync(join(dataDir, 'postmaster.pid'), { force: true });
  // pg_rewind reads the source's timeline from its control file, which a fast promotion updates only at the next
  // checkpoint: without this it would find both on the same timeline and rewind nothing.
  await withClient({ url: target.url }, `checkpoint on ${target.name}`, (c) => c.query('checkpoint'));
  const owner = statSync(dataDir);
  // pg_rewind copies the source's configuration files too (its port, its settings): the node keeps its own.
  const CONFIG_FILES = ['postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf', 'pg_ident.conf'];
  const saved = new Map(CONFIG_FILES.filter((f) => existsSync(join(dataDir, f))).map((f) => [f, readFileSync(join(dataDir, f))]));
  const u = new URL(target.url);
  // Security: the password reaches pg_rewind through a mode-600 passfile of the server's user, never argv or env of runuser.
  const dir = mkdtempSync(join(tmpdir(), 'pgcluster-rewind-'));
  const passfile = join(dir, 'pgpass');
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  writeFileSync(passfile, `${esc(u.hostname)}:${u.port || '5432'}:*:${esc(decodeURIComponent(u.username))}:${esc(decodeURIComponent(u.password))}\n`, { mode: 0o600 });
  try {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(passfile, owner.uid, owner.gid);
    const source = `host=${u.hostname} port=${u.port || '5432'} user=${decodeURIComponent(u.username)} dbname=postgres connect_timeout=10`;
    await runServerProgram('pg_rewind', ['--target-pgdata', dataDir, '--source-server', source], dataDir, { PGPASSFILE: passfile }, signal);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const [file, content] of saved) {
      writeFileSync(join(dataDir, file), content, { mode: 0o600 });
      chownSync(join(dataDir, file), owner.uid, owner.gid);
    }
  }
  const auto = join(dataDir, 'postgresql.auto.conf');
  const lines = [
    `primary_conninfo = ${sqlLiteral(primaryConninfo(target.url, old.name))}`,
    `primary_slot_name = ${sqlLiteral(slotName(old.name))}`,
    "default_transaction_read_only = 'off'",
  ];
  const kept = existsSync(auto) ? readFileSync(auto, 'utf8').split('\n').filter((l) => !/^\s*(primary_conninfo|primary_slot_name|default_transaction_read_only)\s*=/.test(l)) : [];
  writeFileSync(auto, `${[...kept.filter((l) => l.trim() !== ''), ...lines].join('\n')}\n`, { mode: 0o600 });
  chownSync(auto, owner.uid, owner.gid);
  writeFileSync(join(dataDir, 'standby.signal'), '', { mode: 0o600 });
  chownSync(join(dataDir, 'standby.signal'), owner.uid, owner.gid);
  chmodSync(auto, 0o600);
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
  await runServerProgram('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-s', '-l', serverLog(dataDir)], dataDir, {}, signal);
}

async function waitForStreaming(primary: NodeConfig, name: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await withClient({ url: primary.url, connectTimeoutMs: 2_000 }, 'reading pg_stat_replication', async (c) =>
      (await c.query("select 1 from pg_stat_replication where application_name = $1 and state = 'streaming'", [name])).rowCount! > 0,
    ).catch(() => false);
    if (ok) return true;
    await sleep(200);
  }
  return false;
}
