import { z } from 'zod';
import { actionInput, type ActionInput } from '@pgcluster/skill-kit';

/** What `security-pgaudit` does; one tuple yields the type, the validator and the CLI choices. */
export const PGAUDIT_ACTIONS = ['enable', 'undo'] as const;

/** pgaudit's statement classes (`pgaudit.log`), each may be excluded with a leading `-`. */
export const PGAUDIT_CLASSES = ['read', 'write', 'function', 'role', 'ddl', 'misc', 'misc_set', 'all', 'none'] as const;

/** The default `pgaudit.log` for application databases: schema changes, role and grant changes, and data changes. */
export const DEFAULT_PGAUDIT_LOG = 'ddl, role, write';

const CLASS = `-?(?:${PGAUDIT_CLASSES.join('|')})`;
const LOG_LIST = new RegExp(`^\\s*${CLASS}(?:\\s*,\\s*${CLASS})*\\s*$`);

const Backup = {
  backup: z
    .string()
    .regex(/^\/[^\0]*\.json$/, 'must be the absolute path of a pgaudit backup (.json), as the run reported it')
    .describe('The backup file the run wrote (its rollback input names it).'),
};

/**
 * Input of `security-pgaudit`, per action: enable (`log`, `database`) or undo (`backup`, required).
 * @example
 * ```ts
 * SecurityPgauditInput.parse({})                          // pgaudit.log = 'ddl, role, write'
 * SecurityPgauditInput.parse({ log: 'ddl, role, write, read' })
 * SecurityPgauditInput.parse({ action: 'undo', backup: '/srv/app/.pgcluster/security/pgaudit-….json' })
 * ```
 */
export const SecurityPgauditInput = actionInput(
  {
    enable: z.object({
      log: z
        .string()
        .regex(LOG_LIST, `must be a comma-separated list of ${PGAUDIT_CLASSES.join(', ')} (each may start with - to exclude it)`)
        .default(DEFAULT_PGAUDIT_LOG)
        .describe("pgaudit.log: the statement classes to audit; default 'ddl, role, write' (schema, role and data changes; reads stay out of the log)."),
      database: z
        .string()
        .regex(/^[a-z_][a-z0-9_$]{0,62}$/, "must be a database name or a name from the config's databases")
        .optional()
        .describe("Where CREATE EXTENSION pgaudit runs (a name from the config's databases or a database name); default databases.project, else the node URL's."),
    }),
    undo: z.object({ ...Backup }),
  },
  { default: 'enable', describe: 'enable pgaudit on every node, or undo an earlier run (with backup).' },
);
/** Input of `security-pgaudit` (after defaults): one of its actions' inputs. */
export type SecurityPgauditInput = ActionInput<typeof SecurityPgauditInput>;

/** pgaudit on one node after the run. */
export const PgauditNode = z.object({
  node: z.string().describe('Node name.'),
  role: z.enum(['primary', 'replica']).describe('Its role when the run started.'),
  preloaded: z.boolean().describe('shared_preload_libraries includes pgaudit (it is loaded since the restart).'),
  log: z.string().nullable().describe('pgaudit.log in effect (null: pgaudit not loaded).'),
  restarted: z.boolean().describe('The run restarted it.'),
});

/**
 * `data` of `security-pgaudit`.
 * @example
 * ```ts
 * const report: PgauditReport = await enablePgaudit(loaded, { log: 'ddl, role, write' })
 * report.nodes.every((n) => n.preloaded)
 * ```
 */
export const PgauditReport = z.object({
  action: z.enum(PGAUDIT_ACTIONS).describe('enable or undo.'),
  log: z.string().nullable().describe('The pgaudit.log set on every node (undo: null).'),
  database: z.string().describe('The database of CREATE EXTENSION pgaudit (undo: of DROP EXTENSION).'),
  extensionCreated: z.boolean().describe('enable: the run created the extension (undo drops it); undo: the run dropped it.'),
  restartOrder: z.array(z.string()).describe('The nodes in the order they were restarted: replicas first, the primary last.'),
  nodes: z.array(PgauditNode).describe('Every node.'),
  backup: z.string().describe('The backup (mode 600, state dir) that undo uses.'),
});
/** `data` of `security-pgaudit`. */
export type PgauditReport = z.infer<typeof PgauditReport>;
