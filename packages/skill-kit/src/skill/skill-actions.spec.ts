import { z } from 'zod';
import { SessionsFixture, SessionsFixtureInput, type ActionCounts } from '../../test/fixtures/action-fixture';
import { memoryLogger, tempConfig } from '../../test/fixtures/temp-config';
import { executeSkill, type ExecuteOptions } from '../executor/execute-skill';
import { exitCodeFor } from '../executor/exit-code-for';
import { createRunResources } from '../executor/run-resources';
import { referenceInputProblems } from '../executor/check-recommendations';
import { actionInput, actionSchemasOf, parseActionInput } from './action-input';
import { actionSafety, getSkillMeta, Skill } from './skill';
import type { SkillActions } from './skill-actions';

let env: ReturnType<typeof tempConfig>;
let counts: ActionCounts;
beforeEach(() => {
  env = tempConfig();
  counts = { plans: 0, opens: 0, closes: 0, runs: [] };
});
afterEach(() => env.cleanup());
const opts = (extra: ExecuteOptions = {}): ExecuteOptions => ({ config: env.loaded, log: memoryLogger(), services: { counts }, ...extra });

describe('actionInput', () => {
  it('keeps a field required in the flat schema when every action requires it, optional otherwise', () => {
    const Role = { role: z.string().describe('The role.') };
    const input = actionInput({ rotate: z.object({ ...Role, grace: z.number().default(1) }), undo: z.object({ ...Role, backup: z.string() }) }, { default: 'rotate' });
    const json = z.toJSONSchema(input, { io: 'input' }) as { required: string[] };
    expect(json.required).toEqual(['role']);
    expect(referenceInputProblems(input, { action: 'undo' })).toEqual(['--role (role): is required']);
    expect(referenceInputProblems(input, { action: 'undo', role: 'app' })).toEqual(['--backup (backup): is required for action undo']);
    expect(referenceInputProblems(input, { action: 'undo', role: 'app', backup: '/b.json' })).toEqual([]);
  });

  it('is a flat z.object whose JSON Schema has the action enum, every field once, and the defaults', () => {
    const json = z.toJSONSchema(SessionsFixtureInput, { io: 'input' }) as { type: string; required: string[]; properties: Record<string, Record<string, unknown>> };
    expect(json.type).toBe('object');
    expect(json.required).toEqual(['action']);
    expect(json.properties['action']).toMatchObject({ enum: ['list', 'vacuum', 'terminate'], description: 'list sessions | vacuum a table | terminate a session.' });
    expect(Object.keys(json.properties)).toEqual(['action', 'limit', 'table', 'full', 'pid', 'reason']);
    expect(json.properties['limit']).toMatchObject({ type: 'integer', default: 5, description: 'list: at most this many.' });
    expect(Object.keys(actionSchemasOf(SessionsFixtureInput) ?? {})).toEqual(['list', 'vacuum', 'terminate']);
    expect(actionSchemasOf(z.object({}))).toBeUndefined();
  });

  it('names the flag, the field and the action: required fields, fields of other actions, unknown actions', () => {
    expect(referenceInputProblems(SessionsFixtureInput, { action: 'terminate' })).toEqual(['--pid (pid): is required for action terminate']);
    expect(referenceInputProblems(SessionsFixtureInput, { action: 'list', table: 'a' })).toEqual(['--table (table): is not a field of action list (it belongs to vacuum)']);
    expect(referenceInputProblems(SessionsFixtureInput, { action: 'vacuum', table: 'Bad-Name' })[0]).toMatch(/^--table \(table\): /);
    expect(referenceInputProblems(SessionsFixtureInput, { action: 'kill' })).toEqual(['--action (action): must be one of list, vacuum, terminate']);
    expect(referenceInputProblems(SessionsFixtureInput, { action: 'list', limt: 2 })).toEqual(['--limt (limt): unknown field; did you mean --limit (limit)?']);
    expect(referenceInputProblems(SessionsFixtureInput, { action: 'vacuum', table: 'items' })).toEqual([]);
  });

  it('says a failing field check once, and the action\'s own rules on that field as well', () => {
    const input = actionInput({ a: z.object({ x: z.string().regex(/^x/, 'must start with x').optional(), y: z.string().optional() }).superRefine((v, ctx) => {
      if (v.x !== undefined && v.y !== undefined) ctx.addIssue({ code: 'custom', path: ['x'], message: 'give x or y' });
    }) });
    expect(referenceInputProblems(input, { action: 'a', x: 'bad' })).toEqual(['--x (x): must start with x']);
    expect(referenceInputProblems(input, { action: 'a', x: 'bad', y: 'y' })).toEqual(['--x (x): must start with x', '--x (x): give x or y']);
  });

  it('parses with the action\'s own schema: its defaults applied, nothing of the other actions', () => {
    expect(parseActionInput(SessionsFixtureInput, { action: 'vacuum', table: 'items' })).toEqual({ action: 'vacuum', table: 'items', full: false });
    expect(parseActionInput(SessionsFixtureInput, { action: 'list' })).toEqual({ action: 'list', limit: 5 });
  });

  it('says which actions take a field that not all take', () => {
    const input = actionInput({ a: z.object({ x: z.string().describe('The x.') }), b: z.object({ x: z.string().describe('The x.') }), c: z.object({}) });
    expect(z.toJSONSchema(input, { io: 'input' })).toMatchObject({ properties: { x: { description: 'every action but c: the x.' } } });
  });

  it('describes a field two actions describe differently with both texts', () => {
    const input = actionInput({ a: z.object({ x: z.string().describe('For a.') }), b: z.object({ x: z.string().describe('For b.') }), c: z.object({ x: z.string().describe('For a.') }), d: z.object({ y: z.string().describe('Y.') }), e: z.object({ x: z.string().describe('For a.') }) });
    expect(z.toJSONSchema(input, { io: 'input' })).toMatchObject({ properties: { x: { description: 'a/c/e: for a; b: for b.' }, y: { description: 'd: Y.' }, action: { description: 'One of a, b, c, d, e.' } } });
  });
});

describe('@Skill on static actions', () => {
  it('gives each action its safety: its own where declared, the skill\'s otherwise', () => {
    expect(actionSafety(getSkillMeta(SessionsFixture), SessionsFixture.actions)).toEqual([
      { action: 'list', risk: 'read', requiresConfirmation: false, autonomous: true },
      { action: 'vacuum', risk: 'write', requiresConfirmation: false, autonomous: true },
      { action: 'terminate', risk: 'destructive', requiresConfirmation: true, autonomous: false },
    ]);
  });

  it('refuses a table that misses an action, or a destructive action without confirmation', () => {
    const Input = actionInput({ a: z.object({}), b: z.object({}) });
    const meta = { name: 'maintenance-bad', category: 'maintenance', description: 'x', version: '1.0.0', risk: 'destructive', autonomous: false, requiresConfirmation: false, idempotent: true, whenToUse: [], interpret: '', decisionTree: [], examples: [], input: Input, output: z.object({}) } as const;
    const run = async () => ({ data: {} });
    expect(() => {
      class Missing {
        @Skill(meta) static readonly actions = { a: { run } } as unknown as SkillActions<typeof Input, Record<string, never>>;
      }
      return Missing;
    }).toThrow('action b has no run');
    expect(() => {
      class Unconfirmed {
        @Skill(meta) static readonly actions: SkillActions<typeof Input, Record<string, never>> = { a: { run }, b: { risk: 'destructive', run } };
      }
      return Unconfirmed;
    }).toThrow('action b is destructive, so it must set requiresConfirmation: true');
  });
});

describe('executeSkill dispatching by action', () => {
  it('runs the action with its own input and never builds the plan of a read run', async () => {
    const envelope = await executeSkill(SessionsFixture, { action: 'list' }, opts());
    expect(envelope).toMatchObject({ ok: true, status: 'ok', data: { action: 'list', rows: 5 } });
    expect(envelope.plan).toBeUndefined();
    expect(counts).toMatchObject({ plans: 0, runs: ['list:5'] });
  });

  it('builds the plan once for a dry run, once for a write, and once for a refusal', async () => {
    const dry = await executeSkill(SessionsFixture, { action: 'vacuum', table: 'items', full: true }, opts({ dryRun: true }));
    expect(dry).toMatchObject({ status: 'planned', plan: [{ kind: 'sql', text: 'VACUUM FULL items' }] });
    expect(counts.plans).toBe(1);
    await executeSkill(SessionsFixture, { action: 'vacuum', table: 'items' }, opts());
    expect(counts.plans).toBe(2);
    await executeSkill(SessionsFixture, { action: 'terminate', pid: 42 }, opts());
    expect(counts).toMatchObject({ plans: 3, runs: ['vacuum:items:false'] });
  });

  it('gates only the action that requires confirmation: refused (exit 3) with its plan, run with --yes', async () => {
    const refused = await executeSkill(SessionsFixture, { action: 'terminate', pid: 42 }, opts());
    expect(refused).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED' }, plan: [{ text: 'SELECT pg_terminate_backend(42)' }] });
    expect(refused.error?.message).toBe('maintenance-fixture-sessions --action terminate is a destructive action and requires confirmation; nothing was run');
    expect(exitCodeFor(refused)).toBe(3);
    expect(counts.runs).toEqual([]);
    const confirmed = await executeSkill(SessionsFixture, { action: 'terminate', pid: 42 }, opts({ yes: true }));
    expect(confirmed).toMatchObject({ ok: true, data: { action: 'terminate', rows: 1 } });
    expect(counts.runs).toEqual(['terminate:42:confirmed']);
  });

  it('lets an approving policy confirm an action, judging the action\'s own safety', async () => {
    const seen: unknown[] = [];
    const policy = (meta: { risk: string; autonomous: boolean; requiresConfirmation: boolean }) => {
      seen.push({ risk: meta.risk, autonomous: meta.autonomous, requiresConfirmation: meta.requiresConfirmation });
      return true;
    };
    const envelope = await executeSkill(SessionsFixture, { action: 'terminate', pid: 7 }, opts({ policy, actor: 'agent' }));
    expect(envelope.status).toBe('ok');
    expect(seen).toEqual([{ risk: 'destructive', autonomous: false, requiresConfirmation: true }]);
    // The run knows it was confirmed, as with --yes.
    expect(counts.runs).toEqual(['terminate:7:confirmed']);
  });

  it('rejects bad input per action naming the flag, the field and the action, and runs nothing', async () => {
    const envelope = await executeSkill(SessionsFixture, { action: 'terminate', table: 'items' }, opts());
    expect(envelope).toMatchObject({ status: 'error', error: { code: 'INVALID_INPUT' } });
    expect(envelope.error?.message).toBe('--table (table): is not a field of action terminate (it belongs to vacuum); --pid (pid): is required for action terminate');
    expect(counts).toMatchObject({ plans: 0, runs: [] });
  });

  it('audits the run with the action\'s risk', async () => {
    const records: { risk?: string }[] = [];
    const audit = { connect: () => undefined, append: async (r: { risk?: string }) => (records.push(r), { id: 'x', ...r }) };
    await executeSkill(SessionsFixture, { action: 'list' }, opts({ audit: audit as never }));
    await executeSkill(SessionsFixture, { action: 'vacuum', table: 't' }, opts({ audit: audit as never }));
    expect(records.map((r) => r.risk)).toEqual(['read', 'write']);
  });
  it("runs an action with its own default timeout when the caller gives none, the caller's otherwise", async () => {
    const Input = actionInput({ copy: z.object({ ms: z.number() }), peek: z.object({ ms: z.number() }) });
    const wait = async (ctx: { signal?: AbortSignal }, ms: number) => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal?.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal!.reason)), { once: true });
      });
      return { data: { waited: ms } };
    };
    class Timed {
      @Skill({ name: 'cluster-fixture-timed', category: 'operations', description: 'Waits.', version: '1.0.0', risk: 'read', autonomous: true, requiresConfirmation: false, idempotent: true, whenToUse: ['tests'], interpret: 'waited', decisionTree: [], examples: [], input: Input, output: z.object({ waited: z.number() }) })
      static readonly actions: SkillActions<typeof Input, { waited: number }> = {
        copy: { timeoutMs: 80, run: (ctx, input) => wait(ctx, input.ms) },
        peek: { run: (ctx, input) => wait(ctx, input.ms) },
      };
    }
    expect(actionSafety(getSkillMeta(Timed), Timed.actions)[0]).toMatchObject({ action: 'copy', timeoutMs: 80 });
    expect(await executeSkill(Timed, { action: 'copy', ms: 2_000 }, opts())).toMatchObject({ error: { code: 'TIMEOUT', message: 'cluster-fixture-timed did not finish within 80 ms' } });
    expect((await executeSkill(Timed, { action: 'copy', ms: 150 }, opts({ timeoutMs: 5_000 }))).data).toEqual({ waited: 150 });
    expect((await executeSkill(Timed, { action: 'peek', ms: 150 }, opts())).data).toEqual({ waited: 150 });
  });
});

describe('createRunResources', () => {
  it('opens a resource once per run and closes it once, the last opened first', async () => {
    const log = memoryLogger();
    const resources = createRunResources({ cluster: () => env.loaded.config, log });
    const order: string[] = [];
    const open = (name: string) => resources.use(name, async () => (order.push(`open ${name}`), name), (v) => void order.push(`close ${v}`));
    expect(await Promise.all([open('a'), open('a'), open('b')])).toEqual(['a', 'a', 'b']);
    await resources.dispose();
    expect(order).toEqual(['open a', 'open b', 'close b', 'close a']);
  });

  it('shares one resolution of the topology between callers', async () => {
    let resolutions = 0;
    const topology = { kind: 'counting', resolve: async () => (resolutions++, { primary: undefined, members: [], resolvedAt: new Date(), problems: [] }) };
    const resources = createRunResources({ cluster: () => env.loaded.config, topology, log: memoryLogger() });
    await Promise.all([resources.topology.resolve(), resources.topology.resolve()]);
    await resources.topology.resolve();
    expect(resolutions).toBe(1);
    await resources.dispose();
  });
});
