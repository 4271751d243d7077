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
 * What command lists (`--help`, `skills list`) need of a skill command, from the generated
 * index: nothing of its module or package is loaded to show it.
 */
export interface CommandSummary {
  /** The skill name, which is also the command: `cluster-status`. */
  readonly name: string;
  readonly category: Category;
  /** One line for command lists (the description's first sentence). */
  readonly describe: string;
  readonly risk: Risk;
  readonly autonomous: boolean;
  readonly requiresConfirmation: boolean;
}

/**
 * A skill command as skillgen generates it into `src/generated/commands/<name>.ts`: static
 * metadata for its help, and a loader that requires the skill's package only when it runs.
 * Its SKILL.md is not embedded: `skills show` reads the file (see `findSkillMd`).
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(command.load(), input, { actor: 'cli' })
 * ```
 */
export interface GeneratedCommand extends CommandSummary {
  /** The npm package holding the skill. */
  readonly package: string;
  readonly description: string;
  readonly idempotent: boolean;
  readonly flags: readonly GeneratedFlag[];
  /** The metadata's examples, rendered as command lines by skillgen. */
  readonly examples: readonly { readonly title: string; readonly command: string }[];
  /** Requires the skill's package and returns the skill class. */
  load(): SkillClass;
}

/**
 * Every skill command: the summaries of all of them (generated, cheap), and each command's
 * module, required only when asked for, so the CLI loads only the command that runs.
 *
 * @example
 * ```ts
 * const command = GENERATED_COMMANDS.load('cluster-status') // undefined for an unknown name
 * ```
 */
export interface CommandCatalog {
  /** Sorted by name. */
  readonly summaries: readonly CommandSummary[];
  load(name: string): GeneratedCommand | undefined;
}
