import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgClusterError, RefusedError } from '@pgcluster/core';
import { z } from 'zod';
import { BrokenFixture, CreateTableFixture, DropTableFixture, ReadFixture, SlowFixture } from '../../test/fixtures/fixture-skills';
import { memoryLogger, tempConfig } from '../../test/fixtures/temp-config';
import { AuditLog } from '../audit/audit-log';
import { Skill } from '../skill/skill';
import type { SkillContext } from '../skill/skill-meta';
import { executeSkill } from './execute-skill';
import { exitCodeFor } from './exit-code-for';

let env: ReturnType<typeof tempConfig>;
beforeEach(() => {
  env = tempConfig();
});
afterEach(() => {
  jest.restoreAllMocks();
  env.cleanup();
});
const opts = () => ({ config: env.loaded, log: memoryLogger() });
const auditLines = () => readFileSync(join(env.loaded.stateDir, 'audit', 'audit.jsonl'), 'utf8');

describe('executeSkill', () => {
  it('runs a skill and wraps its result into the envelope', async () => {
    const envelope = await executeSkill(ReadFixture, { limit: 2 }, opts());
    expect(envelope).toMatchObject({
      ok: true,
      skill: 'monitoring-fixture-read',
      status: 'ok',
      data: { nodes: [{ name: 'node1' }, { name: 'node2' }], pools: { total: 10, waiting: 2 }, cluster: 'test' },
      alerts: [],
      recommendations: [{ why: 'Scale the pools up', skill: 'cluster-scale', input: { direction: 'up' }, planned: true }],
    });
    expect(envelope.plan).toBeUndefined();
    expect(envelope.error).toBeUndefined();
    expect(envelope.auditId).toMatch(/^[0-9a-z]{18}$/);
    expect(typeof envelope.durationMs).toBe('number');
    expect(exitCodeFor(envelope)).toBe(0);
  });

  it.each([
    ['ok', 0],
    ['healthy', 0],
    ['degraded', 1],
    ['critical', 1],
  ] as const)('status %s gives exit code %i', async (report, code) => {
    const envelope = await executeSkill(ReadFixture, { report }, opts());
    expect(envelope.status).toBe(report);
    expect(envelope.ok).toBe(true);
    expect(exitCodeFor(envelope)).toBe(code);
  });

  it('rejects bad input naming each field and what it allows, and runs nothing', async () => {
    const run = jest.spyOn(ReadFixture, 'run');
    const envelope = await executeSkill(ReadFixture, { limit: 'ten', report: 'fine' }, opts());
    expect(envelope).toMatchObject({ ok: false, status: 'error', data: null, error: { code: 'INVALID_INPUT' } });
    expect(envelope.error?.message).toBe(
      '--limit (limit): must be a number, not a string; --report (report): must be one of ok, healthy, degraded, critical',
    );
    expect(envelope.error?.hint).toContain('Nothing was run');
    expect(run).not.toHaveBeenCalled();
    expect(exitCodeFor(envelope)).toBe(2);
    const out = await executeSkill(ReadFixture, { limit: 500 }, opts());
    expect(out.error?.message).toBe('--limit (limit): must be at most 100');
  });

  describe('confirmation gate', () => {
    it('refuses a skill that requires confirmation without --yes (exit 3), runs nothing, shows the plan', async () => {
      const run = jest.spyOn(DropTableFixture, 'run');
      const envelope = await executeSkill(DropTableFixture, { table: 'items' }, opts());
      expect(envelope).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED' } });
      expect(envelope.error?.hint).toContain('--yes');
      expect(envelope.plan).toEqual([{ kind: 'sql', target: 'postgresql://app:***@127.0.0.1:1/app', text: 'drop table if exists public."items"' }]);
      expect(run).not.toHaveBeenCalled();
      expect(exitCodeFor(envelope)).toBe(3);
    });

    it('runs it with yes, or with an approving policy', async () => {
      const run = jest.spyOn(DropTableFixture, 'run').mockResolvedValue({ data: { table: 'items', changed: true } });
      expect((await executeSkill(DropTableFixture, { table: 'items' }, { ...opts(), yes: true })).status).toBe('ok');
      const policy = jest.fn(() => true);
      expect((await executeSkill(DropTableFixture, { table: 'items' }, { ...opts(), policy })).status).toBe('ok');
      expect(policy).toHaveBeenCalledWith(expect.objectContaining({ name: 'maintenance-fixture-drop-table' }), { table: 'items' });
      expect(run).toHaveBeenCalledTimes(2);
    });

    it('refuses when the policy says no or fails', async () => {
      const run = jest.spyOn(DropTableFixture, 'run');
      expect((await executeSkill(DropTableFixture, { table: 'items' }, { ...opts(), policy: () => false })).status).toBe('refused');
      const failing = () => {
        throw new Error('policy store down');
      };
      expect((await executeSkill(DropTableFixture, { table: 'items' }, { ...opts(), policy: failing })).status).toBe('refused');
      expect(run).not.toHaveBeenCalled();
    });
  });

  it('dry-run returns the plan, needs no confirmation, never calls run, and is audited as a dry run', async () => {
    const run = jest.spyOn(DropTableFixture, 'run');
    const envelope = await executeSkill(DropTableFixture, { table: 'items' }, { ...opts(), dryRun: true });
    expect(envelope).toMatchObject({ ok: true, status: 'planned', data: null });
    expect(envelope.plan?.[0]?.text).toBe('drop table if exists public."items"');
    expect(run).not.toHaveBeenCalled();
    expect(exitCodeFor(envelope)).toBe(0);
    const record = new AuditLog({ stateDir: env.loaded.stateDir }).get(envelope.auditId!);
    expect(record).toMatchObject({ dryRun: true, outcome: { status: 'planned' }, skill: 'maintenance-fixture-drop-table' });
  });

  it('a skill without plan() gets a note for its dry run', async () => {
    const envelope = await executeSkill(ReadFixture, {}, { ...opts(), dryRun: true });
    expect(envelope.plan).toEqual([{ kind: 'note', target: 'test', text: 'monitoring-fixture-read only reads; it changes nothing' }]);
  });

  it('aborts a run that outlives its timeout with TIMEOUT and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const original = SlowFixture.run;
    jest.spyOn(SlowFixture, 'run').mockImplementation((ctx: SkillContext, input) => {
      signal = ctx.signal;
      return original.call(SlowFixture, ctx, input);
    });
    const envelope = await executeSkill(SlowFixture, { ms: 5_000 }, { ...opts(), timeoutMs: 50 });
    expect(envelope).toMatchObject({ status: 'error', error: { code: 'TIMEOUT', message: 'monitoring-fixture-slow did not finish within 50 ms' } });
    expect(signal?.aborted).toBe(true);
    expect(exitCodeFor(envelope)).toBe(2);
    expect((await executeSkill(SlowFixture, { ms: 1 }, { ...opts(), timeoutMs: 1_000 })).data).toEqual({ waited: 1 });
  });

  it("aborts with ABORTED when the caller's signal fires", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const envelope = await executeSkill(SlowFixture, { ms: 5_000 }, { ...opts(), signal: controller.signal });
    expect(envelope.error?.code).toBe('ABORTED');
  });

  it('treats data that breaks the output schema as an INTERNAL error', async () => {
    const envelope = await executeSkill(BrokenFixture, {}, opts());
    expect(envelope).toMatchObject({ status: 'error', data: null, error: { code: 'INTERNAL' } });
    expect(envelope.error?.message).toBe(
      'monitoring-fixture-broken returned data that breaks its output schema: data.count: must be a number, not a string',
    );
  });

  it('turns thrown errors into { code, message, hint } without a stack or a secret', async () => {
    const spy = jest.spyOn(ReadFixture, 'run');
    spy.mockRejectedValueOnce(new PgClusterError('UNREACHABLE', 'node1 refused', { hint: 'Start it.' }));
    expect((await executeSkill(ReadFixture, {}, opts())).error).toEqual({ code: 'UNREACHABLE', message: 'node1 refused', hint: 'Start it.' });

    spy.mockRejectedValueOnce(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }));
    expect((await executeSkill(ReadFixture, {}, opts())).error).toMatchObject({ code: 'QUERY_FAILED', message: 'monitoring-fixture-read: relation "x" does not exist' });

    spy.mockRejectedValueOnce(new TypeError('cannot reach postgresql://app:hunter2@db/app'));
    const envelope = await executeSkill(ReadFixture, {}, opts());
    expect(envelope.error).toMatchObject({ code: 'INTERNAL', message: 'monitoring-fixture-read failed: cannot reach postgresql://app:***@db/app' });
    expect(JSON.stringify(envelope)).not.toMatch(/hunter2|at .*\.ts:\d+/);

    spy.mockResolvedValueOnce({ nodes: [] } as never); // plain data instead of a SkillResult
    expect((await executeSkill(ReadFixture, {}, opts())).error?.message).toBe('monitoring-fixture-read returned no { data }: run must return a SkillResult');
  });

  it('reports a missing config as an error with the loader hint (exit 2)', async () => {
    const envelope = await executeSkill(ReadFixture, {}, { loadConfig: { cwd: env.dir, env: {} }, log: memoryLogger() });
    expect(envelope).toMatchObject({ status: 'error', error: { code: 'CONFIG_NOT_FOUND' } });
    expect(envelope.error?.hint).toContain('pgcluster dev up');
    expect(envelope.auditId).toBeUndefined();
    expect(exitCodeFor(envelope)).toBe(2);
  });

  it('loads the config only after validating the input', async () => {
    const envelope = await executeSkill(ReadFixture, { limit: 'x' }, { loadConfig: { cwd: env.dir, env: {} }, log: memoryLogger() });
    expect(envelope.error?.code).toBe('INVALID_INPUT');
  });

  it('returns an INTERNAL error envelope for a class that is not a skill', async () => {
    class NotASkill {
      static async run() {
        return { data: 1 };
      }
    }
    const envelope = await executeSkill(NotASkill, {}, opts());
    expect(envelope).toMatchObject({ skill: 'NotASkill', status: 'error', error: { code: 'INTERNAL' } });
  });

  it('audits every run with the input redacted: no password, no URL password', async () => {
    const input = { password: 'pa55-word-secret', url: 'postgresql://admin:url-s3cret@db.internal:5432/app' };
    const envelope = await executeSkill(ReadFixture, input, { ...opts(), actor: 'agent' });
    await executeSkill(ReadFixture, { ...input, limit: 'bad' }, opts()); // bad input is audited too
    const text = auditLines();
    expect(text).not.toContain('pa55-word-secret');
    expect(text).not.toContain('url-s3cret');
    expect(text).not.toContain('n0de-s3cret');
    const [first, second] = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      id: envelope.auditId,
      skill: 'monitoring-fixture-read',
      actor: 'agent',
      dryRun: false,
      input: { limit: 2, report: 'ok', password: '***', url: 'postgresql://admin:***@db.internal:5432/app' },
      outcome: { status: 'ok' },
    });
    expect(second).toMatchObject({ actor: 'library', outcome: { status: 'error', errorCode: 'INVALID_INPUT' } });
  });

  it('records the rollback in the envelope and the audit record', async () => {
    const rollback = { skill: 'maintenance-fixture-drop-table', input: { table: 't' }, why: 'drop t' };
    jest.spyOn(ReadFixture, 'run').mockResolvedValueOnce({ data: { nodes: [], pools: { total: 0, waiting: 0 }, cluster: 'x' }, rollback });
    const envelope = await executeSkill(ReadFixture, {}, opts());
    expect(envelope.rollback).toEqual(rollback);
    expect(JSON.parse(auditLines().trim()).rollback).toEqual(rollback);
  });

  it('audits nowhere with audit: false, and to the given AuditLog otherwise', async () => {
    expect((await executeSkill(ReadFixture, {}, { ...opts(), audit: false })).auditId).toBeUndefined();
    const audit = new AuditLog({ stateDir: join(env.dir, 'elsewhere') });
    const envelope = await executeSkill(ReadFixture, {}, { ...opts(), audit });
    expect(audit.get(envelope.auditId!)?.skill).toBe('monitoring-fixture-read');
  });

  it('returns exactly the declared output: undeclared fields are stripped', async () => {
    class Leaky {
      @Skill({
        name: 'monitoring-leaky',
        category: 'monitoring',
        description: 'Returns more than it declares.',
        version: '1.0.0',
        risk: 'read',
        autonomous: true,
        requiresConfirmation: false,
        idempotent: true,
        whenToUse: [],
        interpret: '',
        decisionTree: [],
        examples: [],
        input: z.object({}),
        output: z.object({ count: z.number() }),
      })
      static async run() {
        return { data: Object.assign({ count: 1 }, { internalNote: 'not in the schema' }) };
      }
    }
    const envelope = await executeSkill(Leaky, {}, opts());
    expect(envelope.status).toBe('ok');
    expect(envelope.data).toEqual({ count: 1 });
  });

  it('passes actor, signal, config and log to the skill', async () => {
    const seen: SkillContext[] = [];
    const Probe = skillRunning('maintenance-probe', async (ctx) => {
      seen.push(ctx);
      ctx.log.info('hello');
      return { data: null };
    });
    const log = memoryLogger();
    await executeSkill(Probe, undefined, { config: env.loaded, log, actor: 'mcp' });
    expect(seen[0]).toMatchObject({ actor: 'mcp', loaded: env.loaded, log });
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(log.lines).toContain('info: hello');
  });
});

/** A write skill whose run is `body`. */
function skillRunning(name: string, body: (ctx: SkillContext) => Promise<{ data: null; undoes?: string }>) {
  class Probe {
    @Skill({
      name,
      category: 'maintenance',
      description: 'Probes.',
      version: '1.0.0',
      risk: 'write',
      autonomous: true,
      requiresConfirmation: false,
      idempotent: true,
      whenToUse: [],
      interpret: '',
      decisionTree: [],
      examples: [],
      input: z.object({}),
      output: z.null(),
    })
    static run(ctx: SkillContext) {
      return body(ctx);
    }
  }
  return Probe;
}

describe('executeSkill: stopping a run', () => {
  it('stops waiting for a run that ignores its signal after stopWithinMs, and says so', async () => {
    const Stubborn = skillRunning('maintenance-stubborn', () => new Promise((resolve) => setTimeout(() => resolve({ data: null }), 2_000)));
    const envelope = await executeSkill(Stubborn, {}, { ...opts(), timeoutMs: 20, stopWithinMs: 50 });
    expect(envelope).toMatchObject({ status: 'error', error: { code: 'TIMEOUT' } });
    expect(envelope.alerts.join('\n')).toContain('the run did not stop within 50 ms of the cancel');
  });

  it('reports how a run stopped when it honours its signal', async () => {
    const Polite = skillRunning(
      'maintenance-polite',
      (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new PgClusterError('ABORTED', 'cleaned up: the half-made table was dropped')))),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const envelope = await executeSkill(Polite, {}, { ...opts(), signal: controller.signal });
    expect(envelope).toMatchObject({ status: 'error', error: { code: 'ABORTED', message: 'maintenance-polite was cancelled by the caller' } });
    expect(envelope.alerts).toContain('the run stopped: cleaned up: the half-made table was dropped');
  });

  it('returns the result of a run that finished before it could be stopped', async () => {
    const Quick = skillRunning('maintenance-quick', () => new Promise((resolve) => setTimeout(() => resolve({ data: null }), 60)));
    const envelope = await executeSkill(Quick, {}, { ...opts(), timeoutMs: 20, stopWithinMs: 5_000 });
    expect(envelope).toMatchObject({ ok: true, status: 'ok' });
  });
});

describe('executeSkill: confirmation and undo links', () => {
  it('a skill refusing a step for want of --yes is refused (exit 3); ctx.confirmed is --yes', async () => {
    const seen: (boolean | undefined)[] = [];
    const Careful = skillRunning('maintenance-careful', async (ctx) => {
      seen.push(ctx.confirmed);
      if (!ctx.confirmed) throw new RefusedError('deleting the only sound copy needs --yes; nothing was deleted');
      return { data: null };
    });
    const refused = await executeSkill(Careful, {}, opts());
    expect(refused).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED' } });
    expect(exitCodeFor(refused)).toBe(3);
    expect((await executeSkill(Careful, {}, { ...opts(), yes: true })).ok).toBe(true);
    expect(seen).toEqual([false, true]);
  });

  it('gives the run its audit id up front, and records the run a skill says it undid as undoOf', async () => {
    let runId: string | undefined;
    const Undoer = skillRunning('maintenance-undoer', async (ctx) => {
      runId = ctx.runId;
      return { data: null, undoes: '01jz3q5t7w4k2m9xyz' };
    });
    const envelope = await executeSkill(Undoer, {}, opts());
    expect(envelope.auditId).toBe(runId);
    expect(new AuditLog({ stateDir: env.loaded.stateDir }).get(runId!)).toMatchObject({ undoOf: '01jz3q5t7w4k2m9xyz' });
  });

  it("records the skill's outcome summary in the audit record, bounded and redacted, and not in the envelope", async () => {
    const Summarising = skillRunning('maintenance-summarising', async () => ({
      data: null,
      outcome: { kept: 2, reverted: 1, keptIndexes: 'public.a_idx, public.b_idx', source: 'postgresql://u:pw@h/d', note: 'x'.repeat(400), 'bad key': 1 },
    }));
    const envelope = await executeSkill(Summarising, {}, opts());
    expect(envelope).not.toHaveProperty('outcome');
    const record = new AuditLog({ stateDir: env.loaded.stateDir }).get(envelope.auditId!);
    expect(record?.outcome).toEqual({
      status: 'ok',
      summary: { kept: 2, reverted: 1, keptIndexes: 'public.a_idx, public.b_idx', source: expect.not.stringContaining('pw'), note: `${'x'.repeat(299)}…` },
    });
    expect(auditLines()).not.toContain(':pw@');
  });
});

describe('executeSkill: the least-privilege reader', () => {
  const READER = { user: 'pgcluster_reader', password: 'r3ader-s3cret-0123456789abcdef' };
  const withReader = () => ({ ...env.loaded, config: { ...env.loaded.config, reader: READER } });
  const loginOf = (ctx: SkillContext) => decodeURIComponent(new URL(ctx.loaded.config.nodes![0]!.url).username);

  it('connects a read skill as the reader (saying so at debug) and a write skill as the configured login', async () => {
    const read = jest.spyOn(ReadFixture, 'run');
    const log = memoryLogger();
    expect((await executeSkill(ReadFixture, {}, { config: withReader(), log })).ok).toBe(true);
    const ctx = read.mock.calls[0]![0];
    expect(loginOf(ctx)).toBe('pgcluster_reader');
    expect(decodeURIComponent(new URL(ctx.loaded.config.nodes![0]!.url).password)).toBe(READER.password);
    expect(ctx.loaded.configured?.nodes![0]!.url).toBe(env.loaded.config.nodes![0]!.url);
    expect(log.lines).toContain('debug: monitoring-fixture-read only reads: it connects as the least-privilege role pgcluster_reader');
    expect(log.lines.join('\n')).not.toContain(READER.password);

    const plan = jest.spyOn(CreateTableFixture, 'plan');
    expect((await executeSkill(CreateTableFixture, { table: 'x' }, { config: withReader(), dryRun: true, log: memoryLogger() })).status).toBe('planned');
    expect(loginOf(plan.mock.calls[0]![0])).toBe('app');
  });

  it('without a reader: prefer falls back (said at debug), require refuses (exit 3) and runs nothing; never keeps the configured login', async () => {
    const read = jest.spyOn(ReadFixture, 'run');
    const log = memoryLogger();
    expect((await executeSkill(ReadFixture, {}, { config: env.loaded, log })).ok).toBe(true);
    expect(loginOf(read.mock.calls[0]![0])).toBe('app');
    expect(log.lines.some((l) => l.startsWith('debug: ') && l.includes('names no least-privilege reader'))).toBe(true);

    const refused = await executeSkill(ReadFixture, {}, { config: env.loaded, reader: 'require', log: memoryLogger() });
    expect(refused).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED' } });
    expect(exitCodeFor(refused)).toBe(3);
    expect(read).toHaveBeenCalledTimes(1);

    expect((await executeSkill(ReadFixture, {}, { config: withReader(), reader: 'never', log: memoryLogger() })).ok).toBe(true);
    expect(loginOf(read.mock.calls[1]![0])).toBe('app');
  });
});
