import { defineWorkflow } from '@pgcluster/skill-kit';

/**
 * `rotate-and-verify`: rotate a login's password (it proves the new login before switching the
 * config), then check that every node answers with the new login and audit the result.
 *
 * @example
 * ```ts
 * await runWorkflow(ROTATE_AND_VERIFY, { actor: 'cli', yes: true, params: { role: 'app' }, resolveSkill })
 * ```
 */
export const ROTATE_AND_VERIFY = defineWorkflow({
  name: 'rotate-and-verify',
  description: 'Rotates a login password, then checks every node answers with it and audits. Use for scheduled or suspected-leak rotations.',
  whenToUse: ['a password is due for rotation', 'a password may have leaked', 'security-audit flags an old password'],
  params: { role: { description: "The login role whose password is rotated (the config's user, without _alt)." } },
  steps: [
    { name: 'rotate', skill: 'security-rotate', input: { role: '<role>' }, why: 'a new password, proved before the config switches' },
    { name: 'status', skill: 'cluster-status', input: {}, why: 'every node answers with the new login' },
    { name: 'audit', skill: 'security-audit', input: {}, why: 'passwords, roles and privileges after the rotation', when: 'steps.status.ok' },
  ],
});
