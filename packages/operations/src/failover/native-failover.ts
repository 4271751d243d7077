import {
  conninfoValue,
  controlData,
  nodeAddress,
  PgClusterError,
  quoteConninfoValue,
  rejoinAsStandby,
  standbyConninfo,
  startDataDir,
  withClient,
  type ClusterConfig,
  type NodeConfig,
  redactUrl,
} from '@pgcluster/core';
import type { SkillLogger } from '@pgcluster/skill-kit';
import { chooseCandidate, formatLsn, parseLsn, type Candidate, type FailoverNodeFacts } from './choose-candidate';
import type { ClusterFailoverInput, ClusterFailoverOutput, FailoverStep } from './failover-schema';
import { inspectNodes } from './inspect-nodes';
import { isLocalDataDir, nodePassfile, serverLog, serverRunner } from './local-node';

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
 * A libpq `primary_conninfo` for streaming from `sourceUrl` under `applicationName`: host,
 * port and user of the URL, and a `passfile` for the password (never the password itself: a
 * changed primary_conninfo is written to the server log, and `ALTER SYSTEM` statements to
 * pg_stat_statements).
 * @example primaryConninfo('postgresql://u:p@127.0.0.1:5433/db', 'node3', '/srv/node3/pgpass') // "host='127.0.0.1' port='5433' user='u' passfile='/srv/node3/pgpass' application_name='node3'"
 */
export function primaryConninfo(sourceUrl: string, applicationName: string, passfile?: string): string {
  const u = new URL(sourceUrl);
  return standbyConninfo({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port || '5432',
    user: decodeURIComponent(u.username),
    ...(passfile ? { passfile } : {}),
    applicationName,
  });
}

/**
 * Re-points an existing `primary_conninfo` at another server: host and port change; user,
 * `passfile` and every other keyword stay. A `password` keyword is dropped (the caller gives a
 * `passfile` instead, or refuses): the result never carries a secret.
 * @example repointConninfo("host='a' port='1' user='r' passfile='/p'", 'postgresql://u:p@b:2/db', 'node3') // "host='b' port='2' user='r' passfile='/p' application_name='node3'"
 */
export function repointConninfo(current: string, targetUrl: string, applicationName: string, passfile?: string): string {
  const pairs = [...current.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)].map((m) => [m[1]!, m[2]!] as const);
  if (!pairs.some(([k]) => k === 'user')) return primaryConninfo(targetUrl, applicationName, passfile);
  const u = new URL(targetUrl);
  const dropped = new Set(['host', 'port', 'hostaddr', 'application_name', 'password', ...(passfile ? ['passfile'] : [])]);
  const set = pairs.filter(([k]) => !dropped.has(k));
  return [
    `host=${quoteConninfoValue(u.hostname.replace(/^\[|\]$/g, ''))}`,
    `port=${quoteConninfoValue(u.port || '5432')}`,
    ...set.map(([k, v]) => `${k}=${v}`),
    ...(passfile ? [`passfile=${quoteConninfoValue(passfile)}`] : []),
    `application_name=${quoteConninfoValue(applicationName)}`,
  ].join(' ');
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
      const run = serverRunner(old.dataDir, options.signal);
      await run('pg_ctl', ['stop', '-D', old.dataDir, '-m', 'fast', '-w', '-t', '60', '-s']);
      fenced = 'stopped';
      // A clean shutdown ends with a checkpoint record that the walsenders deliver before they exit: the target
      // must replay past it, and then the old primary has nothing the new one lacks (it rejoins without pg_rewind).
      finalLsn = (await controlData(old.dataDir, run)).checkpointLsn + 1n;
      step('fence', true, `${old.name} stopped (pg_ctl stop -m fast): its last WAL, up to ${formatLsn(finalLsn)}, went to the connected replicas`);
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
      step('catch up', false, redactUrl((error as Error).message));
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
      const detail = await repointReplica(n, target);
      repointed.push(n.name);
      step('re-point', true, `${n.name} now streams from ${target.name} (${nodeAddress(target.url).split('/')[0]})${detail}`);
    } catch (error) {
      step('re-point', false, `${n.name}: ${redactUrl((error as Error).message)}`);
    }
  }

  // 5. The old primary. A switchover rejoins it as a replica (a clean shutdown after catch-up needs no pg_rewind); a
  //    failover leaves it fenced unless --rewind asks for pg_rewind and a rejoin. Local data directories only.
  let oldPrimary: ClusterFailoverOutput['oldPrimary'] = fenced === 'stopped' ? 'stopped' : fenced === 'read-only' ? 'read-only' : 'down';
  const rejoin = old !== undefined && (input.rewind || (input.action === 'switchover' && fenced !== 'unreachable'));
  if (rejoin && old) {
    if (!isLocalDataDir(old.dataDir)) {
      step('rejoin', false, `${old.name} has no local dataDir in the config, so it still runs as a read-only primary on its old timeline (fenced: sessions ended, default_transaction_read_only on). ` +
        `Left to do on its machine: pg_ctl stop -D <its data dir> -m fast; pg_rewind --target-pgdata <its data dir> --source-server 'host=${new URL(target.url).hostname} port=${new URL(target.url).port || '5432'} user=… dbname=postgres'; ` +
        `touch standby.signal and set primary_conninfo (with passfile=) to ${target.name}; pg_ctl start. Or add its dataDir to the config when it is on this machine.`);
    } else {
      const { rewound } = await rejoinAsStandby(old.dataDir, {
        run: serverRunner(old.dataDir, options.signal),
        sourceUrl: target.url,
        passfile: nodePassfile(old.dataDir, target.url),
        applicationName: old.name,
        slot: slotName(old.name),
        rewind: input.rewind,
        logFile: serverLog(old.dataDir),
        label: old.name,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const streaming = await waitForStreaming(target, old.name, 30_000);
      oldPrimary = 'rejoined';
      if (streaming) repointed.push(old.name);
      const how = input.rewind ? (rewound ? 'rewound (pg_rewind) and started' : 'checked by pg_rewind (nothing had diverged) and started') : 'started (clean shutdown after catch-up: no pg_rewind needed)';
      step(input.rewind ? 'rewind' : 'rejoin', streaming, `${old.name} ${how} as a replica of ${target.name}${streaming ? '; it streams' : '; not streaming within 30 s: look at its server log'}`);
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
    await startDataDir(old.dataDir, { run: serverRunner(old.dataDir), logFile: serverLog(old.dataDir), label: old.name });
  } else if (fenced === 'read-only') {
    await withClient({ url: old.url }, `un-fencing ${old.name}`, async (c) => {
      await c.query('alter system reset default_transaction_read_only');
      await c.query('select pg_reload_conf()');
    });
  }
}

/**
 * Re-points one running replica at the new primary with `ALTER SYSTEM` (host and port only).
 * Security: the statement never carries a password (it would reach pg_stat_statements and, through
 * "parameter changed", the server log): the replica keeps its `passfile`; a local replica without one
 * gets one (its password moved there); a remote one whose conninfo carries a password is refused.
 */
async function repointReplica(n: NodeConfig, target: NodeConfig): Promise<string> {
  return withClient({ url: n.url, applicationName: 'pgcluster-failover' }, `re-pointing ${n.name}`, async (c) => {
    const current = (await c.query<{ v: string }>("select current_setting('primary_conninfo') as v")).rows[0]?.v ?? '';
    let passfile: string | undefined;
    let detail = '';
    if (isLocalDataDir(n.dataDir) && (conninfoValue(current, 'password') !== undefined || conninfoValue(current, 'passfile') === undefined)) {
      passfile = nodePassfile(n.dataDir, target.url);
      detail = conninfoValue(current, 'password') !== undefined ? `; its password moved to ${passfile}` : '';
    } else if (conninfoValue(current, 'password') !== undefined) {
      throw new PgClusterError('ACTION_FAILED', 'not re-pointed: its primary_conninfo carries a password and it has no local dataDir, so no passfile can be written for it', {
        hint: `On its machine, put the replication password in a passfile (mode 600, owned by postgres), set primary_conninfo = 'host=… port=… user=… passfile=…' and reload; or add its dataDir to the config.`,
      });
    } else if (conninfoValue(current, 'passfile') === undefined) {
      detail = "; it has no passfile in its primary_conninfo, so libpq reads the password from the server user's ~/.pgpass";
    }
    for (const sql of repointSql(repointConninfo(current, target.url, n.name, passfile), slotName(n.name))) await c.query(sql);
    return detail;
  });
}

/**
 * Waits until `name` streams from `primary` (pg_stat_replication state streaming).
 * @returns false when it did not within `timeoutMs`.
 * @example await waitForStreaming(primary, 'node2', 30_000) // true
 */
export async function waitForStreaming(primary: Pick<NodeConfig, 'url'>, name: string, timeoutMs: number): Promise<boolean> {
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
