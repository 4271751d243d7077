import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUARD_HOOK_FILE, GUARD_HOOK_SCRIPT, GUARDED_SKILLS_FILE, guardTable, HOOKS_JSON, type GuardManifest } from './guard-hook';

// The script as the plugin ships it, with the guard table of the real manifest (skills/manifest.json).
const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'skills', 'manifest.json'), 'utf8')) as GuardManifest;
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-guard-hook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, GUARD_HOOK_FILE), GUARD_HOOK_SCRIPT);
writeFileSync(join(dir, GUARDED_SKILLS_FILE), JSON.stringify(guardTable(manifest)));

/** Runs the hook with a PreToolUse event on stdin, as Claude Code does; returns its decision. */
function hook(event: unknown): { code: number | null; decision: string; reason?: string } {
  const r = spawnSync(process.execPath, [join(dir, GUARD_HOOK_FILE)], { input: typeof event === 'string' ? event : JSON.stringify(event), encoding: 'utf8' });
  expect(r.stderr).toBe('');
  if (!r.stdout.trim()) return { code: r.status, decision: 'allow' };
  const out = JSON.parse(r.stdout) as { hookSpecificOutput: { hookEventName: string; permissionDecision: string; permissionDecisionReason: string } };
  expect(out.hookSpecificOutput.hookEventName).toBe('PreToolUse');
  return { code: r.status, decision: out.hookSpecificOutput.permissionDecision, reason: out.hookSpecificOutput.permissionDecisionReason };
}
const bash = (command: string) => hook({ session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command, description: 'x' }, cwd: '/srv' });

test('the guard table comes from the manifest: guarded skills with every action and the default one, and the workflows needing --yes', () => {
  const table = guardTable(manifest);
  const names = table.skills.map((s) => s.name);
  expect(names).toEqual(expect.arrayContaining(['vector-drop', 'cluster-failover', 'security-rotate', 'maintenance-sessions', 'cluster-backup']));
  expect(names).not.toContain('cluster-status');
  expect(names).not.toContain('vector-index');
  expect(table.skills.find((s) => s.name === 'maintenance-sessions')).toMatchObject({
    defaultAction: 'list',
    actions: expect.arrayContaining([{ name: 'list', risk: 'read', requiresConfirmation: false }, { name: 'terminate', risk: 'write', requiresConfirmation: true }]),
  });
  expect(table.workflows).toEqual([{ name: 'rotate-and-verify', steps: ['rotate (security-rotate --action rotate)'] }]);
  expect(JSON.parse(HOOKS_JSON)).toMatchObject({ hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: expect.stringContaining('${CLAUDE_PLUGIN_ROOT}/hooks/') }] }] } });
});

test.each([
  ['pgcluster vector-drop --target index --collection docs', 'pgcluster vector-drop is a destructive skill'],
  ['pgcluster --format json vector-drop --collection docs', 'pgcluster vector-drop is a destructive skill'],
  ['cd /srv && pgcluster cluster-failover --to node2', 'pgcluster cluster-failover is a destructive skill'],
  ['echo $(pgcluster vector-drop --collection docs)', 'pgcluster vector-drop is a destructive skill'],
  ['npx pgcluster vector-drop --collection docs | tee out.json', 'pgcluster vector-drop is a destructive skill'],
  ['/usr/local/bin/pgcluster vector-drop --collection docs', 'pgcluster vector-drop is a destructive skill'],
  ['node apps/cli/bin/pgcluster.js vector-drop --collection docs', 'pgcluster vector-drop is a destructive skill'],
  ['pgcluster vector-drop --collection docs --yes-please', 'pgcluster vector-drop is a destructive skill'],
  ['pgcluster maintenance-sessions --action terminate --pid 4242', 'pgcluster maintenance-sessions --action terminate is a write action'],
  ['pgcluster maintenance-sessions --pid 4242 --action=terminate', 'pgcluster maintenance-sessions --action terminate is a write action'],
  ['cd /srv && pgcluster maintenance-sessions --action "rollback" --prepared-transaction tx1', 'pgcluster maintenance-sessions --action rollback is a write action'],
  ['pgcluster cluster-status; pgcluster cluster-backup --action enable-archiving', 'pgcluster cluster-backup --action enable-archiving is a write action'],
  ['pgcluster maintenance-sessions --action list && pgcluster maintenance-sessions --action terminate --pid 1', 'pgcluster maintenance-sessions --action terminate'],
  ['pgcluster security-rotate --role app', 'pgcluster security-rotate --action rotate is a write action'],
  [`pgcluster maintenance-sessions --input '{"action":"terminate","pid":1}'`, 'pgcluster maintenance-sessions --action terminate'],
  ['pgcluster maintenance-sessions --input "{\\"action\\": \\"terminate\\", \\"pid\\": 1}"', 'pgcluster maintenance-sessions --action terminate'],
  ['echo \'{"action":"terminate","pid":1}\' | pgcluster maintenance-sessions --input -', 'takes its action from --input, which the guard cannot read, and its actions terminate, rollback'],
  ['pgcluster maintenance-sessions --action list --yes=false --action terminate', 'pgcluster maintenance-sessions --action terminate'],
  ['pgcluster workflow run rotate-and-verify --param role=app', 'pgcluster workflow run rotate-and-verify runs steps that need the user\'s confirmation: rotate (security-rotate --action rotate)'],
  ['cd /srv && pgcluster --format json workflow run "rotate-and-verify" --param role=app', 'pgcluster workflow run rotate-and-verify'],
])('denies without --yes: %s', (command, named) => {
  const r = bash(command);
  expect(r).toMatchObject({ code: 0, decision: 'deny' });
  expect(r.reason).toContain(named);
  expect(r.reason).toMatch(/needs? the user's confirmation[.:].* Run it with --dry-run first, show the user the plan, and only after they agree run it again with --yes\.$/);
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
  'pgcluster maintenance-sessions',
  'pgcluster maintenance-sessions --action list --blocking',
  'pgcluster maintenance-sessions --action=cancel --pid 4242',
  'cd /srv && pgcluster maintenance-sessions --action terminate --pid 4242 --yes',
  'pgcluster maintenance-sessions --action terminate --pid 4242 --dry-run',
  'pgcluster maintenance-sessions --action terminate --pid 4242 --dry-run=true',
  `pgcluster maintenance-sessions --input '{"action":"cancel","pid":1}'`,
  `pgcluster maintenance-sessions --input '{"blocking":true}'`,
  'pgcluster cluster-backup',
  'pgcluster cluster-backup --action list',
  'pgcluster cluster-backup --action enable-archiving --yes',
  'pgcluster vector-index --action list',
  'pgcluster workflow run safe-maintenance --param database=app',
  'pgcluster workflow run slow-database',
  'pgcluster workflow show rotate-and-verify',
  'pgcluster workflow list',
  'pgcluster workflow run rotate-and-verify --param role=app --dry-run',
  'pgcluster workflow run rotate-and-verify --param role=app --yes',
])('allows: %s', (command) => {
  expect(bash(command)).toEqual({ code: 0, decision: 'allow' });
});

test('other tools and malformed events pass: the executor still refuses without --yes', () => {
  expect(hook({ tool_name: 'Read', tool_input: { file_path: '/x' } })).toEqual({ code: 0, decision: 'allow' });
  expect(hook('not json')).toEqual({ code: 0, decision: 'allow' });
});
