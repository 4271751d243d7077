import { Skill, type ActionInput, type PlanStep, type SkillActions, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { configFileOf } from '../rotate/config-file';
import { pgbouncerAuthOf } from '../rotate/pgbouncer-auth';
import { loginsOf, rotateCredentials, rotationStatements, undoRotation } from '../rotate/rotate-credentials';
import { RotateReport, SecurityRotateInput } from '../rotate/rotate-schema';

/**
 * `security-rotate`: rotates the config's login password with no failed connection
 * (alternating users), or in single-role mode with its window stated; undo while the old
 * password still works. Never prints a secret.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { SecurityRotateSkill } from '@pgcluster/security'
 *
 * const envelope = await executeSkill(SecurityRotateSkill, { role: 'app', graceSeconds: 600 }, { actor: 'cli', yes: true })
 * console.log(envelope.data?.newLogin, envelope.rollback) // app_alt, the undo
 * ```
 */
export class SecurityRotateSkill {
  @Skill({
    name: 'security-rotate',
    category: 'security',
    description:
      "Rotates the config's login password with zero failed connections (alternating <role>/<role>_alt), proves the login, switches the config. " +
      'Use when a password is old or leaked.',
    details:
      "Alternate mode (default; AWS Secrets Manager's alternating users): <role>_alt is created when missing as a member " +
      "of <role> with <role>'s attributes (SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS; objects it creates are " +
      'its own). The login the config does not use gets a new generated password, sent as a SCRAM-SHA-256 verifier so the ' +
      'password never reaches the server log, pg_stat_statements or pg_stat_activity; a login with it is proven; the config ' +
      'file (pgcluster.config.json, rewritten atomically, mode 600) is switched to it; replicas streaming as the old login get ' +
      'the new password in a mode-600 password file of the server user and primary_conninfo (no password in it) names the ' +
      'new login, and the run waits until they stream again (a replica whose dataDir is not on this machine refuses the ' +
      'run, exit 3, unless --manual-replicas); only then does the old login get VALID UNTIL now + ' +
      '--grace-seconds. Open connections are never cut; new ones with the old password work until that time. Single mode ' +
      '(for a role whose name clients depend on) changes the role\'s own password: new connections with the old password ' +
      'fail until each client reloads the config. The previous config goes to a mode-600 backup in the state dir; undo ' +
      '(the rollback, or --action undo --backup <file>) restores it while the old password still works. The password is ' +
      'never printed: it goes to the config file only (or --password, recorded as *** in the audit log). With PgBouncer in ' +
      "the config (pgbouncer.configFile required), before the config switches the new login's SCRAM verifier (the same the " +
      'server holds, so PgBouncer can log in for its clients) is written into its auth_file (atomically, its mode and owner ' +
      'kept), PgBouncer gets RELOAD on its admin console, and a login through it is proven; auth_query needs no file. Undo ' +
      "of single mode puts the restored secret back there; alternate keeps the new login's line for its grace period.",
    version: '1.0.0',
    risk: 'write',
    autonomous: false,
    requiresConfirmation: true,
    idempotent: false,
    whenToUse: [
      'a password is old, was shared, or may have leaked',
      'security-audit reports password_expiry or md5_password_hashes for the config\'s login role',
      'a policy requires regular credential rotation',
    ],
    interpret:
      'data = { action, mode, role, previousLogin, newLogin, createdRole, previousValidUntil, loginProved, configFile, ' +
      'backup, replicas[] { node, updated, detail }, window, pgbouncer { authFile, reloaded, loginProved } | null }: clients must reload the config before previousValidUntil ' +
      '(alternate); window says when clients with the old password fail. A replica with updated: false must be pointed at ' +
      'newLogin by hand before previousValidUntil. rollback undoes it. Exit 2: the role is not the config\'s user, no primary ' +
      'answered, or the new login failed (nothing was switched); exit 3: --yes missing, or a replica streams as the login and cannot be updated from here (nothing was changed).',
    decisionTree: [
      { when: 'clients report authentication failures after the rotation', skill: 'security-rotate', input: { role: '<role>', action: 'undo', backup: '<data_backup>' }, why: 'with --yes, while the old password still works' },
      { when: 'a replica was not updated (updated: false)', skill: 'cluster-status', input: {} },
      { when: 'to confirm the old hash kind and expiry are gone', skill: 'security-audit', input: { checks: ['password_expiry', 'md5_password_hashes'] } },
    ],
    examples: [
      { title: "Rotate the config's login, old password valid one more hour", skill: 'security-rotate', input: { role: 'pgcluster' }, options: { yes: true } },
      { title: 'Ten minutes of grace', skill: 'security-rotate', input: { role: 'pgcluster', graceSeconds: 600 }, options: { yes: true } },
      { title: 'Keep the role name (single mode, with a window)', skill: 'security-rotate', input: { role: 'pgcluster', mode: 'single' }, options: { yes: true } },
      { title: 'See the statements first', skill: 'security-rotate', input: { role: 'pgcluster' }, options: { dryRun: true } },
      { title: 'Undo it while the old password still works', skill: 'security-rotate', input: { role: 'pgcluster', action: 'undo', backup: '/srv/app/.pgcluster/security/rotate-1f2e3d4c.json' }, options: { yes: true } },
    ],
    input: SecurityRotateInput,
    output: RotateReport,
  })
  static readonly actions: SkillActions<typeof SecurityRotateInput, RotateReport> = {
    rotate: { plan: (ctx, input) => planRotate(ctx, input), run: (ctx, input) => runRotate(ctx, input) },
    // Undo switches every client back to the previous login: confirmed like the rotation (the skill's default).
    undo: {
      plan: (ctx, input) => [
        { kind: 'sql', target: 'primary', text: 'ALTER ROLE <previous login> VALID UNTIL <its previous value> (single mode: PASSWORD <verifier of the previous password>)' },
        { kind: 'note', target: 'primary', text: 'prove a login with the previous password; refuse when it no longer works' },
        { kind: 'file', target: configFileOf(ctx.loaded), text: `restore the config from ${input.backup} (mode 600); replicas back to the previous login` },
      ],
      run: async (ctx, input) => {
        const report = await undoRotation(ctx.loaded, input.backup, input.role);
        return { data: report, alerts: replicaAlerts(report) };
      },
    },
  };
}

type RotateInput = ActionInput<typeof SecurityRotateInput, 'rotate'>;

async function runRotate(ctx: SkillContext, input: RotateInput): Promise<SkillResult<RotateReport>> {
  const report = await rotateCredentials(ctx.loaded, { role: input.role, mode: input.mode, graceSeconds: input.graceSeconds, password: input.password, runId: ctx.runId, manualReplicas: input.manualReplicas });
  ctx.log.info(`security-rotate: ${report.previousLogin} → ${report.newLogin} (config ${report.configFile})`);
  return {
    data: report,
    alerts: replicaAlerts(report),
    recommendations: [{ why: `make every client reload ${report.configFile} before ${report.previousValidUntil ?? 'its next connection'}; ${report.window}` }],
    rollback: {
      skill: 'security-rotate',
      input: { role: input.role, action: 'undo', backup: report.backup },
      why: `switch the config back to ${report.previousLogin} (possible while its password works${report.previousValidUntil ? `, until ${report.previousValidUntil}` : ''})`,
    },
  };
}

/** The statements on the primary (no secret: the verifier is a placeholder) and the files it writes. */
function planRotate(ctx: SkillContext, input: RotateInput): PlanStep[] {
  const { current, target } = loginsOf(ctx.loaded.config, input.role, input.mode);
  const bouncer = pgbouncerAuthOf(ctx.loaded.config);
  return [
    ...rotationStatements(current, target, input.role, input.mode, input.graceSeconds).map((text) => ({ kind: 'sql' as const, target: 'primary', text })),
    ...(bouncer
      ? [
          ...(bouncer.authFile ? [{ kind: 'file' as const, target: bouncer.authFile, text: `set the line of ${target} to its SCRAM-SHA-256 verifier (atomic, mode and owner kept)` }] : []),
          { kind: 'sql' as const, target: 'PgBouncer admin console', text: bouncer.authFile ? 'RELOAD' : 'nothing to write (auth_query)' },
          { kind: 'note' as const, target: 'PgBouncer', text: `prove a login as ${target} through PgBouncer before the config switches` },
        ]
      : []),
    { kind: 'file', target: configFileOf(ctx.loaded), text: `switch URLs of ${current} to ${target} with the new password (atomic, mode 600); previous config backed up in the state dir` },
    { kind: 'note', target: 'replicas', text: `replicas streaming as ${current}: password file (mode 600) and primary_conninfo user=${target}, reload, wait until streaming` },
  ];
}

function replicaAlerts(report: RotateReport): string[] {
  return report.replicas.filter((r) => !r.updated).map((r) => `replica ${r.node}: ${r.detail}`);
}
