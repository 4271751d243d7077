import { Skill, type SkillActions, type SkillContext } from '@pgcluster/skill-kit';
import { configFileOf } from '../rotate/config-file';
import { dropReaderRole, dropStatements, initReaderRole, readerStatements } from '../reader/reader-role';
import { ReaderReport, SecurityReaderInput } from '../reader/reader-schema';

/**
 * `security-reader`: creates (or refreshes) the least-privilege login that every read-only skill,
 * cluster-query and the MCP server's read-only mode connect as, and writes it into the config.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { SecurityReaderSkill } from '@pgcluster/security'
 *
 * const envelope = await executeSkill(SecurityReaderSkill, {}, { actor: 'cli' })
 * envelope.data?.verified // true: it logs in, and a write through it is refused
 * ```
 */
export class SecurityReaderSkill {
  @Skill({
    name: 'security-reader',
    category: 'security',
    description: 'Creates the least-privilege read-only login that read skills and cluster-query connect as. Use once per cluster.',
    details:
      'init (default) creates or refreshes the role (pgcluster_reader unless --user) on the primary: LOGIN, no SUPERUSER, ' +
      'CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS; member of pg_monitor and pg_read_all_data; pg_read_server_files, ' +
      'pg_write_server_files, pg_execute_server_program, pg_write_all_data, pg_signal_backend and pg_checkpoint revoked; ' +
      'default_transaction_read_only = on; SELECT on pg_hba_file_rules and EXECUTE on pgcluster.role_password_kinds() (a ' +
      'SECURITY DEFINER function with a fixed search_path telling security-audit which roles hold MD5 hashes or none, never ' +
      'the hashes). A new generated password is sent as a SCRAM verifier and written only to the config file (reader: { user, ' +
      'password }, mode 600); a configured reader whose password still works keeps it. It then proves a login and that the ' +
      'server refuses a write through it. From then on the executor connects every read-only skill as that role. drop removes ' +
      'the config entry, the grants, the function and the role. `pgcluster dev up` runs init by itself.',
    version: '1.0.0',
    risk: 'write',
    autonomous: false,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'a cluster was configured by hand (not by pgcluster dev up) and read skills still connect as its superuser',
      'before starting `pgcluster mcp --read-only` or using cluster-query, which refuse to run without it',
      'after restoring a cluster, to recreate the role',
    ],
    interpret:
      'data.verified is true when a login as data.user worked and the server refused a write through it. created: the role ' +
      'is new; passwordSet: a new password went to data.configFile (never shown). Exit 2: no primary answered, the config ' +
      'came from the environment (not a file), or the role could not be changed; exit 3: --user names the configured login.',
    decisionTree: [
      { when: 'verified is false', skill: 'security-audit', input: { checks: ['server_file_roles', 'unexpected_privileged_roles'] }, why: 'something gave the role more rights' },
      { when: 'to run a read-only query as the new role', skill: 'cluster-query', input: { sql: 'select current_user' } },
    ],
    examples: [
      { title: 'Create the read-only login', skill: 'security-reader', input: {} },
      { title: 'See its statements first', skill: 'security-reader', input: {}, options: { dryRun: true } },
      { title: 'Remove it', skill: 'security-reader', input: { action: 'drop' } },
    ],
    input: SecurityReaderInput,
    output: ReaderReport,
  })
  static readonly actions: SkillActions<typeof SecurityReaderInput, ReaderReport> = {
    init: {
      plan: (ctx, input) => [
        ...readerStatements(`"${input.user}"`, { create: true, verifier: "'<SCRAM-SHA-256 verifier of a new generated password>'" }).map((text) => ({ kind: 'sql' as const, target: 'primary', text })),
        { kind: 'file', target: configFileOf(ctx.loaded), text: `write reader: { user: ${input.user}, password: <generated> } (atomic, mode 600)` },
        { kind: 'note', target: 'primary', text: `prove a login as ${input.user} and that a write through it is refused` },
      ],
      run: async (ctx, input) => {
        const report = await initReaderRole(ctx.loaded, { user: input.user, log: logOf(ctx) });
        return {
          data: report,
          alerts: report.verified ? [] : [`a write through ${report.user} was not refused: check its grants`],
          ...(report.created ? { rollback: { skill: 'security-reader', input: { action: 'drop', user: report.user }, why: `drop the role ${report.user} and its config entry` } } : {}),
        };
      },
    },
    drop: {
      plan: (ctx, input) => [
        { kind: 'file', target: configFileOf(ctx.loaded), text: 'remove the reader entry (mode 600)' },
        ...dropStatements(`"${input.user}"`).map((text) => ({ kind: 'sql' as const, target: 'primary', text })),
      ],
      run: async (ctx, input) => ({ data: await dropReaderRole(ctx.loaded, { user: input.user, log: logOf(ctx) }) }),
    },
  };
}

/** The run's progress lines, prefixed with the skill name. */
function logOf(ctx: SkillContext): (line: string) => void {
  return (line) => ctx.log.info(`security-reader: ${line}`);
}
