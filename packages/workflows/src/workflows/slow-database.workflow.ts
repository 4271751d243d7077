import { defineWorkflow } from '@pgcluster/skill-kit';

/**
 * `slow-database`: check the cluster, find the slow statements and what changed, and have the
 * index advisor cost missing indexes (it recommends; creating one is a separate, confirmed step).
 *
 * @example
 * ```ts
 * await runWorkflow(SLOW_DATABASE, { actor: 'cli', resolveSkill })
 * ```
 */
export const SLOW_DATABASE = defineWorkflow({
  name: 'slow-database',
  description: 'Status, then top SQL and wait events, then costed index advice. Use when the database feels slow.',
  whenToUse: ['users report slow queries', 'cluster-status shows a high avg_query_ms', 'after a deploy that changed queries'],
  steps: [
    { name: 'status', skill: 'cluster-status', input: {}, why: 'rule out a node down, lag or saturated connections first' },
    { name: 'performance', skill: 'monitoring-performance', input: {}, why: 'the slowest statements, wait events and cache hit' },
    {
      name: 'optimize',
      skill: 'maintenance-optimize',
      input: {},
      why: 'missing indexes for the slowest statements, costed with hypothetical indexes; it only recommends',
      when: 'steps.status.ok and steps.performance.ok',
    },
  ],
});
