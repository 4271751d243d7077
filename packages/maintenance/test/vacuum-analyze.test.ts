import { checkHealth } from '@pgcluster/monitoring';
import { executeSkill, exitCodeFor, type SkillClass } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { AnalyzeInput, AnalyzeReport, MaintenanceAnalyzeSkill, MaintenanceVacuumSkill, VacuumInput, VacuumReport } from '../src';
import { clusterHelpers } from './helpers';

const cluster = useCluster({ replicas: 0, fast: true });
const { config, loaded, sql } = clusterHelpers(cluster);
const options = (extra: { yes?: boolean; dryRun?: boolean } = {}) => ({ config: loaded(), audit: false as const, actor: 'library' as const, ...extra });
const deadRows = async (table: string) => (await sql<{ n: number }>('select n_dead_tup::int as n from pg_stat_user_tables where relname = $1', [table]))[0]!.n;

describe('maintenance-vacuum and maintenance-analyze on a real cluster', () => {
  test('a table with autovacuum off and half its rows deleted: monitoring points here, VACUUM brings dead rows to ~0', async () => {
    await sql('create table churn (id int primary key, payload text) with (autovacuum_enabled = off)');
    await sql("insert into churn select i, repeat('x', 100) from generate_series(1, 100000) i");
    await sql('delete from churn where id % 2 = 0');
    expect(await deadRows('churn')).toBeGreaterThanOrEqual(49_000);

    // monitoring-health's references validate against this skill's schema.
    const health = await checkHealth(config(), { checks: ['dead_tuples', 'autovacuum_overdue', 'stale_statistics'] });
    const refs = health.findings.map((f) => f.recommendation).filter((r) => r.skill.startsWith('maintenance-'));
    expect(refs).toContainEqual(expect.objectContaining({ skill: 'maintenance-vacuum', input: { table: 'public.churn' } }));
    expect(refs).toContainEqual(expect.objectContaining({ skill: 'maintenance-analyze', input: { table: 'public.churn' } }));
    for (const r of refs) expect((r.skill === 'maintenance-vacuum' ? VacuumInput : AnalyzeInput).safeParse(r.input).error).toBeUndefined();
    for (const input of [{ database: 'pgcluster', freeze: true }, { database: 'pgcluster' }, { table: 'public.churn', full: true }]) expect(VacuumInput.safeParse(input).error).toBeUndefined();

    const dry = await executeSkill(MaintenanceVacuumSkill, { table: 'public.churn' }, options({ dryRun: true }));
    expect(dry.plan).toEqual([expect.objectContaining({ kind: 'sql', text: expect.stringMatching(/^VACUUM "public"\."churn" -- lock: SHARE UPDATE EXCLUSIVE/) })]);
    expect(await deadRows('churn')).toBeGreaterThanOrEqual(49_000);

    const envelope = await executeSkill(MaintenanceVacuumSkill, { table: 'public.churn' }, options());
    expect(envelope).toMatchObject({ ok: true, status: 'ok' });
    const [t] = (envelope.data as VacuumReport).tables;
    expect(t).toMatchObject({ table: 'public.churn', liveRows: 50_000 });
    expect(t!.deadRowsBefore).toBeGreaterThanOrEqual(49_000);
    expect(t!.deadRowsAfter).toBeLessThan(100);
    expect(await deadRows('churn')).toBeLessThan(100);
  });

  test('VACUUM FULL says it locks exclusively, is refused without --yes, and shrinks the table with it', async () => {
    const dry = await executeSkill(MaintenanceVacuumSkill, { table: 'churn', full: true }, options({ dryRun: true }));
    const text = dry.plan!.map((s) => s.text).join('\n');
    expect(text).toContain('VACUUM (FULL) "public"."churn" -- lock: ACCESS EXCLUSIVE');
    expect(text).toMatch(/needs up to \d+ bytes of disk \(\d+ bytes free\)/);
    const size = async () => (await sql<{ b: number }>("select pg_total_relation_size('churn')::float8 as b"))[0]!.b;
    const before = await size();
    const refused = await executeSkill(MaintenanceVacuumSkill, { table: 'churn', full: true }, options());
    expect(refused).toMatchObject({ status: 'refused', error: { code: 'REFUSED', message: expect.stringContaining('ACCESS EXCLUSIVE') } });
    expect(exitCodeFor(refused)).toBe(3);
    expect(await size()).toBe(before);
    const done = await executeSkill(MaintenanceVacuumSkill, { table: 'churn', full: true }, options({ yes: true }));
    expect(done.ok).toBe(true);
    expect((done.data as VacuumReport).tables[0]!.sizeBytesAfter).toBeLessThan(before * 0.75);
  });

  test('a whole database with FREEZE, and a quoted mixed-case table name', async () => {
    await sql('create table "Odd Name" (id int)');
    await sql('insert into "Odd Name" select generate_series(1, 1000)');
    await sql('delete from "Odd Name" where id <= 500');
    const one = await executeSkill(MaintenanceVacuumSkill, { table: 'public."Odd Name"', analyze: true, indexCleanup: 'off' }, options());
    expect(one.data).toMatchObject({ statement: 'VACUUM (ANALYZE, INDEX_CLEANUP OFF) "public"."Odd Name"', tables: [expect.objectContaining({ table: 'public."Odd Name"', deadRowsAfter: 0 })] });
    const db = await executeSkill(MaintenanceVacuumSkill, { database: 'pgcluster', freeze: true }, options());
    expect(db.data).toMatchObject({ statement: 'VACUUM (FREEZE)', database: 'pgcluster', tables: [] });
  });

  test('autovacuum settings: a suggestion changes nothing; apply sets it and its rollback restores the previous reloptions', async () => {
    const reloptions = async (t: string) => (await sql<{ o: string[] | null }>('select reloptions as o from pg_class where relname = $1', [t]))[0]!.o;
    const suggest = await executeSkill(MaintenanceVacuumSkill, { table: 'churn', autovacuum: 'suggest' }, options());
    expect(suggest.data).toMatchObject({ statement: '', tables: [], autovacuum: { current: { autovacuum_enabled: false }, suggested: { autovacuum_enabled: true }, applied: null } });
    expect(suggest.rollback).toBeUndefined();
    expect(await reloptions('churn')).toEqual(['autovacuum_enabled=off']);

    await sql('create table events (id bigint, at timestamptz) with (autovacuum_enabled = off, fillfactor = 90)');
    await sql('insert into events select i, now() from generate_series(1, 150000) i');
    await sql('analyze events');
    const dry = await executeSkill(MaintenanceVacuumSkill, { table: 'events', autovacuum: 'apply' }, options({ dryRun: true }));
    expect(dry.plan!.map((p) => p.text)).toEqual([expect.stringMatching(/^ALTER TABLE "public"\."events" SET \(autovacuum_enabled = true, autovacuum_vacuum_scale_factor = 0\.05, autovacuum_vacuum_insert_scale_factor = 0\.05, autovacuum_analyze_scale_factor = 0\.025\) -- lock: SHARE UPDATE EXCLUSIVE/)]);
    expect(await reloptions('events')).toEqual(['autovacuum_enabled=off', 'fillfactor=90']);

    const applied = await executeSkill(MaintenanceVacuumSkill, { table: 'events', autovacuum: 'apply' }, options());
    expect(applied.ok).toBe(true);
    expect(await reloptions('events')).toEqual(expect.arrayContaining(['autovacuum_enabled=true', 'autovacuum_vacuum_scale_factor=0.05', 'fillfactor=90']));
    expect(applied.rollback).toMatchObject({
      skill: 'maintenance-vacuum',
      input: { table: 'public.events', autovacuumSettings: { autovacuum_enabled: false, autovacuum_vacuum_scale_factor: null, autovacuum_vacuum_insert_scale_factor: null, autovacuum_analyze_scale_factor: null } },
    });
    expect(VacuumInput.safeParse(applied.rollback!.input).error).toBeUndefined();
    const undone = await executeSkill(MaintenanceVacuumSkill, applied.rollback!.input, options());
    expect(undone.ok).toBe(true);
    expect(await reloptions('events')).toEqual(['fillfactor=90', 'autovacuum_enabled=false']);
  });

  test('bad input: exit 2 naming the field, nothing changed', async () => {
    await sql('create table victim (id int)');
    for (const [skill, input, field] of [
      [MaintenanceVacuumSkill, {}, 'table'],
      [MaintenanceVacuumSkill, { table: 'victim; drop table victim' }, 'table'],
      [MaintenanceVacuumSkill, { table: 'public.nope' }, 'table'],
      [MaintenanceVacuumSkill, { database: 'pgcluster', full: true }, 'full'],
      [MaintenanceVacuumSkill, { table: 'victim', indexCleanup: 'sometimes' }, 'indexCleanup'],
      [MaintenanceVacuumSkill, { database: 'pgcluster', autovacuum: 'apply' }, 'table'],
      [MaintenanceVacuumSkill, { table: 'victim', autovacuumSettings: { fillfactor: 10 } }, 'autovacuumSettings'],
      [MaintenanceVacuumSkill, { table: 'victim', autovacuumSettings: {} }, 'autovacuumSettings'],
      [MaintenanceVacuumSkill, { table: 'victim', autovacuum: 'apply', full: true }, 'autovacuum'],
      [MaintenanceAnalyzeSkill, { table: 'a.b.c' }, 'table'],
      [MaintenanceAnalyzeSkill, { table: 'victim', column: 'id' }, 'statisticsTarget'],
      [MaintenanceAnalyzeSkill, { table: 'victim', column: 'nope', statisticsTarget: 500 }, 'column'],
      [MaintenanceAnalyzeSkill, { table: 'victim', column: 'id', statisticsTarget: 0 }, 'statisticsTarget'],
    ] as const) {
      const e = await executeSkill(skill as SkillClass, input, options({ yes: true }));
      expect(e).toMatchObject({ ok: false, status: 'error', error: { code: 'INVALID_INPUT' } });
      expect(e.error!.message).toContain(field);
      expect(exitCodeFor(e)).toBe(2);
    }
    expect(await sql("select 1 from pg_class where relname = 'victim'")).toHaveLength(1);
  });

  test('analyze: only stale and never-analyzed tables; a column statistics target with its undo', async () => {
    await sql('create table fresh (id int, sku text)');
    await sql("insert into fresh select i, 'sku' || (i % 7) from generate_series(1, 5000) i");
    await sql('analyze');
    await sql('create table never (id int)');
    await sql('insert into never select generate_series(1, 100)');
    await sql("insert into fresh select i, 'x' from generate_series(1, 4000) i"); // 4,000 changed of 5,000: stale
    await sql('create table calm (id int)');
    await sql('insert into calm select generate_series(1, 10000)');
    await sql('analyze calm');
    await sql('insert into calm select generate_series(1, 10)');

    const dry = await executeSkill(MaintenanceAnalyzeSkill, {}, options({ dryRun: true }));
    const planned = dry.plan!.map((s) => s.text.split(' -- ')[0]);
    expect(planned).toEqual(expect.arrayContaining(['ANALYZE "public"."fresh"', 'ANALYZE "public"."never"']));
    expect(planned).not.toContain('ANALYZE "public"."calm"');

    const run = await executeSkill(MaintenanceAnalyzeSkill, {}, options());
    const report = run.data as AnalyzeReport;
    expect(report.tables.find((t) => t.table === 'public.never')).toMatchObject({ neverAnalyzed: true, analyzed: true });
    expect(report.tables.find((t) => t.table === 'public.calm')).toMatchObject({ analyzed: false, rowsChanged: 10 });
    expect((await sql<{ n: number }>("select n_mod_since_analyze::int as n from pg_stat_user_tables where relname = 'fresh'"))[0]!.n).toBe(0);

    const target = async () => (await sql<{ t: number }>("select attstattarget as t from pg_attribute where attrelid = 'fresh'::regclass and attname = 'sku'"))[0]!.t;
    const set = await executeSkill(MaintenanceAnalyzeSkill, { table: 'public.fresh', column: 'sku', statisticsTarget: 1000 }, options());
    expect(set.data).toMatchObject({ statisticsTarget: { table: 'public.fresh', column: 'sku', before: -1, after: 1000 } });
    expect(await target()).toBe(1000);
    expect(set.rollback).toMatchObject({ skill: 'maintenance-analyze', input: { table: 'public.fresh', column: 'sku', statisticsTarget: -1 } });
    const undo = await executeSkill(MaintenanceAnalyzeSkill, set.rollback!.input, options());
    expect(undo.ok).toBe(true);
    expect(await target()).toBe(-1);
  });
});
