import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import type { ScannedSkill } from '../scan/scan-skills';
import { listingFingerprint, type MeasuredListing } from './listing-budget';

/** The plugin name the measurement wraps the skills in. */
const PLUGIN = 'pgcluster';

/**
 * Measures the always-on cost of the skill listing with Claude Code's own projection: writes a
 * plugin (`.claude-plugin/plugin.json` and flat `skills/<name>/SKILL.md`) into a temporary folder,
 * runs `claude --plugin-dir <dir> plugin details pgcluster` (no login needed) and reads its
 * `Always-on: ~N tok` line.
 *
 * @param skillMds every skill's name and generated SKILL.md text.
 * @param claude the Claude Code executable (`npm i -g @anthropic-ai/claude-code` puts `claude` on PATH).
 * @throws PgClusterError when `claude` cannot run or prints no projection.
 * @example
 * ```ts
 * const measured = measureListing(skills, new Map([['cluster-status', skillMd]]), 'claude', new Date())
 * ```
 */
export function measureListing(
  skills: readonly Pick<ScannedSkill, 'name' | 'description'>[],
  skillMds: ReadonlyMap<string, string>,
  claude: string,
  now: Date,
): MeasuredListing {
  const dir = mkdtempSync(join(tmpdir(), 'pgcluster-listing-'));
  try {
    mkdirSync(join(dir, '.claude-plugin'));
    writeFileSync(join(dir, '.claude-plugin', 'plugin.json'), `${JSON.stringify({ name: PLUGIN, version: '0.0.0', description: 'pgcluster skills' })}\n`);
    for (const [name, text] of skillMds) {
      mkdirSync(join(dir, 'skills', name), { recursive: true });
      writeFileSync(join(dir, 'skills', name, 'SKILL.md'), text);
    }
    // A private HOME: the projection must not include the user's own plugins and settings.
    const env = { ...process.env, HOME: join(dir, 'home') };
    const details = run(claude, ['--plugin-dir', dir, 'plugin', 'details', PLUGIN], dir, env);
    const match = /Always-on:\s*~?([\d,]+)\s*tok/.exec(details);
    if (!match) throw new PgClusterError('INTERNAL', `\`${claude} plugin details\` printed no "Always-on" projection:\n${details.slice(0, 2000)}`);
    return {
      alwaysOnTokens: Number(match[1]!.replace(/,/g, '')),
      skills: skillMds.size,
      claudeCode: run(claude, ['--version'], dir, env).replace(/\s*\(Claude Code\)\s*$/, '').trim(),
      date: now.toISOString().slice(0, 10),
      fingerprint: listingFingerprint(skills),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (result.error || result.status !== 0) {
    throw new PgClusterError('INTERNAL', `\`${command} ${args.join(' ')}\` failed: ${result.error?.message ?? result.stderr.slice(0, 1000)}`, {
      hint: 'Install Claude Code (npm i -g @anthropic-ai/claude-code) or pass --claude <path to claude>.',
    });
  }
  return result.stdout;
}
