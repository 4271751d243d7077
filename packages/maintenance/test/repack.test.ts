import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { MaintenanceVacuumSkill, VacuumReport } from '../src';
import { clusterHelpers } from './helpers';

const cluster = useCluster({ replicas: 0, fast: true });
const { loaded, sql } = clusterHelpers(cluster);
const options = (extra: { dryRun?: boolean } = {}) => ({ config: loaded(), audit: false as const, actor: 'library' as const, timeoutMs: 120_000, ...extra });
const size = async (table: string) => (await sql<{ b: number }>('select pg_total_relation_size($1::regclass)::float8 as b', [table]))[0]!.b;

describe('maintenance-vacuum --repack (pg_repack) on a real cluster', () => {
  test('a bloated table shrinks online; the dry run shows the command and the preconditions; a table without a key is refused', async () => {
    await sql('create table bloated (id int primary key, payload text) with (autovacuum_enabled = off)');
    await sql("insert into bloated select i, repeat('x', 200) from generate_series(1, 100000) i");
    await sql('delete from bloated where id % 4 <> 0');
    await sql('vacuum bloated'); // a plain VACUUM makes the space reusable but keeps the file's size: the bloat
    const before = await size('bloated');

    const dry = await executeSkill(MaintenanceVacuumSkill, { table: 'bloated', repack: true }, options({ dryRun: true }));
    const text = dry.plan!.map((s) => s.text).join('\n');
    expect(text).toContain('CREATE EXTENSION IF NOT EXISTS pg_repack');
    expect(text).toContain('pg_repack --no-order --wait-timeout=60 --table="public"."bloated" --dbname=');
    expect(text).toMatch(/key index: bloated_pkey; needs about \d+ bytes of disk \(\d+ bytes free\)/);
    expect(text).not.toMatch(/password/i);
    expect(await sql("select 1 from pg_extension where extname = 'pg_repack'")).toHaveLength(0);
    expect(await size('bloated')).toBe(before);

    const envelope = await executeSkill(MaintenanceVacuumSkill, { table: 'bloated', repack: true }, options());
    expect(envelope).toMatchObject({ ok: true });
    const report = envelope.data as VacuumReport;
    expect(report.repack).toMatchObject({ keyIndex: 'bloated_pkey', extensionCreated: true });
    const [t] = report.tables;
    expect(t).toMatchObject({ table: 'public.bloated', liveRows: 25_000 });
    expect(t!.sizeBytesAfter).toBeLessThan(t!.sizeBytesBefore * 0.4);
    expect(await size('bloated')).toBeLessThan(before * 0.4);
    expect(await sql<{ n: number }>('select count(*)::int as n from bloated')).toEqual([{ n: 25_000 }]);

    await sql('create table keyless (id int, payload text)');
    await sql('insert into keyless select i, null from generate_series(1, 100) i');
    await sql('create unique index on keyless (id)'); // unique but nullable: not a key pg_repack can use
    const refused = await executeSkill(MaintenanceVacuumSkill, { table: 'keyless', repack: true }, options());
    expect(refused).toMatchObject({ ok: false, error: { code: 'REFUSED', message: expect.stringContaining('primary key') } });
    expect(exitCodeFor(refused)).toBe(3);

    for (const [input, field] of [
      [{ repack: true, database: 'pgcluster' }, 'repack'],
      [{ table: 'bloated', repack: true, full: true }, 'repack'],
    ] as const) {
      const e = await executeSkill(MaintenanceVacuumSkill, input, options());
      expect(e).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining(field) } });
    }
  });
});
