// The executor against a real PostgreSQL: the confirmation gate, dry runs that change nothing,
// audit rows in pgcluster.audit_log next to the JSON lines, and undo through the executor.
import { readFileSync } from 'node:fs';
import { withClient } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';
import { AuditLog, createSkillRegistry, executeSkill, exitCodeFor, undoAudit, type ExecuteOptions } from '../src/index';
import { CreateTableFixture, DropTableFixture, ReadFixture } from './fixtures/fixture-skills';
import { memoryLogger, tempConfig } from './fixtures/temp-config';

const cluster = useCluster({ replicas: 0, fast: true, extensions: [] });
const { resolve } = createSkillRegistry([ReadFixture, DropTableFixture, CreateTableFixture]);

let env: ReturnType<typeof tempConfig>;
let options: () => ExecuteOptions & { resolveSkill: typeof resolve };
beforeAll(() => {
  env = tempConfig(cluster().url());
  const log = memoryLogger();
  // A generous table timeout: the default (2 s) is for interactive runs, not a loaded CI machine.
  const audit = new AuditLog({ stateDir: env.loaded.stateDir, nodes: env.loaded.config.nodes, databaseTimeoutMs: 15_000, log });
  options = () => ({ config: env.loaded, log, audit, resolveSkill: resolve, actor: 'cli' });
});
afterAll(() => env?.cleanup());

const sql = <R extends object = Record<string, unknown>>(text: string, values: unknown[] = []) =>
  withClient({ url: cluster().url() }, 'test query', async (c) => (await c.query<R>(text, values)).rows);
const catalogue = () => sql(`select relname, relkind from pg_class where relnamespace = 'public'::regnamespace order by relname`);
const tableExists = async (name: string) => (await sql<{ t: string | null }>(`select to_regclass($1) as t`, [`public.${name}`]))[0]?.t !== null;
const auditRow = async (id: string) => (await sql(`select * from pgcluster.audit_log where id = $1`, [id]))[0];
const jsonLines = () => readFileSync(`${env.loaded.stateDir}/audit/audit.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('a dry run changes nothing in the catalogue, and does not even create the audit table', async () => {
  await sql('create table public.items (id int primary key, name text)');
  const before = await catalogue();
  const drop = await executeSkill(DropTableFixture, { table: 'items' }, { ...options(), dryRun: true });
  const create = await executeSkill(CreateTableFixture, { table: 'fresh' }, { ...options(), dryRun: true });
  expect([drop.status, create.status]).toEqual(['planned', 'planned']);
  expect(drop.plan?.[0]?.text).toBe('drop table if exists public."items"');
  expect(drop.plan?.[0]?.target).not.toContain(new URL(cluster().url()).password);
  expect(await catalogue()).toEqual(before);
  expect(await sql(`select 1 from pg_namespace where nspname = 'pgcluster'`)).toEqual([]);
  expect(jsonLines().map((r) => [r.skill, r.dryRun])).toEqual([
    ['maintenance-fixture-drop-table', true],
    ['maintenance-fixture-create-table', true],
  ]);
});

test('the destructive fixture refuses without --yes (exit 3) and the table is still there', async () => {
  const envelope = await executeSkill(DropTableFixture, { table: 'items' }, options());
  expect(envelope).toMatchObject({ status: 'refused', error: { code: 'REFUSED' } });
  expect(exitCodeFor(envelope)).toBe(3);
  expect(await tableExists('items')).toBe(true);
  expect(await auditRow(envelope.auditId!)).toMatchObject({ status: 'refused', error_code: 'REFUSED', dry_run: false });
});

test('bad input changes nothing and names the field', async () => {
  const envelope = await executeSkill(DropTableFixture, { table: 'Items; drop table x' }, { ...options(), yes: true });
  expect(envelope.error).toMatchObject({ code: 'INVALID_INPUT', message: '--table (table): must be a lower-case identifier of at most 63 characters' });
  expect(exitCodeFor(envelope)).toBe(2);
  expect(await tableExists('items')).toBe(true);
});

test('a read run is recorded in the JSON lines only; a write run also in pgcluster.audit_log; secrets redacted in both', async () => {
  const secret = 'hunter2-in-input';
  const read = await executeSkill(ReadFixture, { password: secret, url: cluster().url() }, options());
  expect(read.status).toBe('ok');
  expect(await auditRow(read.auditId!)).toBeUndefined();
  expect(jsonLines().at(-1)).toMatchObject({ id: read.auditId, skill: 'monitoring-fixture-read', risk: 'read', input: { password: '***' } });

  const write = await executeSkill(CreateTableFixture, { table: 'audited_write', password: secret, url: cluster().url() }, options());
  expect(write.status).toBe('ok');
  const row = await auditRow(write.auditId!);
  expect(row).toMatchObject({ skill: 'maintenance-fixture-create-table', actor: 'cli', dry_run: false, status: 'ok', error_code: null, undo_of: null, outcome: { created: 'audited_write' } });
  expect(jsonLines().at(-1)).toMatchObject({ outcome: { status: 'ok', summary: { created: 'audited_write' } } });
  expect((row?.['input'] as Record<string, unknown>)['password']).toBe('***');
  expect(row?.['time']).toBeInstanceOf(Date);
  const file = readFileSync(`${env.loaded.stateDir}/audit/audit.jsonl`, 'utf8');
  const clusterPassword = new URL(cluster().url()).password;
  for (const text of [file, JSON.stringify(await sql('select * from pgcluster.audit_log'))]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(clusterPassword);
  }
  expect(jsonLines().at(-1)).toMatchObject({ id: write.auditId, skill: 'maintenance-fixture-create-table', risk: 'write' });
});

test('undo runs the recorded rollback through the executor: confirmable, audited with undoOf', async () => {
  const created = await executeSkill(CreateTableFixture, { table: 'made_by_skill' }, options());
  expect(created).toMatchObject({ status: 'ok', rollback: { skill: 'maintenance-fixture-drop-table', input: { table: 'made_by_skill' } } });
  expect(await tableExists('made_by_skill')).toBe(true);
  expect(await auditRow(created.auditId!)).toMatchObject({ rollback: { skill: 'maintenance-fixture-drop-table' } });

  const refused = await undoAudit(created.auditId!, options());
  expect(exitCodeFor(refused)).toBe(3);
  expect(await tableExists('made_by_skill')).toBe(true);

  const undone = await undoAudit(created.auditId!, { ...options(), yes: true });
  expect(undone).toMatchObject({ ok: true, skill: 'maintenance-fixture-drop-table', status: 'ok' });
  expect(await tableExists('made_by_skill')).toBe(false);
  expect(await auditRow(undone.auditId!)).toMatchObject({ undo_of: created.auditId, status: 'ok', actor: 'cli' });
  expect(jsonLines().at(-1)).toMatchObject({ id: undone.auditId, undoOf: created.auditId });
});

test('an audit table made before the outcome column: a dry run still writes its row, the next real run adds the column and records the outcome', async () => {
  await sql('alter table pgcluster.audit_log drop column outcome');
  const planned = await executeSkill(CreateTableFixture, { table: 'old_table_dry' }, { ...options(), dryRun: true });
  expect(await auditRow(planned.auditId!)).toMatchObject({ status: 'planned', dry_run: true });
  expect(await auditRow(planned.auditId!)).not.toHaveProperty('outcome');
  const created = await executeSkill(CreateTableFixture, { table: 'old_table_real' }, options());
  expect(created.status).toBe('ok');
  expect(await auditRow(created.auditId!)).toMatchObject({ status: 'ok', outcome: { created: 'old_table_real' } });
  // Rows written before the column came have none; runs without a summary record null.
  expect(await auditRow(planned.auditId!)).toMatchObject({ outcome: null });
  const dropped = await executeSkill(DropTableFixture, { table: 'old_table_real' }, { ...options(), yes: true });
  expect(await auditRow(dropped.auditId!)).toMatchObject({ status: 'ok', outcome: null });
});

test('the audit table gets nothing from a read-only node, and the run still succeeds', async () => {
  await sql(`alter database ${cluster().database} set default_transaction_read_only = on`);
  try {
    // A dry run of a write skill: recorded in the table when it can be, and it cannot here.
    const envelope = await executeSkill(CreateTableFixture, { table: 'never_made' }, { ...options(), dryRun: true });
    expect(envelope.status).toBe('planned');
    expect(await sql(`select 1 from pgcluster.audit_log where id = $1`, [envelope.auditId])).toEqual([]);
    expect(jsonLines().at(-1)?.id).toBe(envelope.auditId);
    expect((options().log as ReturnType<typeof memoryLogger>).lines).toContain('debug: audit table: cannot execute INSERT in a read-only transaction');
  } finally {
    await withClient({ url: cluster().url() }, 'making the database writable again', async (c) => {
      await c.query('set default_transaction_read_only = off');
      await c.query(`alter database ${cluster().database} reset default_transaction_read_only`);
    });
  }
});
