import { z } from 'zod';
import { actionInput, type ActionInput } from '@pgcluster/skill-kit';

/** What `security-reader` does: create or refresh the least-privilege reader, or remove it. */
export const READER_ACTIONS = ['init', 'drop'] as const;

/** The reader's default role name. */
export const DEFAULT_READER_ROLE = 'pgcluster_reader';

const User = {
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier of at most 63 characters')
    .default(DEFAULT_READER_ROLE)
    .describe('The role name; never the configured login itself.'),
};

/** Input of `security-reader`, per action: init or drop, both of one role (`user`). */
export const SecurityReaderInput = actionInput(
  { init: z.object({ ...User }), drop: z.object({ ...User }) },
  { default: 'init', describe: 'init: create or refresh the role, its grants and its password in the config file; drop: remove both.' },
);
/** Input of `security-reader`: one of its actions' inputs. */
export type SecurityReaderInput = ActionInput<typeof SecurityReaderInput>;

/** What `security-reader` did. */
export const ReaderReport = z.object({
  action: z.enum(READER_ACTIONS),
  user: z.string().describe('The least-privilege role.'),
  node: z.string().describe('The primary it was changed on (roles replicate to the replicas).'),
  database: z.string().describe('The database holding its helper function (pgcluster.role_password_kinds).'),
  created: z.boolean().describe('init: the role did not exist before. drop: always false.'),
  passwordSet: z.boolean().describe('A new generated password was set and written to the config file (never shown).'),
  dropped: z.boolean().describe('drop: the role was removed.'),
  grants: z.array(z.string()).describe('What the role may do: its memberships and grants.'),
  configFile: z.string().describe('The config file whose `reader` entry was written or removed (mode 600).'),
  verified: z.boolean().describe('init: a login as the role worked and a write through it was refused by the server.'),
});
/** What `security-reader` did. */
export type ReaderReport = z.infer<typeof ReaderReport>;
