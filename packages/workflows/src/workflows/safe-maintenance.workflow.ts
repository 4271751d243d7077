import { defineWorkflow } from '@pgcluster/skill-kit';

/**
 * `safe-maintenance`: check the cluster, find what needs vacuum or analyze, take a backup first,
 * vacuum and analyze only what the health checks found, and check the cluster again.
 *
 * @example
 * ```ts
 * await runWorkflow(SAFE_MAINTENANCE, { actor: 'cli', resolveSkill })
 * ```
 */
export const SAFE_MAINTENANCE = defineWorkflow({
  name: 'safe-maintenance',
  description: 'Status, backup, then vacuum/analyze what the health checks flag, then status again. Use for routine maintenance.',
  whenToUse: ['dead rows or stale statistics pile up', 'routine maintenance before a busy period', 'monitoring-health reports dead_tuples, autovacuum_overdue or stale_statistics'],
  params: { database: { description: 'The database to vacuum and analyze (a name, or a key of the config\'s databases).' } },
  steps: [
    { name: 'status', skill: 'cluster-status', input: {}, why: 'every node up before maintenance' },
    { name: 'health', skill: 'monitoring-health', input: { category: ['vacuum'] }, why: 'find the tables with dead rows or stale statistics' },
    { name: 'backup', skill: 'cluster-backup', input: { action: 'backup' }, why: 'a restorable copy before changing anything', when: 'steps.health.data.findings' },
    {
      name: 'vacuum',
      skill: 'maintenance-vacuum',
      input: { database: '<database>', analyze: true },
      why: 'reclaim dead rows and refresh statistics',
      when: 'steps.health.data.findings[check=dead_tuples] or steps.health.data.findings[check=autovacuum_overdue]',
    },
    { name: 'analyze', skill: 'maintenance-analyze', input: { database: '<database>' }, why: 'refresh stale statistics', when: 'steps.health.data.findings[check=stale_statistics] and not steps.vacuum.ok' },
    { name: 'status-after', skill: 'cluster-status', input: {}, why: 'the cluster is as healthy as before' },
  ],
});
