import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUARD_HOOK_FILE, GUARD_HOOK_SCRIPT, GUARDED_SKILLS_FILE, guardedSkills, HOOKS_JSON } from './guard-hook';

// The script as the plugin ships it, with the guarded skills of a manifest like the real one.
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-guard-hook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const manifest = [
  { name: 'cluster-status', risk: 'read', requiresConfirmation: false },
  { name: 'maintenance-vacuum', risk: 'write', requiresConfirmation: false },
  { name: 'security-rotate', risk: 'write', requiresConfirmation: true },
  { name: 'vector-drop', risk: 'destructive', requiresConfirmation: true },
  { name: 'cluster-failover', risk: 'destructive', requiresConfirmation: true },
];
writeFileSync(join(dir, GUARD_HOOK_FILE), GUARD_HOOK_SCRIPT);
writeFileSync(join(dir, GUARDED_SKILLS_FILE), JSON.stringify(guardedSkills(manifest)));

/** Runs the hook with a PreToolUse event on stdin, as Claude Code does; returns its decision. */
function hook(event: unknown): { code: number | null; decision: string; reason?: string } {
  const r = spawnSync(process.execPath, [join(dir, GUARD_HOOK_FILE)], { input: typeof event === 'string' ? event : JSON.stringify(event), encoding: 'utf8' });
  if (!r.stdout.trim()) return { code: r.status, decision: 'allow' };
  const out = JSON.parse(r.stdout) as { hookSpecificOutput: { hookEventName: string; permissionDecision: string; permissionDecisionReason: string } };
  expect(out.hookSpecificOutput.hookEventName).toBe('PreToolUse');
  return { code: r.status, decision: out.hookSpecificOutput.permissionDecision, reason: out.hookSpecificOutput.permissionDecisionReason };
}
const bash = (command: string) => hook({ session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command, description: 'x' }, cwd: '/srv' });

test('guards the destructive skills and those that require confirmation, from the manifest', () => {
  expect(guardedSkills(manifest).map((s) => s.name)).toEqual(['security-rotate', 'vector-drop', 'cluster-failover']);
  expect(JSON.parse(HOOKS_JSON)).toMatchObject({ hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: expect.stringContaining('${CLAUDE_PLUGIN_ROOT}/hooks/') }] }] } });
});

test.each([
  'pgcluster vector-drop --target index --collection docs',
  'pgcluster --format json vector-drop --collection docs',
  'cd /srv && pgcluster cluster-failover --to node2',
  'pgcluster cluster-status; pgcluster security-rotate --role app',
  'echo $(pgcluster vector-drop --collection docs)',
  'npx pgcluster vector-drop --collection docs | tee out.json',
  '/usr/local/bin/pgcluster vector-drop --collection docs',
  'node apps/cli/bin/pgcluster.js vector-drop --collection docs',
  'pgcluster vector-drop --collection docs --yes-please',
])('denies without --yes: %s', (command) => {
  const r = bash(command);
  expect(r).toMatchObject({ code: 0, decision: 'deny' });
  expect(r.reason).toMatch(/needs the user's confirmation\. Run it with --dry-run first/);
});

test.each([
  'pgcluster vector-drop --target index --collection docs --yes',
  'pgcluster vector-drop --collection docs -y',
  'pgcluster vector-drop --collection docs --dry-run',
  'pgcluster cluster-status',
  'pgcluster maintenance-vacuum --table docs',
  'pgcluster skills show vector-drop',
  'pgcluster --format json cluster-status',
  'ls -la',
  'echo "pgcluster vector-drop is dangerous"',
])('allows: %s', (command) => {
  expect(bash(command)).toEqual({ code: 0, decision: 'allow' });
});

test('other tools and malformed events pass: the executor still refuses without --yes', () => {
  expect(hook({ tool_name: 'Read', tool_input: { file_path: '/x' } })).toEqual({ code: 0, decision: 'allow' });
  expect(hook('not json')).toEqual({ code: 0, decision: 'allow' });
});
