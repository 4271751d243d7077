import { CreateTableFixture, DropTableFixture, ReadFixture } from '../../test/fixtures/fixture-skills';
import { memoryLogger, tempConfig } from '../../test/fixtures/temp-config';
import { exitCodeFor } from '../executor/exit-code-for';
import { createSkillRegistry } from '../skill/skill-registry';
import { AuditLog } from './audit-log';
import { undoAudit } from './undo-audit';

let env: ReturnType<typeof tempConfig>;
let audit: AuditLog;
const { resolve } = createSkillRegistry([ReadFixture, DropTableFixture, CreateTableFixture]);
beforeEach(() => {
  env = tempConfig();
  audit = new AuditLog({ stateDir: env.loaded.stateDir });
});
afterEach(() => {
  jest.restoreAllMocks();
  env.cleanup();
});
const opts = () => ({ config: env.loaded, log: memoryLogger(), resolveSkill: resolve });
const rollback = { skill: 'maintenance-fixture-drop-table', input: { table: 'items' }, why: 'drop items' };
const base = { skill: 'maintenance-fixture-create-table', actor: 'cli', input: { table: 'items' }, dryRun: false, outcome: { status: 'ok' }, durationMs: 5 } as const;

describe('undoAudit', () => {
  it('runs the recorded rollback through the executor: confirmable, then audited with undoOf', async () => {
    const run = jest.spyOn(DropTableFixture, 'run').mockResolvedValue({ data: { table: 'items', changed: true } });
    const record = await audit.append({ ...base, rollback });

    const refused = await undoAudit(record.id, opts());
    expect(refused).toMatchObject({ skill: 'maintenance-fixture-drop-table', status: 'refused' });
    expect(exitCodeFor(refused)).toBe(3);
    expect(run).not.toHaveBeenCalled();

    const planned = await undoAudit(record.id.slice(0, 14), { ...opts(), dryRun: true });
    expect(planned.status).toBe('planned');
    expect(run).not.toHaveBeenCalled();

    const done = await undoAudit(record.id, { ...opts(), yes: true, actor: 'cli' });
    expect(done).toMatchObject({ ok: true, status: 'ok', data: { table: 'items', changed: true } });
    expect(run).toHaveBeenCalledWith(expect.anything(), { table: 'items' });
    expect(audit.get(done.auditId!)).toMatchObject({ skill: 'maintenance-fixture-drop-table', undoOf: record.id, actor: 'cli' });

    const again = await undoAudit(record.id, { ...opts(), yes: true });
    expect(again).toMatchObject({ status: 'refused', error: { code: 'REFUSED', message: `${record.id} was already undone by ${done.auditId}; nothing was run` } });
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('refuses clearly when the record has no rollback', async () => {
    const record = await audit.append({ ...base });
    const envelope = await undoAudit(record.id, { ...opts(), yes: true });
    expect(envelope).toMatchObject({ ok: false, skill: 'audit-undo', status: 'error', error: { code: 'NOT_SUPPORTED' } });
    expect(envelope.error?.message).toContain('recorded no rollback, so it cannot be undone automatically');
    expect(exitCodeFor(envelope)).toBe(2);
  });

  it('says when the id is unknown or ambiguous', async () => {
    expect((await undoAudit('nope', opts())).error).toMatchObject({ code: 'INVALID_INPUT', message: 'id: no audit record "nope"' });
    await audit.append({ ...base, id: 'abc1' });
    await audit.append({ ...base, id: 'abc2' });
    expect((await undoAudit('abc', opts())).error?.message).toContain('matches 2 audit records');
  });

  it('will not replay a rollback whose secret was redacted, nor an unknown skill', async () => {
    const secret = await audit.append({ ...base, rollback: { ...rollback, input: { password: 'old' } } });
    expect((await undoAudit(secret.id, { ...opts(), yes: true })).error?.message).toContain('needs a secret');
    const unknown = await audit.append({ ...base, rollback: { ...rollback, skill: 'cluster-unknown' } });
    expect((await undoAudit(unknown.id, { ...opts(), yes: true })).error).toMatchObject({ code: 'NOT_SUPPORTED', message: 'the rollback skill "cluster-unknown" is not available here' });
  });
});
