/**
 * The shipped workflows against a real cluster: a dry run plans every step and changes nothing;
 * safe-maintenance really clears a table's dead rows; a failing step stops the chain and offers
 * the completed steps' rollbacks newest first; conditions skip steps; a step that needs
 * confirmation refuses the whole run without `yes`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, withClient } from '@pgcluster/core';
import { MaintenanceAnalyzeSkill, MaintenanceOptimizeSkill, MaintenanceSessionsSkill, MaintenanceVacuumSkill } from '@pgcluster/maintenance';
import { MonitoringHealthSkill, MonitoringPerformanceSkill } from '@pgcluster/monitoring';
import { ClusterBackupSkill, ClusterStatusSkill } from '@pgcluster/operations';
import { SecurityAuditSkill, SecurityRotateSkill } from '@pgcluster/security';
import { AuditLog, defineWorkflow, executeSkill, referenceCommand, runWorkflow, undoAudit, type AuditRecord, type RunWorkflowOptions, type SkillClass, type WorkflowStepOutcome } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import type pg from 'pg';
import { ROTATE_AND_VERIFY, SAFE_MAINTENANCE, SLOW_DATABASE, WORKFLOWS } from '../src';

const SKILLS: Record<string, SkillClass> = {
  'cluster-status': ClusterStatusSkill,
  'cluster-backup': ClusterBackupSkill,
  'monitoring-health': MonitoringHealthSkill,
  'monitoring-performance': MonitoringPerformanceSkill,
  'maintenance-vacuum': MaintenanceVacuumSkill,
  'maintenance-analyze': MaintenanceAnalyzeSkill,
  'maintenance-optimize': MaintenanceOptimizeSkill,
  'maintenance-sessions': MaintenanceSessionsSkill,
  'security-rotate': SecurityRotateSkill,
  'security-audit': SecurityAuditSkill,
} as Record<string, SkillClass>;

const cluster = useCluster({ replicas: 0, fast: true });
let dir: string;
const sql = async <T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> =>
  withClient({ url: cluster().url() }, 'test query', async (c) => (await c.query<T>(text, values)).rows);
const deadRows = async (table: string) => (await sql<{ n: number }>('select n_dead_tup::int as n from pg_stat_user_tables where relname = $1', [table]))[0]?.n ?? 0;
const options = (extra: Partial<RunWorkflowOptions> = {}): RunWorkflowOptions => ({
  actor: 'library',
  loadConfig: { cwd: dir, env: {} },
  resolveSkill: (name) => SKILLS[name],
  timeoutMs: 120_000,
  ...extra,
});
/** The audit record of a workflow run, read back from the state dir's audit file. */
const auditRecord = (id: string | undefined): AuditRecord | undefined => (id ? AuditLog.fromConfig(loadConfig({ cwd: dir, env: {} })).get(id) : undefined);
const byName = (steps: readonly WorkflowStepOutcome[]) => Object.fromEntries(steps.map((s) => [s.name, s.status]));
const loginUser = () => new URL(cluster().url()).username;
const databaseName = () => new URL(cluster().url()).pathname.slice(1);
/** The values of a workflow's parameters on the test cluster. */
const paramsOf = (workflow: { params?: Record<string, unknown> }) =>
  Object.fromEntries(Object.keys(workflow.params ?? {}).map((name) => [name, name === 'role' ? loginUser() : databaseName()]));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgcluster-workflows-'));
});
// Each test may get its own database (useCluster's fast mode): the config points at it.
beforeEach(() => {
  const nodes = cluster().nodes.map((n) => ({ name: n.name, url: n.url(), ...(n.dataDir ? { dataDir: n.dataDir } : {}) }));
  writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'wf', nodes }), { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function churn(table: string): Promise<void> {
  await sql(`create table public.${table} (id int primary key, payload text) with (autovacuum_enabled = off)`);
  await sql(`insert into public.${table} select i, repeat('x', 100) from generate_series(1, 20000) i`);
  await sql(`delete from public.${table} where id % 2 = 0`);
}

describe('workflows on a real cluster', () => {
  test('a dry run of each workflow plans every step and changes nothing', async () => {
    await churn('dry_churn');
    const roles = async () => sql<{ rolname: string; pw: string | null }>('select rolname, rolpassword as pw from pg_authid order by rolname');
    const before = { dead: await deadRows('dry_churn'), roles: await roles(), config: readFileSync(join(dir, 'pgcluster.config.json'), 'utf8') };
    expect(before.dead).toBeGreaterThanOrEqual(10_000);
    for (const workflow of Object.values(WORKFLOWS)) {
      const result = await runWorkflow(workflow, options({ dryRun: true, params: paramsOf(workflow) }));
      expect({ workflow: workflow.name, status: result.status, error: result.error }).toEqual({ workflow: workflow.name, status: 'planned', error: undefined });
      expect(result.steps.map((s) => s.status)).toEqual(workflow.steps.map(() => 'planned'));
      for (const step of result.steps) {
        expect(step.envelope).toMatchObject({ ok: true, status: 'planned', skill: step.skill });
        expect(step.envelope!.plan!.length).toBeGreaterThan(0);
        if (step.when) expect(step.reason).toContain(step.when);
      }
    }
    // The rotation was planned for the login in the config: its `<role>` was filled in.
    const rotate = (await runWorkflow(ROTATE_AND_VERIFY, options({ dryRun: true, params: { role: loginUser() } }))).steps[0]!;
    expect(rotate.input).toEqual({ role: loginUser() });
    expect({ dead: await deadRows('dry_churn'), roles: await roles(), config: readFileSync(join(dir, 'pgcluster.config.json'), 'utf8') }).toEqual(before);
    const catalogue = await executeSkill(ClusterBackupSkill, { action: 'list' }, { actor: 'library', loadConfig: { cwd: dir, env: {} }, audit: false });
    expect(catalogue.data).toMatchObject({ count: 0 });
    await sql('drop table public.dry_churn');
  });

  test('safe-maintenance really runs on a table with dead rows and ends with them gone', async () => {
    await churn('churn');
    expect(await deadRows('churn')).toBeGreaterThanOrEqual(10_000);
    const result = await runWorkflow(SAFE_MAINTENANCE, options({ params: paramsOf(SAFE_MAINTENANCE) }));
    expect({ status: result.status, error: result.error }).toEqual({ status: 'ok', error: undefined });
    // vacuum ran (dead rows found), so the separate analyze was skipped by its condition.
    expect(byName(result.steps)).toEqual({ status: 'ran', health: 'ran', backup: 'ran', vacuum: 'ran', analyze: 'skipped', 'status-after': 'ran' });
    const health = result.steps.find((s) => s.name === 'health')!.envelope!.data as { findings: { check: string; object: string }[] };
    expect(health.findings).toContainEqual(expect.objectContaining({ check: 'dead_tuples', object: 'public.churn' }));
    expect(result.steps.every((s) => s.status === 'skipped' || s.envelope?.auditId)).toBe(true);
    expect(await deadRows('churn')).toBeLessThan(100);
    expect(result.rollbacks).toEqual([]);
    // The run's own audit record: actor, params, outcome, its steps' audit ids, the skipped step; in the file and the table.
    expect(auditRecord(result.auditId)).toMatchObject({
      skill: 'workflow safe-maintenance',
      risk: 'write',
      actor: 'library',
      input: { database: databaseName() },
      dryRun: false,
      outcome: { status: 'ok', summary: { steps: 6, ran: 5 } },
      workflow: {
        steps: result.steps.map((s) => ({ name: s.name, skill: s.skill, status: s.status, ...(s.envelope?.auditId ? { auditId: s.envelope.auditId } : {}) })),
        skipped: ['analyze'],
        rollbacks: [],
      },
    });
    expect(auditRecord(result.auditId)!.workflow!.steps.filter((s) => s.auditId)).toHaveLength(5);
    expect(await sql('select skill, actor, status from pgcluster.audit_log where id = $1', [result.auditId])).toEqual([{ skill: 'workflow safe-maintenance', actor: 'library', status: 'ok' }]);
    const catalogue = await executeSkill(ClusterBackupSkill, { action: 'list' }, { actor: 'library', loadConfig: { cwd: dir, env: {} }, audit: false });
    expect(catalogue.data).toMatchObject({ count: 1 });
  }, 300_000);

  test('conditions skip steps: a clean database gets no backup, vacuum or analyze', async () => {
    const result = await runWorkflow(SAFE_MAINTENANCE, options({ params: paramsOf(SAFE_MAINTENANCE) }));
    expect(result.status).toBe('ok');
    const findings = (result.steps.find((s) => s.name === 'health')!.envelope!.data as { findings: unknown[] }).findings;
    expect(findings).toEqual([]);
    expect(byName(result.steps)).toEqual({ status: 'ran', health: 'ran', backup: 'skipped', vacuum: 'skipped', analyze: 'skipped', 'status-after': 'ran' });
    expect(result.steps.find((s) => s.name === 'backup')!.reason).toBe('its condition does not hold: steps.health.data.findings');
  }, 300_000);

  test('a failing step stops the chain and offers the completed steps\u2019 rollbacks, newest first', async () => {
    // Qualified: the audit log's schema (named like the login) comes first on the search_path once it exists.
    await sql('create table public.tuned (id int primary key, sku text)');
    const failing = defineWorkflow({
      name: 'failing-chain',
      description: 'A test chain whose third step fails.',
      steps: [
        { name: 'target', skill: 'maintenance-analyze', input: { table: 'public.tuned', column: 'sku', statisticsTarget: 500 } },
        { name: 'tune', skill: 'maintenance-vacuum', input: { table: 'public.tuned', autovacuumSettings: { autovacuum_vacuum_scale_factor: 0.05 } } },
        { name: 'broken', skill: 'maintenance-vacuum', input: { table: 'public.no_such_table' } },
        { name: 'never', skill: 'cluster-status', input: {} },
      ],
    });
    const result = await runWorkflow(failing, options());
    expect(result).toMatchObject({ status: 'failed', ok: false, failedStep: 'broken' });
    expect(byName(result.steps)).toEqual({ target: 'ran', tune: 'ran', broken: 'failed', never: 'not-run' });
    expect(result.rollbacks.map((r) => [r.step, r.skill])).toEqual([
      ['tune', 'maintenance-vacuum'],
      ['target', 'maintenance-analyze'],
    ]);
    expect(result.rollbacks[1]!.input).toMatchObject({ table: 'public.tuned', column: 'sku', statisticsTarget: -1 });
    expect(result.rollbacks.every((r) => r.auditId)).toBe(true);
    expect(auditRecord(result.auditId)).toMatchObject({
      skill: 'workflow failing-chain',
      outcome: { status: 'error', errorCode: expect.any(String), summary: { failedStep: 'broken', ran: 2 } },
      workflow: { skipped: [], rollbacks: result.rollbacks.map((r) => ({ step: r.step, skill: r.skill, auditId: r.auditId })) },
    });
    // `audit undo` of the workflow's record names its steps' undos, newest first, and runs nothing.
    const undoWhole = await undoAudit(result.auditId!, options());
    expect(undoWhole.error).toMatchObject({ code: 'NOT_SUPPORTED' });
    expect(undoWhole.error!.hint).toContain(`pgcluster audit undo ${result.rollbacks[0]!.auditId} (tune), then pgcluster audit undo ${result.rollbacks[1]!.auditId} (target)`);
    // The offered rollbacks are runnable: run them in order and the table is as before.
    expect(referenceCommand(result.rollbacks[1]!)).toMatch(/^pgcluster maintenance-analyze --table public.tuned --column sku --statistics-target -1/);
    const undo = defineWorkflow({ name: 'undo', description: 'The offered rollbacks.', steps: result.rollbacks.map((r) => ({ name: `undo-${r.step}`, skill: r.skill, input: r.input })) });
    expect((await runWorkflow(undo, options())).status).toBe('ok');
    const [row] = await sql<{ target: number; options: string[] | null }>(
      "select a.attstattarget as target, c.reloptions as options from pg_attribute a join pg_class c on c.oid = a.attrelid where c.relname = 'tuned' and a.attname = 'sku'",
    );
    expect(row!.target).toBe(-1);
    expect(row!.options ?? []).not.toContain('autovacuum_vacuum_scale_factor=0.05');
  }, 300_000);

  test('a step that requires confirmation refuses the whole run without yes, and nothing runs', async () => {
    const before = await sql('select rolname, rolpassword from pg_authid order by rolname');
    const result = await runWorkflow(ROTATE_AND_VERIFY, options({ params: { role: loginUser() } }));
    expect(result).toMatchObject({ status: 'refused', ok: false, failedStep: 'rotate', error: { code: 'REFUSED' } });
    expect(result.steps.every((s) => s.status === 'not-run' && s.envelope === undefined)).toBe(true);
    expect(await sql('select rolname, rolpassword from pg_authid order by rolname')).toEqual(before);
    expect(auditRecord(result.auditId)).toMatchObject({ skill: 'workflow rotate-and-verify', outcome: { status: 'refused', errorCode: 'REFUSED' }, workflow: { steps: [{ name: 'rotate', status: 'not-run' }, {}, {}] } });
  });

  test("a step whose action requires confirmation (maintenance-sessions --action terminate) refuses the whole run up front", async () => {
    const chain = defineWorkflow({
      name: 'terminate-chain',
      description: 'A test chain whose second step terminates a session.',
      steps: [
        { name: 'list', skill: 'maintenance-sessions', input: {} },
        { name: 'terminate', skill: 'maintenance-sessions', input: { action: 'terminate', pid: 1 } },
      ],
    });
    const result = await runWorkflow(chain, options());
    expect(result).toMatchObject({ status: 'refused', failedStep: 'terminate', error: { message: expect.stringContaining('terminate (maintenance-sessions)') } });
    expect(byName(result.steps)).toEqual({ list: 'not-run', terminate: 'not-run' });
  });

  test('a missing or unknown parameter is refused naming --param, before anything runs', async () => {
    expect(await runWorkflow(ROTATE_AND_VERIFY, options({ dryRun: true }))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('--param: missing parameter role') } });
    expect(await runWorkflow(SLOW_DATABASE, options({ dryRun: true, params: { role: 'x' } }))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('unknown parameter role') } });
  });
});
