import { checkHealth } from '@pgcluster/monitoring';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { MaintenanceReindexSkill, ReindexInput, ReindexReport } from '../src';
import { clusterHelpers, eventually } from './helpers';

const cluster = useCluster({ replicas: 0, fast: true });
const { config, loaded, sql, session } = clusterHelpers(cluster);
const options = (extra: { yes?: boolean; dryRun?: boolean; signal?: AbortSignal; timeoutMs?: number } = {}) => ({ config: loaded(), audit: false as const, actor: 'library' as const, ...extra });
const indexes = async (table: string) =>
  sql<{ name: string; valid: boolean }>('select i.relname as name, x.indisvalid as valid from pg_index x join pg_class i on i.oid = x.indexrelid where x.indrelid = $1::regclass order by 1', [table]);

describe('maintenance-reindex on a real cluster', () => {
  test('an invalid index from a failed CREATE UNIQUE INDEX CONCURRENTLY: a rebuild with duplicates left fails cleanly (its _ccnew dropped), then repairs it', async () => {
    await sql('create table dup (v int)');
    await sql('insert into dup select i % 10 from generate_series(1, 1000) i');
    await expect(sql('create unique index concurrently dup_v_key on dup (v)')).rejects.toThrow(/duplicate key|could not create unique index/);
    expect(await indexes('dup')).toEqual([{ name: 'dup_v_key', valid: false }]);

    const health = await checkHealth(config(), { checks: ['invalid_indexes'] });
    const [ref] = health.findings.map((f) => f.recommendation);
    expect(ref).toMatchObject({ skill: 'maintenance-reindex', input: { index: 'public.dup_v_key' } });
    expect(ReindexInput.safeParse(ref!.input).error).toBeUndefined();

    const dry = await executeSkill(MaintenanceReindexSkill, ref!.input, options({ dryRun: true }));
    expect(dry.plan!.map((s) => s.text)).toContainEqual(expect.stringMatching(/^REINDEX INDEX CONCURRENTLY "public"\."dup_v_key" -- lock: SHARE UPDATE EXCLUSIVE/));

    const failed = await executeSkill(MaintenanceReindexSkill, ref!.input, options());
    expect(failed).toMatchObject({ ok: false, status: 'error', error: { code: 'ACTION_FAILED', message: expect.stringMatching(/(duplicate key|could not create unique index)[\s\S]*the leftover public\.dup_v_key_ccnew was dropped again/) } });
    expect(exitCodeFor(failed)).toBe(2);
    expect(await indexes('dup')).toEqual([{ name: 'dup_v_key', valid: false }]);

    await sql('delete from dup where ctid not in (select min(ctid) from dup group by v)');
    const repaired = await executeSkill(MaintenanceReindexSkill, ref!.input, options());
    expect(repaired).toMatchObject({ ok: true, status: 'ok', data: { counts: { reindexed: 1, dropped: 0, failed: 0 } } });
    expect((repaired.data as ReindexReport).indexes[0]).toMatchObject({ index: 'public.dup_v_key', validBefore: false, validAfter: true, action: 'reindexed' });
    expect(await indexes('dup')).toEqual([{ name: 'dup_v_key', valid: true }]);
  });

  test('a _ccnew leftover of a failed REINDEX CONCURRENTLY: monitoring says drop-leftover, and the skill drops it', async () => {
    await sql('create table dup2 (v int)');
    await sql('insert into dup2 select i % 10 from generate_series(1, 1000) i');
    await expect(sql('create unique index concurrently dup2_v_key on dup2 (v)')).rejects.toThrow(/duplicate key|could not create unique index/);
    await expect(sql('reindex index concurrently dup2_v_key')).rejects.toThrow(/duplicate key|could not create unique index/);
    expect(await indexes('dup2')).toEqual([{ name: 'dup2_v_key', valid: false }, { name: 'dup2_v_key_ccnew', valid: false }]);

    const health = await checkHealth(config(), { checks: ['invalid_indexes'] });
    const ref = health.findings.find((f) => f.object === 'public.dup2_v_key_ccnew')!.recommendation;
    expect(ref.input).toEqual({ index: 'public.dup2_v_key_ccnew', action: 'drop-leftover' });
    expect(ReindexInput.safeParse(ref.input).error).toBeUndefined();
    // Rebuilding the leftover itself is refused, naming the action to use instead.
    const wrong = await executeSkill(MaintenanceReindexSkill, { index: 'public.dup2_v_key_ccnew' }, options());
    expect(wrong.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('action') });

    // Dropping is an action that requires confirmation: refused (exit 3) with the plan, then run with --yes.
    const refused = await executeSkill(MaintenanceReindexSkill, ref.input, options());
    expect(refused).toMatchObject({ status: 'refused', error: { code: 'REFUSED' } });
    expect(exitCodeFor(refused)).toBe(3);
    expect(refused.plan!.map((p) => p.text)).toContainEqual(expect.stringContaining('DROP INDEX CONCURRENTLY'));
    expect(await indexes('dup2')).toEqual([{ name: 'dup2_v_key', valid: false }, { name: 'dup2_v_key_ccnew', valid: false }]);
    const dropped = await executeSkill(MaintenanceReindexSkill, ref.input, options({ yes: true }));
    expect(dropped).toMatchObject({ ok: true, data: { counts: { dropped: 1 } } });
    expect(await indexes('dup2')).toEqual([{ name: 'dup2_v_key', valid: false }]);
  });

  test('an invalid HNSW index (a cancelled concurrent build) is rebuilt with maintenance_work_mem set first', async () => {
    await sql('create table docs (id bigserial primary key, embedding vector(32))');
    await sql('insert into docs (embedding) select array_agg(random())::real[]::vector from generate_series(1, 20000) i, generate_series(1, 32) d group by i');
    const s = await session();
    await s.client.query("set statement_timeout = '200ms'");
    await expect(s.client.query('create index concurrently docs_embedding_hnsw on docs using hnsw (embedding vector_l2_ops)')).rejects.toThrow(/statement timeout/);
    await s.client.end();
    expect(await indexes('docs')).toContainEqual({ name: 'docs_embedding_hnsw', valid: false });

    const dry = await executeSkill(MaintenanceReindexSkill, { invalid: true }, options({ dryRun: true }));
    const texts = dry.plan!.map((s) => s.text);
    expect(texts).toContainEqual(expect.stringMatching(/^SELECT set_config\('maintenance_work_mem', '\d+MB', false\)$/));
    expect(texts).toContainEqual(expect.stringMatching(/^REINDEX INDEX CONCURRENTLY "public"\."docs_embedding_hnsw"/));
    expect(await indexes('docs')).toContainEqual({ name: 'docs_embedding_hnsw', valid: false });

    const envelope = await executeSkill(MaintenanceReindexSkill, { invalid: true }, options({ timeoutMs: 300_000 }));
    expect(envelope.ok).toBe(true);
    const report = envelope.data as ReindexReport;
    expect(report.indexes.find((i) => i.index === 'public.docs_embedding_hnsw')).toMatchObject({ method: 'hnsw', action: 'reindexed', validAfter: true });
    expect(await indexes('docs')).toContainEqual({ name: 'docs_embedding_hnsw', valid: true });
    expect((await indexes('docs')).every((i) => i.valid)).toBe(true);
  });

  test('a cancelled rebuild leaves no _ccnew behind and the index as it was', async () => {
    const controller = new AbortController();
    const run = executeSkill(MaintenanceReindexSkill, { index: 'public.docs_embedding_hnsw', maintenanceWorkMem: '1MB', parallelWorkers: 0 }, options({ signal: controller.signal, timeoutMs: 300_000 }));
    await eventually('the concurrent build to create its _ccnew index', () => indexes('docs'), (ix) => ix.some((i) => i.name.endsWith('_ccnew')));
    controller.abort();
    const envelope = await run;
    expect(envelope).toMatchObject({ ok: false, status: 'error' });
    const after = await eventually('the leftover to be dropped', () => indexes('docs'), (ix) => !ix.some((i) => i.name.includes('_ccnew')));
    expect(after).toContainEqual({ name: 'docs_embedding_hnsw', valid: true });
  });

  test('bad input: exit 2 naming the field, nothing changed', async () => {
    for (const [input, field] of [
      [{}, 'index'],
      [{ index: 'public.dup_v_key', table: 'dup' }, 'table'],
      [{ index: 'public.nope' }, 'index'],
      [{ index: 'public.dup_v_key', action: 'drop-leftover' }, 'action'],
      [{ table: 'dup', action: 'drop-leftover' }, 'action'],
      [{ index: 'x"; drop table dup; --' }, 'index'],
      [{ index: 'public.docs_embedding_hnsw', maintenanceWorkMem: 'lots' }, 'maintenanceWorkMem'],
      [{ invalid: true, minBloatBytes: 5 }, 'minBloatBytes'],
    ] as const) {
      const e = await executeSkill(MaintenanceReindexSkill, input, options({ yes: true }));
      expect(e).toMatchObject({ ok: false, status: 'error', error: { code: 'INVALID_INPUT' } });
      expect(e.error!.message).toContain(field);
      expect(exitCodeFor(e)).toBe(2);
    }
    expect(await indexes('dup')).toEqual([{ name: 'dup_v_key', valid: true }]);
  });
});
