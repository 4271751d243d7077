import { appendFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempConfig } from '../../test/fixtures/temp-config';
import { AuditLog, boundedSummary, MAX_AUDIT_INPUT_BYTES, MAX_OUTCOME_SUMMARY_KEYS, type AuditEntry } from './audit-log';
import { newAuditId } from './new-audit-id';

let env: ReturnType<typeof tempConfig>;
beforeEach(() => {
  env = tempConfig();
});
afterEach(() => env.cleanup());

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  skill: 'monitoring-fixture-read',
  actor: 'cli',
  input: {},
  dryRun: false,
  outcome: { status: 'ok' },
  durationMs: 3,
  ...over,
});

describe('AuditLog', () => {
  it('keeps a bounded outcome summary: scalars with plain keys, at most MAX_OUTCOME_SUMMARY_KEYS, nothing when empty', async () => {
    const audit = new AuditLog({ stateDir: env.loaded.stateDir });
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    const record = await audit.append(entry({ outcome: { status: 'ok', summary: many } }));
    expect(Object.keys(record.outcome.summary ?? {})).toHaveLength(MAX_OUTCOME_SUMMARY_KEYS);
    expect(audit.get(record.id)?.outcome).toEqual(record.outcome);
    const odd = { nested: { a: 1 }, list: [1], nan: Number.NaN, ok: true } as unknown as Record<string, number>;
    expect(boundedSummary(odd)).toEqual({ ok: true });
    expect(boundedSummary({ nested: { a: 1 } })).toBeUndefined();
    const plain = await audit.append(entry({ outcome: { status: 'ok', summary: {} } }));
    expect(plain.outcome).toEqual({ status: 'ok' });
  });

  it('appends JSON lines to <stateDir>/audit/audit.jsonl with private modes', async () => {
    const audit = new AuditLog({ stateDir: env.loaded.stateDir });
    const record = await audit.append(entry({ undoOf: 'x1' }));
    expect(audit.file).toBe(`${env.loaded.stateDir}/audit/audit.jsonl`);
    expect(statSync(audit.file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(audit.file)).mode & 0o777).toBe(0o700);
    expect(record).toMatchObject({ skill: 'monitoring-fixture-read', actor: 'cli', dryRun: false, undoOf: 'x1' });
    expect(new Date(record.time).toISOString()).toBe(record.time);
    expect(audit.get(record.id)).toEqual(record);
  });

  it('redacts URL passwords in the input and secrets in the rollback, but guesses nothing from input key names', async () => {
    const audit = new AuditLog({ stateDir: env.loaded.stateDir });
    const record = await audit.append(
      entry({
        input: { key: 'row-7', nested: { conninfo: "host=h password='pw'" }, dsn: 'postgresql://u:pw2@h/d' },
        rollback: { skill: 'security-rotate', input: { password: 'old-pw' }, why: 'restore' },
      }),
    );
    expect(record.input).toEqual({ key: 'row-7', nested: { conninfo: "host=h password='***'" }, dsn: 'postgresql://u:***@h/d' });
    expect(record.rollback?.input).toEqual({ password: '***' });
  });

  it('records an input over MAX_AUDIT_INPUT_BYTES as its size and sha256', async () => {
    const audit = new AuditLog({ stateDir: env.loaded.stateDir });
    const input = { vector: Array.from({ length: 5_000 }, (_, i) => i / 7) };
    const record = await audit.append(entry({ input }));
    expect(record.input).toEqual({ oversized: { bytes: JSON.stringify(input).length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(JSON.stringify(record).length).toBeLessThan(MAX_AUDIT_INPUT_BYTES);
  });

  it('lists newest first, filtered by skill, up to a limit', async () => {
    const audit = new AuditLog({ stateDir: env.loaded.stateDir });
    const ids: string[] = [];
    for (const skill of ['cluster-a', 'cluster-b', 'cluster-a', 'cluster-a']) ids.push((await audit.append(entry({ skill }))).id);
    expect(audit.list().map((r) => r.id)).toEqual([...ids].reverse());
    expect(audit.list({ skill: 'cluster-a', limit: 2 }).map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect(audit.list({ skill: 'cluster-c' })).toEqual([]);
  });

  it('finds a record by a unique id prefix, and says when a prefix is ambiguous', async () => {
    const audit = new AuditLog({ stateDir: env.loaded.stateDir });
    const a = await audit.append(entry({ id: 'aaaa1111', time: '2026-01-01T00:00:00.000Z' }));
    await audit.append(entry({ id: 'aaaa2222' }));
    expect(audit.get('aaaa1')).toEqual(a);
    expect(audit.get('AAAA1111')).toEqual(a);
    expect(audit.get('zzz')).toBeUndefined();
    expect(() => audit.get('aaaa')).toThrow('id: "aaaa" matches 2 audit records; give more of the id');
  });

  it('reads nothing from a missing file and skips a torn line', async () => {
    const audit = new AuditLog({ stateDir: env.loaded.stateDir });
    expect(audit.list()).toEqual([]);
    await audit.append(entry());
    appendFileSync(audit.file, '{"id":"broken');
    expect(audit.list()).toHaveLength(1);
  });

  it('never fails or waits long when no node answers', async () => {
    const audit = AuditLog.fromConfig(env.loaded);
    const started = Date.now();
    await expect(audit.append(entry())).resolves.toMatchObject({ skill: 'monitoring-fixture-read' });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});

describe('newAuditId', () => {
  it('is 18 lower-case base32 characters that sort by time', () => {
    const a = newAuditId(1_700_000_000_000);
    const b = newAuditId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-hjkmnp-tv-z]{18}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newAuditId(1)))).toHaveProperty('size', 1000);
  });
});
