import { nodeAddress, PgClusterError, type ClusterConfig } from '@pgcluster/core';
import type { PlanStep, SkillLogger } from '@pgcluster/skill-kit';
import { chooseCandidate } from './choose-candidate';
import type { ClusterFailoverInput, ClusterFailoverOutput } from './failover-schema';
import { inspectNodes, FAILOVER_FACTS_SQL } from './inspect-nodes';
import { isLocalDataDir } from './local-node';
import { nativeFailover, primaryConninfo, redactConninfo, repointSql, slotName, TERMINATE_CLIENTS_SQL } from './native-failover';
import { patroniClusterMembers, patroniFacts, patroniFailover } from './patroni-failover';

/**
 * Runs a switchover or failover: through Patroni when `config.patroni` is set, natively otherwise.
 *
 * @example
 * ```ts
 * const result = await runFailover(config, ClusterFailoverInput.parse({ action: 'switchover', to: 'node2' }), { log })
 * ```
 */
export async function runFailover(config: ClusterConfig, input: ClusterFailoverInput, options: { log: SkillLogger; signal?: AbortSignal }): Promise<ClusterFailoverOutput> {
  if (config.patroni) return patroniFailover(config, input, options);
  if (!config.nodes?.length) throw new PgClusterError('INVALID_CONFIG', 'cluster-failover needs config.nodes (native) or config.patroni');
  return nativeFailover(config, input, options);
}

/**
 * The plan of a run, built from the cluster as it is now: the chosen candidate and why, then
 * every statement, command or REST call (passwords as `***`).
 *
 * @throws InputError `to` naming the allowed nodes (nothing changed).
 * @example
 * ```ts
 * const steps = await planFailover(config, ClusterFailoverInput.parse({ action: 'failover' }))
 * ```
 */
export async function planFailover(config: ClusterConfig, input: ClusterFailoverInput, signal?: AbortSignal): Promise<PlanStep[]> {
  if (config.patroni) {
    const api = config.patroni.url;
    const members = await patroniClusterMembers(config.patroni.urls, signal);
    const candidate = chooseCandidate(input.action, patroniFacts(members), input.to);
    const leader = candidate.primary?.name;
    return [
      { kind: 'note', target: candidate.name, text: `candidate: ${candidate.reason}` },
      { kind: 'http', target: `Patroni ${new URL(api).host}`, text: `GET /cluster` },
      {
        kind: 'http',
        target: `Patroni ${new URL(api).host}`,
        text: `POST /${input.action} ${JSON.stringify(input.action === 'switchover' ? { leader, candidate: candidate.name } : { candidate: candidate.name })}`,
      },
      { kind: 'note', target: candidate.name, text: 'wait until Patroni reports it as the running leader; Patroni fences, re-points and rewinds the rest' },
    ];
  }
  const nodes = config.nodes ?? [];
  const facts = await inspectNodes(nodes);
  const candidate = chooseCandidate(input.action, facts, input.to);
  const target = nodes.find((n) => n.name === candidate.name)!;
  const oldName = candidate.primary?.name ?? (facts.filter((f) => !f.reachable).length === 1 ? facts.find((f) => !f.reachable)!.name : undefined);
  const old = nodes.find((n) => n.name === oldName);
  const at = (name: string) => `${name} (${nodeAddress(nodes.find((n) => n.name === name)!.url).split('/')[0]})`;
  const steps: PlanStep[] = [{ kind: 'note', target: candidate.name, text: `candidate: ${candidate.reason}` }];
  for (const n of nodes) steps.push({ kind: 'sql', target: at(n.name), text: FAILOVER_FACTS_SQL });
  if (candidate.primary && old) {
    if (isLocalDataDir(old.dataDir)) steps.push({ kind: 'command', target: at(old.name), text: `pg_ctl stop -D ${old.dataDir} -m fast -w` });
    else
      steps.push({
        kind: 'sql',
        target: at(old.name),
        text: `alter system set default_transaction_read_only = on; select pg_reload_conf(); ${TERMINATE_CLIENTS_SQL}`,
      });
  } else {
    steps.push({ kind: 'note', target: oldName ?? '(none)', text: 'the old primary does not answer: nothing to fence' });
  }
  if (input.action === 'switchover') steps.push({ kind: 'sql', target: at(target.name), text: `select pg_last_wal_replay_lsn() -- until it reaches the old primary's last LSN (${input.catchUpTimeoutMs} ms at most)` });
  steps.push({ kind: 'sql', target: at(target.name), text: 'select pg_promote(true, 60)' });
  if (candidate.primary && old) {
    steps.push({ kind: 'sql', target: at(target.name), text: "alter system set synchronous_standby_names = 'ANY 1 (<the other nodes>)'; select pg_reload_conf() -- only when the old primary was synchronous" });
  }
  for (const n of nodes.filter((x) => x.name !== target.name)) {
    steps.push({ kind: 'sql', target: at(target.name), text: `select pg_create_physical_replication_slot('${slotName(n.name)}') -- when missing` });
  }
  for (const n of nodes.filter((x) => x.name !== target.name && x.name !== oldName)) {
    const f = facts.find((x) => x.name === n.name)!;
    if (!f.reachable) {
      steps.push({ kind: 'note', target: n.name, text: 'does not answer: not re-pointed (re-point it when it is back)' });
      continue;
    }
    steps.push({ kind: 'sql', target: at(n.name), text: repointSql(redactConninfo(primaryConninfo(target.url, n.name)), slotName(n.name)).join('; ') });
  }
  if (input.rewind && old) {
    steps.push(
      isLocalDataDir(old.dataDir)
        ? { kind: 'command', target: at(old.name), text: `pg_rewind --target-pgdata ${old.dataDir} --source-server 'host=… port=… user=… dbname=postgres' (password from a mode-600 passfile); standby.signal; pg_ctl start` }
        : { kind: 'note', target: old.name, text: 'no local dataDir in the config: pg_rewind cannot run from here; the old primary is left as it is' },
    );
  }
  return steps;
}
