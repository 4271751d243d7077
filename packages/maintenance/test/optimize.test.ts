import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { MaintenanceOptimizeSkill, OptimizeReport } from '../src';
import { clusterHelpers } from './helpers';

const cluster = useCluster({ replicas: 0, fast: true });
const { loaded, sql, session } = clusterHelpers(cluster);
const options = (extra: { dryRun?: boolean } = {}) => ({ config: loaded(), audit: false as const, actor: 'library' as const, timeoutMs: 120_000, ...extra });

describe('maintenance-optimize (read-only advisor) on a real cluster', () => {
  beforeAll(async () => {
    await sql('create extension if not exists pg_stat_statements');
    await sql('create extension if not exists hypopg');
    await sql('create table customers (id int primary key, region int)');
    await sql('insert into customers select i, i % 20 from generate_series(1, 10000) i');
    await sql('create table orders (id int primary key, customer_id int not null, status int not null, amount numeric, created_at timestamptz)');
    await sql("insert into orders select i, i % 10000, i % 7, i % 1000, now() - (i || ' seconds')::interval from generate_series(1, 200000) i");
    await sql('analyze');
    await sql('select pg_stat_statements_reset()');
    // The workload: a selective filter on an unindexed column, and a well-indexed primary-key lookup.
    const s = await session();
    for (let i = 0; i < 20; i++) {
      await s.client.query('select * from orders where customer_id = $1', [i * 37]);
      await s.client.query('select * from orders where id = $1', [i * 101]);
    }
    await s.client.end();
  });

  test('finds the missing index for the selective filter, proposes nothing for the primary-key lookup, and creates nothing', async () => {
    const before = await sql<{ n: number }>("select count(*)::int as n from pg_indexes where tablename = 'orders'");
    const envelope = await executeSkill(MaintenanceOptimizeSkill, {}, options());
    expect(envelope.ok).toBe(true);
    const report = envelope.data as OptimizeReport;
    expect(report.recommendations).toHaveLength(1);
    const [r] = report.recommendations;
    expect(r).toMatchObject({ table: 'public.orders', columns: ['customer_id'], statement: 'CREATE INDEX CONCURRENTLY ON "public"."orders" ("customer_id")', slower: [] });
    expect(r!.estimatedSizeBytes).toBeGreaterThan(0);
    expect(r!.improved).toEqual([expect.objectContaining({ statement: 'select * from orders where customer_id = $1' })]);
    expect(r!.improved[0]!.costAfter).toBeLessThan(r!.improved[0]!.costBefore * 0.5);
    const pk = report.statements.find((s) => s.statement === 'select * from orders where id = $1')!;
    expect(pk.costAfter).toBe(pk.costBefore);
    expect(report.workloadCostAfter).toBeLessThan(report.workloadCostBefore);
    expect(await sql<{ n: number }>("select count(*)::int as n from pg_indexes where tablename = 'orders'")).toEqual(before);
    expect(exitCodeFor(envelope)).toBe(1);
  });

  test('a given statement with a join and a sort; by queryId; bad input names the field', async () => {
    const given = await executeSkill(MaintenanceOptimizeSkill, { query: ['select o.* from orders o join customers c on c.id = o.customer_id where c.region = $1 and o.status = $2 order by o.created_at'] }, options());
    expect(given.ok).toBe(true);
    const joined = given.data as OptimizeReport;
    expect(joined.statements).toHaveLength(1);
    for (const r of joined.recommendations) expect(r.improved.length === 1 && r.slower.length === 0 && ['public.orders', 'public.customers'].includes(r.table)).toBe(true);
    expect(joined.workloadCostAfter).toBeLessThanOrEqual(joined.workloadCostBefore);

    const [top] = await sql<{ q: string }>("select queryid::text as q from pg_stat_statements where query = 'select * from orders where customer_id = $1'");
    const one = await executeSkill(MaintenanceOptimizeSkill, { queryId: top!.q }, options());
    expect((one.data as OptimizeReport).recommendations.map((r) => r.columns)).toEqual([['customer_id']]);

    for (const [input, field] of [
      [{ query: ['select 1; drop table orders'] }, 'query.0'],
      [{ queryId: 'abc' }, 'queryId'],
      [{ queryId: '12345' }, 'queryId'],
      [{ top: 0 }, 'top'],
      [{ action: 'drop-index', index: 'public.x' }, 'action'],
    ] as const) {
      const e = await executeSkill(MaintenanceOptimizeSkill, input, options());
      expect(e).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(e.error!.message).toContain(field);
    }
    expect(await sql("select 1 from pg_class where relname = 'orders'")).toHaveLength(1);
  });
});
