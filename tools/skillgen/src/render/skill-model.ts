import type { ScannedSkill } from '../scan/scan-skills';
import type { SkillFlag } from '../schema/derive-flags';
import type { SkillActionModel, SkillSchemas } from '../schema/load-schemas';

/** Everything the renderers need about one skill: its static metadata, schemas and flags. */
export interface SkillModel extends ScannedSkill {
  schemas: SkillSchemas;
  flags: SkillFlag[];
  /** Input fields without a flag (named like a global flag): settable through `--input` only. */
  inputOnly: string[];
  /** Each action's own input and safety, for a skill with several actions (empty otherwise). */
  actions: SkillActionModel[];
}

/** The global flags every skill command takes, as shown in usage lines and tables. */
export const GLOBAL_FLAGS_USAGE = '[--format json|human|prometheus] [--dry-run] [--yes] [--config <file>] [--timeout <ms>]';

/** Where a skill's SKILL.md goes, relative to the workspace root. */
export function skillMdPath(skill: Pick<ScannedSkill, 'category' | 'name'>): string {
  return `skills/${skill.category}/${skill.name}/SKILL.md`;
}

/** The command line that runs a skill. */
export function commandOf(skill: Pick<ScannedSkill, 'name'>): string {
  return `pgcluster ${skill.name}`;
}

/** A flag's placeholder in a usage line: `<integer>`, `a|b`, `<json>`. */
export function flagPlaceholder(flag: SkillFlag): string {
  if (flag.type === 'boolean') return '';
  if (flag.choices && flag.type !== 'array') return ` ${flag.choices.join('|')}`;
  if (flag.type === 'array') return ` <${flag.choices ? flag.choices.join('|') : (flag.items ?? 'value')}>...`;
  return ` <${flag.type}>`;
}

/** The synopsis of a skill command: required flags bare, optional ones in brackets, then the globals. */
export function usageLine(skill: SkillModel): string {
  const flags = skill.flags.map((f) => (f.required ? `--${f.name}${flagPlaceholder(f)}` : `[--${f.name}${flagPlaceholder(f)}]`));
  return [commandOf(skill), ...flags, GLOBAL_FLAGS_USAGE].join(' ');
}
