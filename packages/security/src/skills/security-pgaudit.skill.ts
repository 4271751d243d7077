import { withClient, type NodeConfig } from '@pgcluster/core';
import { Skill, type ActionInput, type PlanStep, type SkillActions, type SkillContext } from '@pgcluster/skill-kit';
import { enablePgaudit, undoPgaudit } from '../pgaudit/enable-pgaudit';
import { PgauditReport, SecurityPgauditInput } from '../pgaudit/pgaudit-schema';

/**
 * `security-pgaudit`: loads pgaudit on every node — shared_preload_libraries with a planned
 * restart (replicas first, the primary last), CREATE EXTENSION, pgaudit.log — verified; undo
 * reverses it.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { SecurityPgauditSkill } from '@pgcluster/security'
 *
 * const envelope = await executeSkill(SecurityPgauditSkill, {}, { actor: 'cli', yes: true })
 * envelope.data?.restartOrder // ['node2', 'node3', 'node1']
 * ```
 */
export class SecurityPgauditSkill {
  @Skill({
    name: 'security-pgaudit',
    category: 'security',
    description: 'Loads pgaudit on every node (restart: replicas first), creates the extension and sets pgaudit.log. Use when security-audit reports pgaudit_absent.',
    details:
      "Needs every node's dataDir on this machine (the restart is a local pg_ctl restart -m fast: open sessions end) and the " +
      'package postgresql-15-pgaudit; refuses a Patroni-managed cluster (restart through Patroni instead). Steps: (1) pgaudit is ' +
      'looked for on every node (nothing changes when one lacks it); a backup of each node\'s settings goes to the state dir; (2) ' +
      "ALTER SYSTEM SET shared_preload_libraries = <the current list>, 'pgaudit' on every node; (3) the replicas restart one by " +
      'one, then the primary, each answering (and the replicas streaming again) before the next; pgaudit verified loaded on ' +
      "every node; (4) CREATE EXTENSION IF NOT EXISTS pgaudit on the primary; (5) pgaudit.log (default 'ddl, role, write') with " +
      'a reload on every node, verified. From then on audited statements land in the server log as AUDIT: SESSION lines, which ' +
      'monitoring-logs counts as audit_events. The role class logs CREATE/ALTER ROLE text: set passwords as SCRAM verifiers ' +
      '(security-rotate does). Undo (the rollback) drops the extension it created, restores both settings and restarts the same way.',
    version: '1.0.0',
    risk: 'write',
    autonomous: false,
    requiresConfirmation: true,
    idempotent: true,
    whenToUse: [
      'security-audit reports pgaudit_absent (CIS 3.2)',
      'a compliance review asks who changed the schema, roles or data',
    ],
    interpret:
      'data = { action, log, database, extensionCreated, restartOrder[], nodes[] { node, role, preloaded, log, restarted }, backup }: ' +
      'every node preloaded with log set is success; restartOrder lists what was restarted (empty when pgaudit was already ' +
      'loaded). rollback undoes it. Exit 2: pgaudit not installed, a node without local dataDir, Patroni, or a node that did ' +
      'not come back (its server log says why; the backup undoes it); exit 3: --yes missing.',
    decisionTree: [
      { when: 'to confirm the finding is gone', skill: 'security-audit', input: { checks: ['pgaudit_absent'] } },
      { when: 'to see the audited statements', skill: 'monitoring-logs', input: { category: ['audit_events'] } },
    ],
    examples: [
      { title: 'See the restart plan first', skill: 'security-pgaudit', input: {}, options: { dryRun: true } },
      { title: 'Enable it with the default classes', skill: 'security-pgaudit', input: {}, options: { yes: true } },
      { title: 'Audit reads too', skill: 'security-pgaudit', input: { log: 'ddl, role, write, read' }, options: { yes: true } },
      { title: 'Undo it', skill: 'security-pgaudit', input: { action: 'undo', backup: '/srv/app/.pgcluster/security/pgaudit-1f2e3d4c.json' }, options: { yes: true } },
    ],
    input: SecurityPgauditInput,
    output: PgauditReport,
  })
  static readonly actions: SkillActions<typeof SecurityPgauditInput, PgauditReport> = {
    enable: {
      plan: (ctx, input) => planEnable(ctx, input),
      run: async (ctx, input) => {
        const report = await enablePgaudit(ctx.loaded, { log: input.log, database: input.database, runId: ctx.runId, signal: ctx.signal });
        return {
          data: report,
          recommendations: [{ skill: 'security-audit', input: { checks: ['pgaudit_absent'] }, why: 'confirm the finding is gone' }],
          rollback: { skill: 'security-pgaudit', input: { action: 'undo', backup: report.backup }, why: 'drop the extension it created, restore shared_preload_libraries and pgaudit.log, restart replicas then the primary' },
        };
      },
    },
    // Undo restarts every node too: it needs confirmation like enable (the skill's default).
    undo: { plan: (ctx, input) => planUndo(ctx, input), run: async (ctx, input) => ({ data: await undoPgaudit(ctx.loaded, input.backup, ctx.signal) }) },
  };
}

const RESTART_ORDER = 'every replica (one by one), then the primary';

/** A node's restart step. */
function restartStep(n: { name: string; dataDir?: string | undefined }): PlanStep {
  const dir = n.dataDir ?? '<dataDir>';
  return { kind: 'command', target: n.name, text: `restart: pg_ctl stop -D ${dir} -m fast, then pg_ctl start (as the postgres OS user when run as root) — then wait until it answers and the replicas stream again` };
}

/** Every step of enable, node by node, in restart order (roles read with pg_is_in_recovery(); config order when a node does not answer). */
async function planEnable(ctx: SkillContext, input: ActionInput<typeof SecurityPgauditInput, 'enable'>): Promise<PlanStep[]> {
  const nodes = await restartOrderOf(ctx.loaded.config.nodes ?? []);
  return [
    ...nodes.map((n) => ({ kind: 'sql' as const, target: n.name, text: "select 1 from pg_available_extensions where name = 'pgaudit' — refuse when missing" })),
    ...nodes.map((n) => ({ kind: 'sql' as const, target: n.name, text: "ALTER SYSTEM SET shared_preload_libraries = <current list>, 'pgaudit' (when missing)" })),
    { kind: 'note', target: 'restart order', text: `${RESTART_ORDER}; open sessions of each node end at its restart` },
    ...nodes.map(restartStep),
    { kind: 'sql', target: 'primary', text: `CREATE EXTENSION IF NOT EXISTS pgaudit${input.database ? ` (database ${input.database})` : ''}` },
    ...nodes.map((n) => ({ kind: 'sql' as const, target: n.name, text: `ALTER SYSTEM SET pgaudit.log = '${input.log}'; SELECT pg_reload_conf() — verified in pg_settings` })),
  ];
}

/** Every step of undo, in the same restart order. */
async function planUndo(ctx: SkillContext, input: ActionInput<typeof SecurityPgauditInput, 'undo'>): Promise<PlanStep[]> {
  const nodes = await restartOrderOf(ctx.loaded.config.nodes ?? []);
  return [
    { kind: 'sql', target: 'primary', text: `DROP EXTENSION IF EXISTS pgaudit (when the run in ${input.backup} created it)` },
    ...nodes.map((n) => ({ kind: 'sql' as const, target: n.name, text: 'ALTER SYSTEM SET/RESET pgaudit.log and shared_preload_libraries to their values before the run' })),
    { kind: 'note', target: 'restart order', text: RESTART_ORDER },
    ...nodes.map(restartStep),
  ];
}

/** Replicas first, the primary last; a node that does not answer keeps its place. */
async function restartOrderOf(nodes: readonly NodeConfig[]): Promise<NodeConfig[]> {
  const primaries = new Set<string>();
  for (const n of nodes) {
    const primary = await withClient({ url: n.url, connectTimeoutMs: 2_000, applicationName: 'pgcluster-pgaudit' }, `checking ${n.name}`, async (c) => !(await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r).catch(() => false);
    if (primary) primaries.add(n.name);
  }
  return [...nodes.filter((n) => !primaries.has(n.name)), ...nodes.filter((n) => primaries.has(n.name))];
}
