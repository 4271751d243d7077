import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, describeIssues, jsonSyntaxError } from '@pgcluster/core';
import { AlertChannel, CHECK_IDS } from '@pgcluster/monitoring';
import { RISKS, SkillReferenceSchema } from '@pgcluster/skill-kit';
import { z } from 'zod';

/** The file searched for from the working directory upwards, like `pgcluster.config.json`. */
export const AGENT_POLICY_FILE_NAME = 'pgcluster.agent.json';

/**
 * How far the agent goes: `observe` reports findings only, `recommend` also records the
 * remediation it would run, `act` runs it through the executor (then verifies it).
 */
export const AGENT_MODES = ['observe', 'recommend', 'act'] as const;
/** One of {@link AGENT_MODES}. */
export type AgentMode = (typeof AGENT_MODES)[number];

/** Days of the week, for maintenance windows (UTC). */
export const WEEK_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const SKILL_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;
const CHECK_ID = /^[a-z][a-z0-9_]*$/;
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

const Autonomy = z.enum(AGENT_MODES);

/**
 * The agent's policy (`pgcluster.agent.json`). Every field has a default: an absent file is
 * the safest policy (observe only, destructive skills need a person, recently_restarted is
 * never acted on).
 *
 * @example
 * ```ts
 * const policy = AgentPolicySchema.parse({ mode: 'act', approve: ['maintenance-sessions'] })
 * ```
 */
export const AgentPolicySchema = z
  .object({
    mode: Autonomy.default('observe').describe('observe (report only) | recommend | act.'),
    intervalSeconds: z.number().int().min(1).max(86_400).default(30).describe('Seconds between two watches.'),
    autonomy: z
      .object({
        risk: z
          .object({
            read: Autonomy.default('act'),
            write: Autonomy.default('act'),
            destructive: Autonomy.default('act'),
          })
          .strict()
          .prefault({})
          .describe('The highest autonomy per risk (capped by mode and needsPerson).'),
        skills: z.record(z.string().regex(SKILL_NAME, 'must be a skill name like maintenance-vacuum'), Autonomy).default({}).describe('The highest autonomy per skill; wins over risk.'),
      })
      .strict()
      .prefault({}),
    needsPerson: z
      .object({
        risks: z.array(z.enum(RISKS)).default(['destructive']).describe('Risks that always need a person.'),
        skills: z.array(z.string().regex(SKILL_NAME, 'must be a skill name')).default([]).describe('Skills that always need a person.'),
      })
      .strict()
      .prefault({})
      .describe('What the agent only recommends, never runs, unless listed in approve.'),
    approve: z
      .array(z.string().regex(SKILL_NAME, 'must be a skill name'))
      .default([])
      .describe('Skills this policy confirms on a person\'s behalf (lifts needsPerson and the executor\'s confirmation gate).'),
    observeOnly: z
      .array(z.string().regex(CHECK_ID, 'must be a check id like recently_restarted'))
      .default(['recently_restarted'])
      .describe('Checks the agent reports but never acts on.'),
    maintenanceWindows: z
      .array(
        z
          .object({
            days: z.array(z.enum(WEEK_DAYS)).default([...WEEK_DAYS]),
            start: z.string().regex(CLOCK, 'must be HH:MM (UTC)'),
            end: z.string().regex(CLOCK, 'must be HH:MM (UTC)'),
          })
          .strict(),
      )
      .default([])
      .describe('When write actions may run (UTC); empty means any time. Outside a window the agent recommends.'),
    rateLimit: z
      .object({
        maxActionsPerHour: z.number().int().min(0).max(10_000).default(12),
        sameActionCooldownMinutes: z.number().min(0).max(10_080).default(30).describe('Never the same action on the same object twice within this.'),
      })
      .strict()
      .prefault({}),
    maxFailuresPerObject: z.number().int().min(1).max(100).default(2).describe('A remediation that failed this often on an object is not tried there again.'),
    maxPoolSize: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(50)
      .describe("The largest PgBouncer pool size the agent sets with cluster-scale: a larger --size is lowered to it, and a run that leaves the pool above it (or does not grow it) is reverted and escalated. cluster-scale itself refuses sizes the primary's max_connections cannot serve."),
    skillTimeoutSeconds: z.number().int().min(1).max(3_600).default(120).describe('Timeout of every remediation (and rollback) run.'),
    watchTimeoutSeconds: z.number().int().min(1).max(600).default(60).describe('Timeout of each monitoring-health and cluster-status run.'),
    verify: z
      .object({
        attempts: z.number().int().min(1).max(20).default(3).describe('Re-checks before a remediation counts as not helping.'),
        delaySeconds: z.number().min(0).max(600).default(1).describe('Wait before each re-check.'),
      })
      .strict()
      .prefault({}),
    thresholds: z
      .partialRecord(z.enum(CHECK_IDS), z.object({ warning: z.number().finite().optional(), critical: z.number().finite().nullable().optional() }).strict())
      .default({})
      .describe("monitoring-health threshold overrides for the agent's watch, e.g. {\"idle_in_transaction\":{\"warning\":60}}."),
    slowStatements: z
      .object({
        enabled: z.boolean().default(true).describe('Watch pg_stat_statements (monitoring-performance) for slow frequent statements.'),
        meanMs: z.number().min(0).max(3_600_000).default(100).describe('Mean time (ms) since the previous watch at or above which a statement is slow.'),
        minCalls: z.number().int().min(1).max(1_000_000_000).default(20).describe('Calls since the previous watch at or above which a statement is frequent.'),
      })
      .strict()
      .prefault({})
      .describe('slow_statement findings: judged on the window since the previous watch; remediated with maintenance-optimize --apply.'),
    remediations: z
      .record(z.string().regex(CHECK_ID, 'must be a check id'), z.array(SkillReferenceSchema).min(1))
      .default({})
      .describe('Remediations per check, replacing the finding\'s own recommendation; string inputs may hold <object>, <node> or <input.NAME> (a field of the finding\'s recommendation).'),
    escalate: z
      .object({
        stderr: z.boolean().default(true),
        channels: z.array(AlertChannel).default([]).describe('More monitoring-alerts channels (webhook, file).'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The agent's policy after defaults. */
export type AgentPolicy = z.output<typeof AgentPolicySchema>;

/** Where to look for the policy. */
export interface AgentPolicyLookup {
  /** Where the upward search starts; default `process.cwd()`. */
  cwd?: string;
  /** Read `PGCLUSTER_AGENT_POLICY` from here; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Finds the policy file: `file` if given (it must exist), else `PGCLUSTER_AGENT_POLICY`, else
 * `pgcluster.agent.json` in the working directory or the nearest folder above it.
 * @returns the absolute path, or undefined when there is none (defaults apply).
 * @example const file = findAgentPolicyFile() // '/srv/app/pgcluster.agent.json'
 */
export function findAgentPolicyFile(file?: string, lookup: AgentPolicyLookup = {}): string | undefined {
  const cwd = lookup.cwd ?? process.cwd();
  const explicit = file ?? (lookup.env ?? process.env)['PGCLUSTER_AGENT_POLICY'];
  if (explicit) return isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, AGENT_POLICY_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Loads and checks the agent's policy; defaults when no file is found.
 * @param file an explicit file (`--policy`); it must exist.
 * @throws ConfigError (exit 2) naming every invalid key, e.g. `rateLimit.maxActionsPerHour: …`.
 * @example
 * ```ts
 * const policy = loadAgentPolicy()            // pgcluster.agent.json found upwards, or defaults
 * const strict = loadAgentPolicy('ops/agent.json')
 * ```
 */
export function loadAgentPolicy(file?: string, lookup: AgentPolicyLookup = {}): AgentPolicy {
  const path = findAgentPolicyFile(file, lookup);
  if (!path) return AgentPolicySchema.parse({});
  if (!existsSync(path)) {
    throw new ConfigError(`agent policy file ${path} does not exist`, { notFound: true, hint: 'Check --policy / PGCLUSTER_AGENT_POLICY.' });
  }
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`agent policy ${path} is not valid JSON: ${jsonSyntaxError(error, text)}`);
  }
  return parseAgentPolicy(raw, path);
}

/**
 * Checks a raw policy object.
 * @param source named in the error (a file path).
 * @throws ConfigError naming every invalid key.
 * @example parseAgentPolicy({ mode: 'act' }, 'inline')
 */
export function parseAgentPolicy(raw: unknown, source: string): AgentPolicy {
  const result = AgentPolicySchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(`invalid agent policy in ${source}: ${describeIssues(result.error)}`, {
    hint: `Fix the named keys; allowed: mode ${AGENT_MODES.join('|')}, see \`pgcluster agent --help\`.`,
  });
}
