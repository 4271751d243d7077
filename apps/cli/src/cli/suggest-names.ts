import type { CommandCatalog } from '../skill-command/generated-command';
import { GLOBAL_OPTIONS } from './global-options';
import { skillKit } from './skill-kit';

/**
 * yargs' "Unknown argument(s): colection" and "Did you mean x?" made plain: the unknown flag
 * or command is named with a dash, and the nearest flag of the command (or skill) is suggested.
 *
 * @param command the command as {@link commandNameOf} names it (`vector-search`, `pgcluster`).
 * @param argv the raw arguments: an unknown word given as `--word` is a flag, not a command.
 * @example
 * ```ts
 * withNameSuggestions('Unknown argument: colection', 'vector-search', commands)
 * // 'unknown flag --colection; did you mean --collection?'
 * ```
 */
export function withNameSuggestions(message: string, command: string, commands: CommandCatalog, argv: readonly string[] = []): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown) {
    const { nearestName } = skillKit(); // only on this error path
    const skill = commands.summaries.some((c) => c.name === command) ? commands.load(command) : undefined;
    const names = commands.summaries.map((c) => c.name);
    const known = [...(skill?.flags.map((f) => f.name) ?? []), ...(skill ? ['input'] : []), ...Object.keys(GLOBAL_OPTIONS)];
    return unknown[1]!
      .split(', ')
      .map((name) => {
        const word = name.replace(/^-+/, '');
        // yargs drops the dashes of an unknown flag: the raw arguments tell a flag from a command.
        const flag = name.startsWith('-') || argv.some((a) => a.replace(/=.*$/, '') === `--${word}` || a === `-${word}`);
        if (!skill && names.length && !flag) {
          const nearest = nearestName(word, names);
          return `unknown command ${word}${nearest ? `; did you mean ${nearest}?` : ' (pgcluster skills list shows every skill)'}`;
        }
        const nearest = nearestName(word, known);
        return `unknown flag --${word}${nearest ? `; did you mean --${nearest}?` : ''}`;
      })
      .join('; ');
  }
  return message;
}
