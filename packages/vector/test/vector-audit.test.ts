import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, type LoadedConfig, withClient } from '@pgcluster/core';
import { AuditLog, executeSkill, type AuditRecord } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { embeddingSpace, VectorIndexSkill, VectorInsertSkill, VectorSearchSkill } from '../src';

// What the audit log keeps of vector runs: small, faithful records, and no write on the primary for a read.
const cluster = useCluster({ replicas: 0, fast: true, extensions: ['vector'] });

let dir: string;
let loaded: LoadedConfig;
let audit: AuditLog;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vector-audit-'));
  const config = ClusterConfig.parse({ name: 'vaudit', nodes: [{ name: 'node1', url: cluster().url() }], stateDir: join(dir, 'state') });
  loaded = { config, source: 'test', stateDir: config.stateDir };
  // A generous table timeout: the default (2 s) is for interactive runs, not a loaded CI machine.
  audit = new AuditLog({ stateDir: loaded.stateDir, nodes: config.nodes, databaseTimeoutMs: 15_000 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (skill: Parameters<typeof executeSkill>[0], input: unknown) => executeSkill(skill, input, { config: loaded, audit, timeoutMs: 300_000 });
const sql = <R extends object>(text: string, values: unknown[] = []) =>
  withClient({ url: cluster().url() }, 'test query', async (c) => (await c.query<R>(text, values)).rows);
const tableRows = async () => (await sql<{ n: number }>('select count(*)::int as n from pgcluster.audit_log'))[0]!.n;
/** The line of the audit file for this id, exactly as stored. */
const storedLine = (id: string): string => readFileSync(audit.file, 'utf8').split('\n').find((l) => l.includes(`"id":"${id}"`))!;
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

const DIMENSION = 64;
const space = embeddingSpace({ dimension: DIMENSION, clusters: 10, seed: 9 });

test('a vector-insert of 10,000 inline rows leaves one record under 2 KB, with the rows as a count and a sha256', async () => {
  expect(await run(VectorIndexSkill, { action: 'create-collection', collection: 'audited', dimension: DIMENSION })).toMatchObject({ ok: true });
  const rows = [...space.rows(10_000)].map((r) => ({ key: r.key, embedding: Array.from(r.embedding), metadata: r.metadata }));
  const inserted = await run(VectorInsertSkill, { collection: 'audited', rows });
  expect(inserted).toMatchObject({ ok: true, data: { rows: 10_000, inserted: 10_000 } });

  const line = storedLine(inserted.auditId!);
  expect(Buffer.byteLength(line)).toBeLessThan(2048);
  const record = JSON.parse(line) as AuditRecord;
  expect(record).toMatchObject({ skill: 'vector-insert', risk: 'write', outcome: { status: 'ok' } });
  expect(record.input).toEqual({ collection: 'audited', rows: { count: 10_000, sha256: sha256(JSON.stringify(rows)) }, onConflict: 'update', rebuildIndexes: false });
  // A write is also recorded on the primary, just as small.
  const [row] = await sql<{ input: unknown; bytes: number }>('select input, pg_column_size(input) as bytes from pgcluster.audit_log where id = $1', [inserted.auditId]);
  expect(row?.input).toEqual(record.input);
  expect(row!.bytes).toBeLessThan(2048);
});

test('a vector-insert from a file records its path, size and sha256', async () => {
  const file = join(dir, 'more.ndjson');
  const text = [...space.rows(50, { start: 20_000 })].map((r) => JSON.stringify({ key: r.key, embedding: Array.from(r.embedding) })).join('\n');
  writeFileSync(file, `${text}\n`);
  const inserted = await run(VectorInsertSkill, { collection: 'audited', file });
  expect(inserted).toMatchObject({ ok: true, data: { inserted: 50 } });
  expect(JSON.parse(storedLine(inserted.auditId!)).input).toEqual({
    collection: 'audited',
    file: { path: file, size: Buffer.byteLength(`${text}\n`), sha256: sha256(`${text}\n`) },
    onConflict: 'update',
    rebuildIndexes: false,
  });
});

test('a vector-search leaves a record under 1 KB and no new row in pgcluster.audit_log', async () => {
  const before = await tableRows();
  const vector = Array.from(space.queries(1)[0]!);
  const found = await run(VectorSearchSkill, { collection: 'audited', vector, k: 5, filter: { bucket: 3 } });
  expect(found).toMatchObject({ ok: true, status: 'ok' });

  const line = storedLine(found.auditId!);
  expect(Buffer.byteLength(line)).toBeLessThan(1024);
  expect(JSON.parse(line)).toMatchObject({
    skill: 'vector-search',
    risk: 'read',
    input: { collection: 'audited', vector: { count: DIMENSION, sha256: sha256(JSON.stringify(vector)) }, k: 5, filter: { bucket: 3 } },
  });
  expect(await tableRows()).toBe(before);
  expect(await sql('select id from pgcluster.audit_log where id = $1', [found.auditId])).toEqual([]);
});
