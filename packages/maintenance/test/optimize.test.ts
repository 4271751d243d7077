import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { MaintenanceOptimizeSkill, OptimizeInput, OptimizeReport } from '../src';
import { OPTIMIZE_LOCK_KEY } from '../src/optimize/apply-indexes';
import { clusterHelpers } from './helpers';

const cluster = useCluster({ replicas: 0, fast: true });
const { loaded, sql, session } = clusterHelpers(cluster);
const options = (extra: { dryRun?: boolean; yes?: boolean } = {}) => ({ config: loaded(), audit: false as const, actor: 'library' as const, timeoutMs: 120_000, ...extra });

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

  test('--apply keeps the index that helps and reverts a forced one that cannot; the rollback drops the kept one (with --yes)', async () => {
    await sql('select pg_stat_statements_reset()');
    const s = await session();
    for (let i = 0; i < 20; i++) {
      await s.client.query('select * from orders where customer_id = $1', [i * 37]);
      await s.client.query('select * from orders where id = $1', [i * 101]);
    }
    await s.client.end();
    const indexes = async () => (await sql<{ i: string }>("select indexname as i from pg_indexes where tablename = 'orders' order by 1")).map((r) => r.i);

    const dry = await executeSkill(MaintenanceOptimizeSkill, { apply: true }, options({ dryRun: true }));
    expect(dry.plan!.map((p) => p.text).join('\n')).toContain('CREATE INDEX CONCURRENTLY');
    expect(await indexes()).toEqual(['orders_pkey']);

    // Audited in a file of its own: the record carries the outcome summary an agent learns from.
    const stateDir = mkdtempSync(join(tmpdir(), 'pgcluster-optimize-audit-'));
    const audit = new AuditLog({ stateDir });
    const kept = await executeSkill(MaintenanceOptimizeSkill, { apply: true }, { ...options(), audit });
    expect(kept.ok).toBe(true);
    const report = kept.data as OptimizeReport;
    expect(report.applied).toEqual([expect.objectContaining({ index: 'public.orders_customer_id_idx', outcome: 'kept' })]);
    const [measured] = report.applied![0]!.improved;
    expect(measured).toMatchObject({ statement: 'select * from orders where customer_id = $1' });
    expect(measured!.afterMs).toBeLessThan(measured!.beforeMs);
    expect(report.applied![0]!.others).toContainEqual(expect.objectContaining({ statement: 'select * from orders where id = $1' }));
    expect(await indexes()).toEqual(['orders_customer_id_idx', 'orders_pkey']);
    expect(await sql("select 1 from pg_index where indexrelid = 'orders_customer_id_idx'::regclass and indisvalid")).toHaveLength(1);
    expect(kept.rollback).toMatchObject({ skill: 'maintenance-optimize', input: { dropIndex: ['public.orders_customer_id_idx'] }, why: expect.stringContaining('orders_customer_id_idx kept') });
    expect(OptimizeInput.safeParse(kept.rollback!.input).error).toBeUndefined();
    expect(audit.get(kept.auditId!)?.outcome).toEqual({ status: 'ok', summary: { kept: 1, reverted: 0, failed: 0, keptIndexes: 'public.orders_customer_id_idx', revertedIndexes: '' } });

    // A forced candidate the workload cannot use: created, measured, dropped again.
    const forced = await executeSkill(MaintenanceOptimizeSkill, { index: ['orders(status)'], apply: true }, { ...options(), audit });
    expect(forced).toMatchObject({ ok: true, status: 'degraded' });
    const f = forced.data as OptimizeReport;
    expect(f.applied).toEqual([expect.objectContaining({ index: 'public.orders_status_idx', outcome: 'reverted', reason: expect.stringContaining('no gain') })]);
    expect(forced.rollback).toBeUndefined();
    expect(audit.get(forced.auditId!)?.outcome).toEqual({ status: 'degraded', summary: { kept: 0, reverted: 1, failed: 0, keptIndexes: '', revertedIndexes: 'public.orders_status_idx' } });
    rmSync(stateDir, { recursive: true, force: true });
    expect(await indexes()).toEqual(['orders_customer_id_idx', 'orders_pkey']);

    // One optimizer at a time: while another holds the advisory lock, --apply refuses and creates nothing.
    const other = await session();
    await other.client.query('select pg_advisory_lock($1::bigint)', [OPTIMIZE_LOCK_KEY]);
    const busy = await executeSkill(MaintenanceOptimizeSkill, { index: ['orders(amount)'], apply: true }, options());
    expect(busy).toMatchObject({ ok: false, error: { code: 'REFUSED', message: expect.stringContaining('advisory lock') } });
    await other.client.end();
    expect(await indexes()).toEqual(['orders_customer_id_idx', 'orders_pkey']);

    // Undo of the kept index: a drop, refused without --yes.
    const refused = await executeSkill(MaintenanceOptimizeSkill, kept.rollback!.input, options());
    expect(refused).toMatchObject({ ok: false, error: { code: 'REFUSED' } });
    expect(exitCodeFor(refused)).toBe(3);
    const undone = await executeSkill(MaintenanceOptimizeSkill, kept.rollback!.input, options({ yes: true }));
    expect(undone.ok).toBe(true);
    expect((undone.data as OptimizeReport).dropped).toEqual(['public.orders_customer_id_idx']);
    expect(await indexes()).toEqual(['orders_pkey']);

    const bad = await executeSkill(MaintenanceOptimizeSkill, { index: ['orders(nope)'], apply: true }, options());
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('index.0') } });
  });

  test('a duplicate index is recommended for drop; a primary key or unique index never is, and dropIndex refuses them', async () => {
    await sql('create index customers_region_a on customers (region)');
    await sql('create index customers_region_b on customers (region)');
    await sql('create index customers_id_plain on customers (id)'); // the primary key's twin: the twin goes, the key stays
    await sql('create unique index customers_id_unique on customers (id)');
    const envelope = await executeSkill(MaintenanceOptimizeSkill, {}, options());
    const drops = (envelope.data as OptimizeReport).drops;
    expect(drops).toContainEqual(expect.objectContaining({ index: 'public.customers_region_b', reason: 'duplicate', of: 'public.customers_region_a', statement: 'DROP INDEX CONCURRENTLY public.customers_region_b' }));
    expect(drops).toContainEqual(expect.objectContaining({ index: 'public.customers_id_plain', reason: 'duplicate' }));
    const dropped = drops.map((d) => d.index);
    for (const never of ['public.customers_pkey', 'public.customers_id_unique', 'public.customers_region_a', 'public.orders_pkey']) expect(dropped).not.toContain(never);
    expect(envelope.recommendations).toContainEqual(expect.objectContaining({ skill: 'maintenance-optimize', input: { dropIndex: ['public.customers_region_b'] } }));

    for (const index of ['customers_pkey', 'customers_id_unique']) {
      const e = await executeSkill(MaintenanceOptimizeSkill, { dropIndex: [index] }, options({ yes: true }));
      expect(e).toMatchObject({ ok: false, error: { code: 'REFUSED', message: expect.stringContaining('never drops') } });
    }
    expect(await sql("select 1 from pg_indexes where indexname in ('customers_pkey', 'customers_id_unique')")).toHaveLength(2);
  });
});
