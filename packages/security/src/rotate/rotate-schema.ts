import { z } from 'zod';
import { actionInput, type ActionInput } from '@pgcluster/skill-kit';

/** How a role's password is rotated; one tuple yields the type, the validator and the CLI choices. */
export const ROTATE_MODES = ['alternate', 'single'] as const;
/** One of {@link ROTATE_MODES}. */
export type RotateMode = (typeof ROTATE_MODES)[number];

/** What `security-rotate` does: a rotation, or the undo of one (while the old password is still valid). */
export const ROTATE_ACTIONS = ['rotate', 'undo'] as const;

/** The suffix of the alternate role of alternating-users rotation. */
export const ALT_SUFFIX = '_alt';

const Role = {
  role: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,58}$/, 'must be a lower-case role name of at most 59 characters (room for _alt)')
    .describe("The login role whose password is rotated: the config's user (the base name, without _alt)."),
};

/**
 * Input of `security-rotate`, per action: rotate (`mode`, `graceSeconds`, `password`,
 * `manualReplicas`) or undo (`backup`, required), both of one `role`.
 * @example
 * ```ts
 * SecurityRotateInput.parse({ role: 'pgcluster', graceSeconds: 600 })
 * SecurityRotateInput.parse({ role: 'pgcluster', action: 'undo', backup: '/srv/app/.pgcluster/security/rotate-….json' })
 * ```
 */
export const SecurityRotateInput = actionInput(
  {
    rotate: z.object({
      ...Role,
      mode: z
        .enum(ROTATE_MODES)
        .default('alternate')
        .describe('alternate: <role>_alt (a member of <role>) takes turns with <role>, no window; single: the same role gets a new password, with a window for new connections.'),
      graceSeconds: z
        .number()
        .int()
        .min(0)
        .max(30 * 86_400)
        .default(3_600)
        .describe('alternate: how long the previous login keeps its password (VALID UNTIL now + this) so clients can reload.'),
      password: z
        .string()
        .min(16, 'must have at least 16 characters')
        .max(256)
        .optional()
        .meta({ secret: true })
        .describe('Use this new password instead of a generated one (recorded as *** in the audit log).'),
      manualReplicas: z
        .boolean()
        .default(false)
        .describe('Rotate even when replicas stream as the login and their dataDir is not on this machine; you then point them at the new login by hand before the old password expires.'),
    }),
    undo: z.object({
      ...Role,
      backup: z
        .string()
        .regex(/^\/[^\0]*\.json$/, 'must be the absolute path of a rotation backup (.json), as the rotation reported it')
        .describe('The backup file the rotation wrote (its rollback input names it).'),
    }),
  },
  { default: 'rotate', describe: 'rotate, or undo a rotation (with backup) while the old password is still valid.' },
);
/** Input of `security-rotate` (after defaults): one of its actions' inputs. */
export type SecurityRotateInput = ActionInput<typeof SecurityRotateInput>;

/** A replica whose streaming credentials the rotation updated (or could not). */
export const RotatedReplica = z.object({
  node: z.string().describe('Replica name.'),
  updated: z.boolean().describe('Whether its primary_conninfo and password file now use the new login.'),
  detail: z.string().describe('What was done, or why not.'),
});

/**
 * `data` of `security-rotate`. Never holds a password.
 * @example
 * ```ts
 * const report: RotateReport = await rotateCredentials(loaded, { role: 'pgcluster', mode: 'alternate', graceSeconds: 600 })
 * report.newLogin // 'pgcluster_alt'
 * ```
 */
export const RotateReport = z.object({
  action: z.enum(ROTATE_ACTIONS).describe('rotate or undo.'),
  mode: z.enum(ROTATE_MODES).describe('alternate or single.'),
  role: z.string().describe('The base role.'),
  previousLogin: z.string().describe('The login the config used before.'),
  newLogin: z.string().describe('The login the config uses now.'),
  createdRole: z.boolean().describe('Whether <role>_alt was created by this run.'),
  previousValidUntil: z.string().nullable().describe('alternate: when the previous login\'s password stops working (ISO 8601; null: never).'),
  loginProved: z.boolean().describe('A connection with the new password succeeded before the config was switched.'),
  configFile: z.string().describe('The config file switched to the new login (mode 600).'),
  backup: z.string().describe('The backup (mode 600, in the state dir) that undo uses; it holds the previous config file.'),
  replicas: z.array(RotatedReplica).describe('Replicas that stream as the rotated login, and what was done about them.'),
  window: z.string().describe('When clients with the old password fail: none (alternate, until previousValidUntil) or the single-role window.'),
  pgbouncer: z
    .object({
      authFile: z.string().nullable().describe("PgBouncer's auth_file the new login's SCRAM secret was written to (null: auth_query, nothing to write)."),
      reloaded: z.boolean().describe('PgBouncer was told to RELOAD (admin console).'),
      loginProved: z.boolean().describe('A login as the new login through PgBouncer succeeded.'),
    })
    .nullable()
    .describe('What was done about PgBouncer (config pgbouncer.configFile); null when the config has no PgBouncer.'),
});
/** `data` of `security-rotate`. */
export type RotateReport = z.infer<typeof RotateReport>;
