import type { Category, Risk, SkillClass } from '@pgcluster/skill-kit';

/** How a flag's value is parsed (mirrors skillgen's `FlagType`). */
export type GeneratedFlagType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'json';

/** One flag of a skill command, derived by skillgen from a top-level field of the input JSON Schema. */
export interface GeneratedFlag {
  /** kebab-case, without dashes: `ef-search`. */
  readonly name: string;
  /** The input field it sets: `efSearch`. */
  readonly property: string;
  readonly type: GeneratedFlagType;
  /** For `array`: the type of each item. */
  readonly items?: 'string' | 'number' | 'integer' | 'boolean';
  readonly choices?: readonly (string | number)[];
  readonly description: string;
  /** The schema's default (applied by the skill's schema, shown in help). */
  readonly default?: unknown;
  readonly required: boolean;
}

/**
 * A skill command as skillgen generates it into `src/generated/commands/<name>.ts`: static
 * metadata for help and `skills list|show|install`, and a loader that requires the skill's
 * package only when the command runs.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(command.load(), input, { actor: 'cli' })
 * ```
 */
export interface GeneratedCommand {
  /** The skill name, which is also the command: `cluster-status`. */
  readonly name: string;
  readonly category: Category;
  /** The npm package holding the skill. */
  readonly package: string;
  /** One line for command lists (the description's first sentence). */
  readonly describe: string;
  readonly description: string;
  readonly risk: Risk;
  readonly autonomous: boolean;
  readonly requiresConfirmation: boolean;
  readonly idempotent: boolean;
  readonly flags: readonly GeneratedFlag[];
  /** The metadata's examples, rendered as command lines by skillgen. */
  readonly examples: readonly { readonly title: string; readonly command: string }[];
  /** The skill's generated SKILL.md. */
  readonly skillMd: string;
  /** Requires the skill's package and returns the skill class. */
  load(): SkillClass;
}
