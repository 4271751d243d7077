import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A command line found in a generated SKILL.md. */
export interface SkillMdCommand {
  /** The SKILL.md, relative to the workspace root. */
  file: string;
  /** The section it is in: `Examples` or `Decision tree`. */
  section: string;
  command: string;
  /** Marked "(coming …)": its skill is not in this version yet, so there is nothing to run. */
  coming: boolean;
}

/**
 * Every runnable command of every generated SKILL.md: the lines of the Examples' code blocks and
 * the backquoted `pgcluster …` commands of the decision trees (what an agent copies).
 *
 * @example
 * ```ts
 * for (const { command } of skillMdCommands(ROOT)) spawnCli(shellWords(command).slice(1), { cwd })
 * ```
 */
export function skillMdCommands(root: string): SkillMdCommand[] {
  const out: SkillMdCommand[] = [];
  for (const file of findSkillMds(join(root, 'skills'))) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    for (const section of ['Examples', 'Decision tree']) {
      const body = text.split(`\n## ${section}\n`)[1]?.split('\n## ')[0] ?? '';
      const commands =
        section === 'Examples'
          ? [...body.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').filter((l) => l.startsWith('pgcluster '))).map((command) => ({ command, coming: false }))
          : [...body.matchAll(/`(pgcluster [^`]+)`( \(coming)?/g)].map((m) => ({ command: m[1]!, coming: m[2] !== undefined }));
      out.push(...commands.map((c) => ({ file: rel, section, ...c })));
    }
  }
  return out;
}

function findSkillMds(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findSkillMds(path);
    return entry.name === 'SKILL.md' ? [path] : [];
  });
}

/**
 * Splits a command line into words the way a POSIX shell does for the quoting SKILL.md uses:
 * bare words, '…' (with '\'' for a quote inside) and "…".
 *
 * @example
 * ```ts
 * shellWords(`pgcluster vector-search --filter '{"lang":"en"}'`) // ['pgcluster', 'vector-search', '--filter', '{"lang":"en"}']
 * ```
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced ${c} in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}
