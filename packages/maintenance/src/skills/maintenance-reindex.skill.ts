import { Skill, type PlanStep, type SkillActions, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { ReindexInput, ReindexReport, type ReindexRequest } from '../reindex/reindex-schema';
import { planReindex, runReindex } from '../reindex/run-reindex';

/**
 * `maintenance-reindex`: rebuilds an index, a table's indexes, every invalid index or the bloated
 * B-trees with REINDEX INDEX CONCURRENTLY (vector indexes with enough memory), and drops the
 * leftovers of failed concurrent builds.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { MaintenanceReindexSkill } from '@pgcluster/maintenance'
 *
 * const envelope = await executeSkill(MaintenanceReindexSkill, { invalid: true }, { actor: 'cli', timeoutMs: 3_600_000 })
 * ```
 */
export class MaintenanceReindexSkill {
  @Skill({
    name: 'maintenance-reindex',
    category: 'maintenance',
    description: 'Rebuilds invalid, bloated or given indexes with REINDEX CONCURRENTLY (HNSW/IVFFlat too) and drops _ccnew leftovers. Use when an index is invalid, bloated or corrupt.',
    details:
      'On the primary, one index at a time: --index [schema.]name, --table (all its indexes), --invalid (every invalid index of the ' +
      'database) or --bloated (B-trees monitoring-health\'s index_bloat check estimates to waste at least --min-bloat-bytes, default ' +
      '1 GiB). Each is rebuilt with REINDEX INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and writes go on), with progress from ' +
      'pg_stat_progress_create_index on stderr (PGCLUSTER_LOG=info). HNSW and IVFFlat indexes get maintenance_work_mem sized from ' +
      'the index and its table (64MB to 1GB, or --maintenance-work-mem) and --parallel-workers (default 2) first, whether or not a ' +
      'vector collection catalogues them. Invalid leftovers of a failed REINDEX CONCURRENTLY (name_ccnew, name_ccold) are dropped ' +
      'with DROP INDEX CONCURRENTLY (--action drop-leftover --yes for one). The disk for the new copies is checked first when the data ' +
      'directory is local. When a concurrent rebuild fails or is cancelled, the invalid _ccnew it left is dropped again and the ' +
      'original index stays as it was. An exclusion constraint\'s index cannot be rebuilt concurrently: it gets a blocking REINDEX ' +
      '(writes wait) and needs --yes. A rebuild keeps the index\'s definition: there is nothing to undo.',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'monitoring-health reports invalid_indexes, index_bloat or vector_index_invalid findings',
      'a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed or was cancelled',
      'an index is suspected corrupt (amcheck reported it) or grew far beyond its data',
    ],
    interpret:
      'data.indexes[] = { index, table, method, action (reindexed, dropped, failed), validBefore, validAfter, sizeBytesBefore, ' +
      'sizeBytesAfter, statements, leftoversDropped, error? }; data.counts sums them. A failed unique rebuild usually means ' +
      'duplicate rows: remove them and run it again. Exit 0 when all went through, 1 when some failed, 2 on bad input (the field ' +
      'is named; nothing ran) or when the only index failed, 3 when a blocking rebuild was not confirmed.',
    decisionTree: [
      { when: 'the table is bloated too', skill: 'maintenance-vacuum', input: { table: '<table>' } },
      { when: 'an HNSW index should change its parameters (m, ef_construction)', skill: 'vector-index', input: { action: 'create', collection: '<collection>', m: '<m>', efConstruction: '<ef_construction>' }, why: 'm and ef_construction apply only at build time: vector-index builds it anew with them' },
    ],
    examples: [
      { title: 'Rebuild one index without blocking writes', skill: 'maintenance-reindex', input: { index: 'public.items_sku_key' } },
      { title: 'Repair every invalid index (leftovers are dropped)', skill: 'maintenance-reindex', input: { invalid: true }, options: { timeout: 3600 } },
      { title: 'Drop a leftover of a failed REINDEX CONCURRENTLY', skill: 'maintenance-reindex', input: { index: 'public.items_sku_key_ccnew', action: 'drop-leftover' }, options: { yes: true } },
      { title: 'Rebuild an HNSW index with more memory', skill: 'maintenance-reindex', input: { index: 'public.docs_embedding_hnsw', maintenanceWorkMem: '2GB' } },
      { title: 'Show the statements and locks for a table', skill: 'maintenance-reindex', input: { table: 'public.items' }, options: { dryRun: true } },
    ],
    metrics: [
      { name: 'pgcluster_maintenance_reindex_index_size_bytes', help: 'Size of each rebuilt index after the run.', value: 'indexes[].sizeBytesAfter', labels: { index: 'indexes[].index' } },
      { name: 'pgcluster_maintenance_reindex_duration_seconds', help: 'How long each index took.', value: 'indexes[].durationMs', scale: 0.001, labels: { index: 'indexes[].index' } },
      { name: 'pgcluster_maintenance_reindex_failed_indexes', help: 'Indexes whose rebuild failed in this run.', value: 'counts.failed' },
    ],
    input: ReindexInput,
    output: ReindexReport,
  })
  static readonly actions: SkillActions<typeof ReindexInput, ReindexReport> = {
    reindex: { plan: planSteps, run: (ctx, input) => runAction(ctx, input) },
    // Dropping an index (even an invalid leftover) goes through the executor's gate: --yes, MCP confirm or an approving policy.
    'drop-leftover': { requiresConfirmation: true, plan: planSteps, run: (ctx, input) => runAction(ctx, input) },
  };
}

async function runAction(ctx: SkillContext, input: ReindexRequest): Promise<SkillResult<ReindexReport>> {
  const report = await runReindex(ctx.loaded.config, input, { confirmed: ctx.confirmed === true, signal: ctx.signal, progress: (line) => ctx.log.info(line), topology: ctx.resources.topology });
  const failed = report.indexes.filter((i) => i.action === 'failed');
  return {
    data: report,
    status: failed.length > 0 ? 'degraded' : 'ok',
    alerts: failed.map((i) => `${i.index}: ${i.error}${i.leftoversDropped.length ? ` (leftover ${i.leftoversDropped.join(', ')} dropped)` : ''}`),
  };
}

/** Each index's statements with the lock they take, and the disk the copies need (read-only). */
async function planSteps(ctx: SkillContext, input: ReindexRequest): Promise<PlanStep[]> {
  const plan = await planReindex(ctx.loaded.config, input, ctx.signal, ctx.resources.topology);
  const target = `${plan.target.label} database ${plan.database}`;
  if (plan.steps.length === 0) return [{ kind: 'note', target, text: 'no index matches; nothing would be rebuilt' }];
  const free = plan.diskFreeBytes === undefined ? 'free space unknown (the data directory is not on this machine)' : `${plan.diskFreeBytes} bytes free`;
  return [
    { kind: 'note', target, text: `the new copies need up to ${plan.diskNeededBytes} bytes of disk (${free}); a failed concurrent build's _ccnew leftover is dropped again` },
    ...plan.steps.flatMap((s) => s.statements.map((st, i): PlanStep => ({ kind: 'sql', target, text: i === s.statements.length - 1 ? `${st.shown} -- lock: ${s.lock}` : st.shown }))),
  ];
}
