import { executeSkill } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { MaintenanceOptimizeSkill, OptimizeReport } from '../src';
import { clusterHelpers } from './helpers';

const cluster = useCluster({ replicas: 0, fast: true });
const { loaded, sql, session } = clusterHelpers(cluster);
const options = () => ({ config: loaded(), audit: false as const, actor: 'library' as const, timeoutMs: 120_000 });
const advise = async (input: Record<string, unknown>) => {
  const envelope = await executeSkill(MaintenanceOptimizeSkill, input, options());
  expect(envelope.error).toBeUndefined();
  return { envelope, report: envelope.data as OptimizeReport };
};

describe('maintenance-optimize candidates: partial, INCLUDE, three columns, pgvector, pg_qualstats', () => {
  beforeAll(async () => {
    await sql('create extension if not exists hypopg');
    await sql('create table tickets (id int primary key, status text not null, queue int not null, priority int not null, opened_at timestamptz not null, title text)');
    await sql(
      `insert into tickets select i, case when i % 50 = 0 then 'open' else 'closed' end, i % 40, i % 5, now() - (i || ' minutes')::interval, 'ticket ' || i
         from generate_series(1, 200000) i`,
    );
    await sql('vacuum analyze tickets');
  });

  test('a constant selective predicate gives a partial index; a non-selective one does not', async () => {
    const { report } = await advise({ query: ["select id, opened_at from tickets where status = 'open' and queue = $1 order by opened_at"] });
    expect(report.considered.some((c) => c.includes(`WHERE "status" = 'open'::text`))).toBe(true);
    expect(report.recommendations).toContainEqual(expect.objectContaining({ table: 'public.tickets', where: `"status" = 'open'::text` }));
    const r = report.recommendations.find((x) => x.where);
    expect(r!.statement).toMatch(/^CREATE INDEX CONCURRENTLY ON "public"\."tickets" \(.+\) WHERE "status" = 'open'::text$/);

    const wide = await advise({ query: ["select id from tickets where status = 'closed' and queue = $1"] });
    expect(wide.report.considered.some((c) => c.includes('WHERE'))).toBe(false);
  });

  test('INCLUDE columns for an index-only scan; three columns in a useful order', async () => {
    const { report } = await advise({ query: ['select id, title from tickets where queue = $1'] });
    expect(report.considered).toContain('CREATE INDEX ON "public"."tickets" ("queue") INCLUDE ("id", "title")');

    const three = await advise({ query: ['select * from tickets where queue = $1 and priority = $2 order by opened_at limit 10'] });
    expect(three.report.considered).toContain('CREATE INDEX ON "public"."tickets" ("queue", "priority", "opened_at")');
    expect(three.report.recommendations[0]!.columns).toEqual(['queue', 'priority', 'opened_at']);
  });

  test('a pgvector column searched by distance gets the vector skills\' advice, not a B-tree', async () => {
    await sql('create extension if not exists vector');
    await sql('create table docs (id int primary key, embedding vector(3))');
    await sql('insert into docs select i, array[random(), random(), random()]::vector from generate_series(1, 20000) i');
    await sql('analyze docs');
    const { envelope, report } = await advise({ query: ['select id from docs order by embedding <-> $1 limit 5'] });
    expect(report.vectors).toEqual([expect.objectContaining({ table: 'public.docs', column: 'embedding', collection: 'docs' })]);
    expect(report.considered.some((c) => c.includes('"embedding"'))).toBe(false);
    expect(envelope.recommendations).toContainEqual(expect.objectContaining({ skill: 'vector-index', input: { action: 'create', collection: 'docs', method: 'hnsw' } }));
  });

  test('pg_qualstats: used when preloaded and installed; without it the plans alone are used', async () => {
    await sql('create extension if not exists pg_stat_statements');
    await sql('create extension pg_qualstats');
    // Installed but not preloaded: it would see only its own backend's predicates, so the advisor does without it.
    const before = await advise({ query: ['select id from tickets where queue = $1'] });
    expect(before.report.qualstats).toBe(false);

    await sql("alter system set shared_preload_libraries = 'pg_stat_statements', 'pg_qualstats'");
    await cluster().restart('node1');
    const s = await session();
    await s.client.query('set pg_qualstats.sample_rate = 1');
    for (let i = 0; i < 5; i++) await s.client.query('select count(*) from tickets where priority = $1 and queue = $2', [i, i]);
    await s.client.end();
    const after = await advise({ query: ['select id from tickets where queue = $1'] });
    expect(after.report.qualstats).toBe(true);
    // priority is not in this statement: only pg_qualstats' predicates make it a candidate column.
    expect(after.report.considered.some((c) => c.includes('"priority"'))).toBe(true);
  });
});
