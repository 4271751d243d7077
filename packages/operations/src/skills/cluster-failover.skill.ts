import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { ClusterFailoverInput, ClusterFailoverOutput } from '../failover/failover-schema';
import { planFailover, runFailover } from '../failover/run-failover';

/**
 * `cluster-failover`: a planned switchover (`--action switchover --to node2`, no data loss) or
 * an unplanned failover (the most advanced healthy replica is promoted, and why is said), through
 * Patroni's REST API when Patroni manages the cluster, natively otherwise. Requires confirmation.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(ClusterFailoverSkill, { action: 'failover' }, { actor: 'cli', yes: true })
 * console.log(envelope.data?.to, envelope.data?.reason)
 * ```
 */
export class ClusterFailoverSkill {
  @Skill({
    name: 'cluster-failover',
    category: 'operations',
    description:
      'Moves the primary role to another node: a lossless planned switchover, or a failover when the primary is lost. ' +
      'Use when the primary is down or unhealthy, or before maintenance on its machine.',
    details:
      'Moves the primary role to another node: a planned switchover (the primary is healthy; waits until the target has replayed ' +
      'all of its WAL, so nothing is lost) or an unplanned failover (the primary is lost; promotes the most advanced healthy ' +
      'replica and says why it was chosen). Goes through Patroni\'s REST API when Patroni manages the cluster; otherwise fences ' +
      'the old primary when it answers, runs pg_promote() on the candidate, re-points the other replicas (host and port only: ' +
      'passwords stay in passfiles), and rejoins the old primary as a replica: after a switchover always, after a failover with ' +
      '--rewind (pg_rewind first). Requires confirmation; --dry-run shows the chosen candidate and every step.',
    version: '1.0.0',
    risk: 'destructive',
    autonomous: false,
    requiresConfirmation: true,
    idempotent: false,
    whenToUse: [
      'cluster-status is critical because the primary is down or no primary was found',
      'planned maintenance on the primary\'s machine (switchover first)',
      'rehearsing high availability: switch over and back',
    ],
    interpret:
      'data.to is the new primary and data.reason why it was chosen; data.mode says whether Patroni or pgcluster did it; ' +
      'data.fenced how the old primary was kept from taking writes; data.lostBytes the WAL the old primary had that the new one ' +
      'did not (0 for a switchover, null when unknown); data.repointed the replicas now following the new primary; ' +
      'data.oldPrimary what became of the old one (rejoined/replica, or left down/stopped/read-only); data.steps every step. ' +
      'Exit 2 names the field for bad input (an unknown --to lists the allowed nodes) and nothing changed; exit 3 means it was ' +
      'not confirmed.',
    decisionTree: [
      { when: 'the old primary would be left down and a local data dir is configured', skill: 'cluster-failover', input: { action: 'failover', rewind: true }, why: 'rejoins the old primary as a replica with pg_rewind; otherwise re-clone it' },
      { when: 'after any failover, to check that every replica streams from the new primary', skill: 'cluster-status', input: {} },
      { when: 'the failover reported lostBytes above 0', skill: 'cluster-backup', input: { action: 'list' }, why: 'find a backup to recover the lost writes from, if needed' },
    ],
    examples: [
      { title: 'Show the candidate and the plan of a failover', skill: 'cluster-failover', input: { action: 'failover' }, options: { dryRun: true } },
      { title: 'Fail over to the most advanced replica', skill: 'cluster-failover', input: { action: 'failover' }, options: { yes: true } },
      { title: 'Planned switchover to node2', skill: 'cluster-failover', input: { action: 'switchover', to: 'node2' }, options: { yes: true } },
      { title: 'Fail over and bring the old primary back as a replica', skill: 'cluster-failover', input: { action: 'failover', rewind: true }, options: { yes: true } },
    ],
    input: ClusterFailoverInput,
    output: ClusterFailoverOutput,
  })
  static async run(ctx: SkillContext, input: ClusterFailoverInput): Promise<SkillResult<ClusterFailoverOutput>> {
    const result = await runFailover(ctx.loaded.config, input, { log: ctx.log, signal: ctx.signal });
    const alerts: string[] = [];
    if (result.lostBytes) alerts.push(`${result.lostBytes} bytes of WAL the old primary ${result.from} had were not on ${result.to}: recent commits may be lost`);
    if (result.oldPrimary === 'read-only') alerts.push(`${result.from} still runs as a fenced (read-only) primary on its old timeline: stop it on its machine and rejoin it (pg_rewind, standby.signal), or add its dataDir to the config`);
    const failed = result.steps.filter((s) => !s.ok);
    for (const s of failed) alerts.push(`${s.step}: ${s.detail}`);
    const rejoined = result.from !== null && ['rejoined', 'replica', 'rejoining'].includes(result.oldPrimary);
    return {
      data: result,
      status: failed.length > 0 ? 'degraded' : 'ok',
      alerts,
      recommendations: [
        { why: 'check that every replica streams from the new primary', skill: 'cluster-status', input: {} },
        ...(['down', 'stopped'].includes(result.oldPrimary) && result.from
          ? [{ why: `${result.from} is out of the cluster: rejoin it with pg_rewind (cluster-failover --rewind does that on the next failover) or re-clone it` }]
          : []),
      ],
      ...(rejoined
        ? {
            // The way back uses the original's options: a switchover done with --rewind is undone with --rewind,
            // so the node that steps down again rejoins as a replica instead of being left stopped.
            rollback: {
              skill: 'cluster-failover',
              input: { action: 'switchover', to: result.from, rewind: input.rewind, catchUpTimeoutMs: input.catchUpTimeoutMs },
              why: `switch back: ${result.from} becomes primary again (planned, no data loss${input.rewind ? `; ${result.to} rejoins with pg_rewind` : ''})`,
            },
          }
        : {}),
    };
  }

  /** The candidate with the reason, then every statement, command or REST call a run would send. */
  static plan(ctx: SkillContext, input: ClusterFailoverInput): Promise<PlanStep[]> {
    return planFailover(ctx.loaded.config, input, ctx.signal);
  }
}
