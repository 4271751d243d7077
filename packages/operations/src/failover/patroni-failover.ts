import { PgClusterError, type ClusterConfig } from '@pgcluster/core';
import type { SkillLogger } from '@pgcluster/skill-kit';
import { chooseCandidate, type FailoverNodeFacts } from './choose-candidate';
import type { ClusterFailoverInput, ClusterFailoverOutput, FailoverStep } from './failover-schema';

/** One member of Patroni's `GET /cluster` (the fields we read), with its WAL position when its API gave it. */
interface Member {
  name: string;
  role: string;
  state: string;
  timeline?: number;
  lag?: number | string;
  api_url?: string;
  /** From the member's own `GET /patroni` (`xlog`): the leader's write position, a replica's received/replayed one, in bytes. */
  lsn?: bigint;
}

const isLeader = (role: string) => role === 'leader' || role === 'master' || role === 'primary';
const RUNNING = new Set(['running', 'streaming']);

/**
 * Reads Patroni's members (`GET <api>/cluster`, from the first of `apiUrls` that answers), each
 * with its real WAL position from its own REST API (`GET <api_url>` → `xlog`) when that answers.
 * @throws PgClusterError `UNREACHABLE` when no Patroni answers.
 * @example const members = await patroniClusterMembers(config.patroni.urls)
 */
export async function patroniClusterMembers(apiUrls: string | readonly string[], signal?: AbortSignal): Promise<Member[]> {
  return (await readCluster(typeof apiUrls === 'string' ? [apiUrls] : apiUrls, signal, true)).members;
}

/** `GET /cluster` from the first API that answers, which is returned too (the next calls go there). */
async function readCluster(apis: readonly string[], signal: AbortSignal | undefined, withLsn: boolean): Promise<{ api: string; members: Member[] }> {
  const failures: string[] = [];
  for (const api of apis) {
    try {
      const members = (await getJson<{ members: Member[] }>(new URL('/cluster', api), signal)).members;
      if (withLsn) await Promise.all(members.map(async (m) => (m.lsn = await memberLsn(m, signal))));
      return { api, members };
    } catch (error) {
      failures.push(`${new URL(api).host}: ${(error as Error).message}`);
    }
  }
  throw new PgClusterError('UNREACHABLE', `Patroni's REST API did not answer (${failures.join('; ')})`, {
    hint: 'Check that Patroni runs (pgcluster dev status), or list several members in config.patroni.url.',
  });
}

async function getJson<T>(url: URL, signal?: AbortSignal, timeoutMs = 3_000): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** A member's WAL position from its own `GET /patroni`: `xlog.location` on the leader, else the larger of received and replayed. */
async function memberLsn(m: Member, signal?: AbortSignal): Promise<bigint | undefined> {
  if (!m.api_url || !RUNNING.has(m.state)) return undefined;
  try {
    const { xlog } = await getJson<{ xlog?: { location?: number; received_location?: number; replayed_location?: number } }>(new URL(m.api_url), signal, 2_000);
    const positions = [xlog?.location, xlog?.received_location, xlog?.replayed_location].filter((n): n is number => typeof n === 'number');
    return positions.length ? BigInt(Math.max(...positions)) : undefined;
  } catch {
    return undefined; // its API is down: the lag from /cluster still orders the candidates
  }
}

/**
 * Turns Patroni members into candidate facts: a replica's position is the leader's minus its lag.
 * @example patroniFacts(members)[0] // { name: 'node1', reachable: true, inRecovery: false, … }
 */
export function patroniFacts(members: readonly Member[]): FailoverNodeFacts[] {
  const allKnown = members.every((m) => !RUNNING.has(m.state) || m.lsn !== undefined);
  return members.map((m) => {
    const reachable = RUNNING.has(m.state);
    const lag = typeof m.lag === 'number' ? m.lag : undefined;
    // The real position when every running member's API gave one; else larger is more advanced:
    // 0 for the leader, minus the lag for replicas (never printed as an LSN then).
    const relative = isLeader(m.role) ? 0n : lag !== undefined ? BigInt(-lag) : undefined;
    return {
      name: m.name,
      reachable,
      inRecovery: !isLeader(m.role),
      lsn: allKnown ? m.lsn : relative,
      streaming: m.state === 'streaming' || (m.state === 'running' && !isLeader(m.role)),
      sync: m.role === 'sync_standby',
      ...(m.timeline !== undefined ? { timeline: m.timeline } : {}),
    };
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Switchover/failover through Patroni's REST API: `POST /switchover` (planned, Patroni waits for
 * the candidate) or `POST /failover` (to a named candidate; it works with no healthy leader),
 * then waits until the candidate leads and is running, and (within `rejoinWaitMs`, default 30 s)
 * until the old leader runs as a replica again: `oldPrimary` is `replica`, else `rejoining`
 * (Patroni still works on it) or `down` (its Patroni is gone). We never fight the HA manager:
 * fencing, promotion, re-pointing and pg_rewind of the old leader are Patroni's.
 *
 * @example
 * ```ts
 * await patroniFailover(config, ClusterFailoverInput.parse({ action: 'switchover', to: 'node2' }), { log })
 * ```
 */
export async function patroniFailover(
  config: ClusterConfig,
  input: ClusterFailoverInput,
  options: { log: SkillLogger; signal?: AbortSignal; timeoutMs?: number; rejoinWaitMs?: number },
): Promise<ClusterFailoverOutput> {
  const started = Date.now();
  const patroni = config.patroni!;
  const { api, members } = await readCluster(patroni.urls ?? [patroni.url], options.signal, true);
  // Every API Patroni knows, the one that answered first: the topology must outlive one member's Patroni.
  const apis = [...new Set([api, ...(patroni.urls ?? [patroni.url]), ...members.flatMap((m) => (m.api_url ? [new URL(m.api_url).origin] : []))])];
  const candidate = chooseCandidate(input.action, patroniFacts(members), input.to);
  const steps: FailoverStep[] = [{ step: 'choose', ok: true, detail: candidate.reason }];
  const leader = members.find((m) => isLeader(m.role));
  const body = input.action === 'switchover' ? { leader: leader?.name, candidate: candidate.name } : { candidate: candidate.name };
  const res = await fetch(new URL(`/${input.action}`, api), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = (await res.text()).trim().slice(0, 300);
  if (!res.ok) {
    throw new PgClusterError('ACTION_FAILED', `Patroni refused the ${input.action} to ${candidate.name}: HTTP ${res.status} ${text}`, {
      hint: 'Read Patroni\'s answer; in synchronous_mode only a synchronous standby may be promoted.',
    });
  }
  steps.push({ step: input.action, ok: true, detail: `Patroni: ${text}` });
  options.log.info(`cluster-failover: Patroni answered ${res.status}: ${text}`);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const poll = async () => (await readCluster(apis, options.signal, false).catch(() => ({ members: [] as Member[] }))).members;
  let now: Member[] = [];
  for (;;) {
    now = await poll();
    const lead = now.find((m) => isLeader(m.role));
    if (lead?.name === candidate.name && lead.state === 'running') break;
    if (Date.now() > deadline) throw new PgClusterError('TIMEOUT', `Patroni did not make ${candidate.name} the running leader in time`);
    await sleep(250);
  }
  const newLeader = now.find((m) => m.name === candidate.name)!;
  steps.push({ step: 'leader', ok: true, detail: `${candidate.name} leads on timeline ${newLeader.timeline ?? '?'}` });
  // Patroni demotes the old leader and rejoins it as a replica by itself (pg_rewind when it
  // diverged, within a few loop_waits): wait for that within a bound instead of calling it down.
  const rejoinDeadline = Math.min(deadline, Date.now() + (options.rejoinWaitMs ?? 30_000));
  const rejoined = (m: Member | undefined) => m !== undefined && !isLeader(m.role) && RUNNING.has(m.state);
  let old = leader ? now.find((m) => m.name === leader.name) : undefined;
  while (leader && old && !rejoined(old) && Date.now() < rejoinDeadline) {
    await sleep(500);
    now = await poll();
    old = now.find((m) => m.name === leader.name);
  }
  // Listed by Patroni but not running yet: its Patroni is alive and will bring it back.
  const oldPrimary: ClusterFailoverOutput['oldPrimary'] = rejoined(old) ? 'replica' : old ? 'rejoining' : 'down';
  if (leader) {
    const what = {
      replica: `${leader.name} is a running replica of ${candidate.name} again (Patroni rejoined it)`,
      rejoining: `${leader.name} is ${old?.state ?? '?'}: Patroni rejoins it as a replica of ${candidate.name} by itself (pg_rewind when it diverged); nothing to do, check cluster-status in a minute`,
      down: `${leader.name} is not among Patroni's members any more (its Patroni is down): start its Patroni and it rejoins by itself`,
    }[oldPrimary as 'replica' | 'rejoining' | 'down'];
    steps.push({ step: 'old primary', ok: true, detail: what });
  }
  const repointed = now.filter((m) => !isLeader(m.role) && RUNNING.has(m.state)).map((m) => m.name);
  return {
    action: input.action,
    mode: 'patroni',
    from: leader?.name ?? null,
    to: candidate.name,
    reason: candidate.reason,
    fenced: leader ? 'patroni' : 'unreachable',
    lostBytes: input.action === 'switchover' ? 0 : null,
    timeline: newLeader.timeline ?? null,
    repointed,
    oldPrimary,
    steps,
    durationMs: Date.now() - started,
  };
}
