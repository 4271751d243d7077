import type { ClusterPools } from '@pgcluster/pools';
import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { planScale, scaleCluster } from '../scale/scale-cluster';
import { ClusterScaleInput, ClusterScaleOutput } from '../scale/scale-schema';

/** The runtime's pools, when the executor was handed them (`executeSkill(…, { services: { pools } })`). */
function runtimePools(ctx: SkillContext): ClusterPools | undefined {
  const pools = ctx.services?.['pools'] as Partial<ClusterPools> | undefined;
  // Duck-typed: the runtime may have loaded @pgcluster/pools from another copy than ours.
  return pools && typeof pools.resize === 'function' && typeof pools.stats === 'function' ? (pools as ClusterPools) : undefined;
}

/**
 * `cluster-scale`: resizes PgBouncer's pools (admin console `SET default_pool_size`,
 * `reserve_pool_size`, `max_db_connections`) and a long-running runtime's in-process pools
 * (`ClusterPools.resize`), after checking the headroom against the primary's `max_connections`.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(ClusterScaleSkill, { direction: 'up', increment: 5 }, { actor: 'agent', services: { pools } })
 * // envelope.rollback: { skill: 'cluster-scale', input: { size: 10, reservePoolSize: 0, maxDbConnections: 0, target: 'pgbouncer' } }
 * ```
 */
export class ClusterScaleSkill {
  @Skill({
    name: 'cluster-scale',
    category: 'operations',
    description:
      'Resizes the PgBouncer and in-process connection pools within the primary\'s max_connections. ' +
      'Use when pools are saturated, clients wait, utilisation stays above 80%, or pools are oversized.',
    details:
      'Resizes the connection pools in front of the cluster: PgBouncer\'s pools through its admin console (default_pool_size, ' +
      'reserve_pool_size, max_db_connections; applied at once, kept until PgBouncer reloads) and the in-process pools of a ' +
      'long-running agent or MCP server. Grows or shrinks by an increment (--direction up|down --increment N) or sets an ' +
      'absolute --size N; first checks that the primary\'s max_connections leaves room for the new sizes and refuses an ' +
      'impossible size with the numbers. --dry-run shows before → after; the rollback record holds the previous sizes.',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: false,
    whenToUse: [
      'cluster-status shows pools above 80% utilised or clients waiting',
      'a pool timed out (TIMEOUT: the pool is saturated)',
      'connections are oversized for the server and should shrink',
    ],
    interpret:
      'data.pgbouncer and data.runtime give before → after per target; data.headroom compares the connections the new sizes ' +
      'may open (required) with what the primary allows (available = max_connections − superuser_reserved_connections). ' +
      'Exit 2 names the field for an impossible size (with the numbers) or a negative or zero size, and says NOT_SUPPORTED when ' +
      'there is no PgBouncer in the config (nothing to scale) — nothing changed. data.notes says that PgBouncer SETs last until it reloads; the envelope\'s rollback restores ' +
      'the previous sizes (pgcluster audit undo <id>).',
    decisionTree: [
      { when: 'the headroom is above 80% after the change', skill: 'cluster-status', input: {}, why: 'watch server connections' },
      { when: 'clients still wait after scaling up', skill: 'cluster-status', input: {}, why: 'look for slow statements holding connections' },
    ],
    examples: [
      { title: 'Grow PgBouncer pools by 5', skill: 'cluster-scale', input: { direction: 'up', increment: 5 } },
      { title: 'Set the pool size to 20 and show before → after first', skill: 'cluster-scale', input: { size: 20 }, options: { dryRun: true } },
      { title: 'Shrink by 2', skill: 'cluster-scale', input: { direction: 'down', increment: 2 } },
      { title: 'Allow a reserve of 5 connections per pool', skill: 'cluster-scale', input: { reservePoolSize: 5 } },
    ],
    input: ClusterScaleInput,
    output: ClusterScaleOutput,
  })
  static async run(ctx: SkillContext, input: ClusterScaleInput): Promise<SkillResult<ClusterScaleOutput>> {
    const pools = runtimePools(ctx);
    const result = await scaleCluster(ctx.loaded.config, input, { ...(pools ? { pools } : {}), signal: ctx.signal });
    const before = result.pgbouncer?.before;
    const rollbackInput = before
      ? { target: result.runtime && result.runtime.before === before.defaultPoolSize ? 'auto' : 'pgbouncer', size: before.defaultPoolSize, reservePoolSize: before.reservePoolSize, maxDbConnections: before.maxDbConnections }
      : result.runtime
        ? { target: 'runtime', size: result.runtime.before }
        : undefined;
    return {
      data: result,
      status: 'ok',
      alerts: result.headroom && result.headroom.required > 0.8 * result.headroom.available ? [`the new sizes use ${result.headroom.required} of ${result.headroom.available} server connections the primary allows`] : [],
      ...(rollbackInput && (rollbackInput.size ?? 0) >= 1
        ? { rollback: { skill: 'cluster-scale', input: rollbackInput, why: `restore the previous sizes (pool size ${rollbackInput.size})` } }
        : {}),
    };
  }

  /** Reads the current sizes and shows before → after with the SET statements (the headroom check runs here too). */
  static async plan(ctx: SkillContext, input: ClusterScaleInput): Promise<PlanStep[]> {
    const pools = runtimePools(ctx);
    return (await planScale(ctx.loaded.config, input, { ...(pools ? { pools } : {}), dryRun: true, signal: ctx.signal })).steps;
  }
}
