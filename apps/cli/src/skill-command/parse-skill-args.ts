import { checkFormat, checkTimeout, type GlobalArgs } from '../cli/global-options';
import type { GeneratedCommand, GeneratedFlag } from './generated-command';

/** The global flags the fast path understands, by type. */
const GLOBAL_BOOLEANS: Readonly<Record<string, 'dryRun' | 'yes'>> = { 'dry-run': 'dryRun', yes: 'yes' };
const GLOBAL_STRINGS = ['format', 'config', 'timeout', 'input'] as const;

/**
 * Parses the arguments of a skill command (`<skill> [flags]`) without yargs, for the common case:
 * every flag known (the skill's, the global ones, `--input`), each value well formed. Returns
 * undefined for anything else (`--help`, an unknown or misspelt flag, a value outside a flag's
 * choices, a positional argument, a value that starts with `-`), and the caller then parses with
 * yargs, whose help and error messages stay the reference. yargs builds and caches the whole help
 * text of a command on every run; a cold `pgcluster <skill>` does not need it.
 *
 * Accepts what yargs accepts for these flags: `--flag value`, `--flag=value`, a boolean as `--flag`,
 * `--no-flag` or `--flag=true|false`, an array as `--flag a b c` or repeated; a repeated scalar keeps
 * every value (the last one wins downstream, as with yargs).
 *
 * @example
 * ```ts
 * parseSkillArgs(clusterStatusCommand, ['cluster-status', '--sample-ms', '0', '--format', 'json'])
 * // { 'sample-ms': '0', format: 'json', dryRun: false, yes: false }
 * ```
 */
export function parseSkillArgs(command: Pick<GeneratedCommand, 'name' | 'flags'>, args: readonly string[]): (Record<string, unknown> & GlobalArgs) | undefined {
  if (args[0] !== command.name) return undefined;
  const flags = new Map<string, GeneratedFlag>(command.flags.map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    const previous = out[key];
    out[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  };
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') return undefined;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const next = (): string | undefined => {
      if (inline !== undefined) return inline;
      const value = args[i + 1];
      if (value === undefined || value.startsWith('-')) return undefined;
      i++;
      return value;
    };
    const boolean = (): boolean | undefined => {
      if (inline !== undefined) return inline === 'true' ? true : inline === 'false' ? false : undefined;
      if (args[i + 1] === 'true' || args[i + 1] === 'false') return args[++i] === 'true';
      return true;
    };
    if (Object.hasOwn(GLOBAL_BOOLEANS, name)) {
      const value = boolean();
      if (value === undefined) return undefined;
      out[GLOBAL_BOOLEANS[name]!] = value;
      continue;
    }
    if ((GLOBAL_STRINGS as readonly string[]).includes(name)) {
      const value = next();
      if (value === undefined) return undefined;
      set(name, value);
      continue;
    }
    const negated = name.startsWith('no-') && flags.get(name.slice(3))?.type === 'boolean' ? flags.get(name.slice(3)) : undefined;
    if (negated) {
      if (inline !== undefined) return undefined;
      set(negated.name, false);
      continue;
    }
    const flag = flags.get(name);
    if (!flag) return undefined;
    if (flag.type === 'boolean') {
      const value = boolean();
      if (value === undefined) return undefined;
      set(flag.name, value);
    } else if (flag.type === 'array') {
      const values: string[] = [];
      if (inline !== undefined) values.push(inline);
      else while (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) values.push(args[++i]!);
      if (values.length === 0) return undefined;
      const previous = out[flag.name];
      out[flag.name] = [...(Array.isArray(previous) ? (previous as string[]) : []), ...values];
    } else {
      const value = next();
      if (value === undefined) return undefined;
      if (flag.choices && !flag.choices.some((c) => String(c) === value)) return undefined;
      set(flag.name, flag.type === 'number' || flag.type === 'integer' ? numberOrText(value) : value);
    }
  }
  if (out['input'] !== undefined && Array.isArray(out['input'])) return undefined;
  const args_: Record<string, unknown> & GlobalArgs = {
    ...out,
    format: checkFormat(out['format'] ?? 'human'),
    dryRun: out['dryRun'] === true,
    yes: out['yes'] === true,
  };
  const config = out['config'];
  if (config !== undefined) args_.config = String(Array.isArray(config) ? config[config.length - 1] : config);
  const timeout = checkTimeout(out['timeout']);
  if (timeout !== undefined) args_.timeout = timeout;
  return args_;
}

/** A number flag's value as yargs gives it: a number when it reads as one, else the text (collectInput then names the flag). */
function numberOrText(value: string): number | string {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}
