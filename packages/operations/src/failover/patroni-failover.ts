import { PgClusterError, type ClusterConfig } from '@pgcluster/core';
import type { SkillLogger } from '@pgcluster/skill-kit';
import { chooseCandidate, type FailoverNodeFacts } from './choose-candidate';
import type { ClusterFailoverInput, ClusterFailoverOutput, FailoverStep } from './failover-schema';

/** One member of Patroni's `GET /cluster` (the fields we read). */
interface Member {
  name: string;
  role: string;
  state: string;
  timeline?: number;
  lag?: number | string;
}

const isLeader = (role: string) => role === 'leader' || role === 'master' || role === 'primary';
const RUNNING = new Set(['running', 'streaming']);

/**
 * Reads Patroni's members (`GET <patroni.url>/cluster`).
 * @throws PgClusterError `UNREACHABLE` when Patroni does not answer.
 * @example const members = await patroniClusterMembers('http://127.0.0.1:8008')
 */
export async function patroniClusterMembers(apiUrl: string, signal?: AbortSignal): Promise<Member[]> {
  try {
    const timeout = AbortSignal.timeout(3_000);
    const res = await fetch(new URL('/cluster', apiUrl), { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return ((await res.json()) as { members: Member[] }).members;
  } catch (error) {
    throw new PgClusterError('UNREACHABLE', `Patroni's REST API (${new URL(apiUrl).host}) did not answer: ${(error as Error).message}`, {
      hint: 'Check that Patroni runs (pgcluster dev status), or that config.patroni.url points at a member.',
    });
  }
}

/**
 * Turns Patroni members into candidate facts: a replica's position is the leader's minus its lag.
 * @example patroniFacts(members)[0] // { name: 'node1', reachable: true, inRecovery: false, … }
 */
export function patroniFacts(members: readonly Member[]): FailoverNodeFacts[] {
  return members.map((m) => {
    const reachable = RUNNING.has(m.state);
    const lag = typeof m.lag === 'number' ? m.lag : undefined;
    return {
      name: m.name,
      reachable,
      inRecovery: !isLeader(m.role),
      // Larger is more advanced: 0 for the leader, minus the lag for replicas.
      lsn: isLeader(m.role) ? 0n : lag !== undefined ? BigInt(-lag) : undefined,
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
 * then waits until the candidate leads and is running. We never fight the HA manager: fencing,
 * promotion, re-pointing and pg_rewind of the old leader are Patroni's.
 *
 * @example
 * ```ts
 * await patroniFailover(config, ClusterFailoverInput.parse({ action: 'switchover', to: 'node2' }), { log })
 * ```
 */
export async function patroniFailover(
  config: ClusterConfig,
  input: ClusterFailoverInput,
  options: { log: SkillLogger; signal?: AbortSignal; timeoutMs?: number },
): Promise<ClusterFailoverOutput> {
  const started = Date.now();
  const api = config.patroni!.url;
  const members = await patroniClusterMembers(api, options.signal);
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
  let now: Member[] = [];
  for (;;) {
    now = await patroniClusterMembers(api, options.signal).catch(() => []);
    const lead = now.find((m) => isLeader(m.role));
    if (lead?.name === candidate.name && lead.state === 'running') break;
    if (Date.now() > deadline) throw new PgClusterError('TIMEOUT', `Patroni did not make ${candidate.name} the running leader in time`);
    await sleep(250);
  }
  const newLeader = now.find((m) => m.name === candidate.name)!;
  steps.push({ step: 'leader', ok: true, detail: `${candidate.name} leads on timeline ${newLeader.timeline ?? '?'}` });
  const repointed = now.filter((m) => !isLeader(m.role) && RUNNING.has(m.state)).map((m) => m.name);
  const old = leader ? now.find((m) => m.name === leader.name) : undefined;
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
    oldPrimary: old && RUNNING.has(old.state) ? 'replica' : 'down',
    steps,
    durationMs: Date.now() - started,
  };
}
