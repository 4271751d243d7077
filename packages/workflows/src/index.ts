/**
 * @pgcluster/workflows — the shipped workflows: named chains of skills with conditions on earlier
 * results, a dry run of the whole chain and the rollbacks of completed steps when one fails.
 * The model and the runner are skill-kit's (`defineWorkflow`, `runWorkflow`).
 * @packageDocumentation
 */
import type { WorkflowMeta } from '@pgcluster/skill-kit';
import { ROTATE_AND_VERIFY } from './workflows/rotate-and-verify.workflow';
import { SAFE_MAINTENANCE } from './workflows/safe-maintenance.workflow';
import { SLOW_DATABASE } from './workflows/slow-database.workflow';

export { SAFE_MAINTENANCE, SLOW_DATABASE, ROTATE_AND_VERIFY };

/**
 * Every shipped workflow, by name.
 * @example
 * ```ts
 * const workflow = WORKFLOWS['safe-maintenance']
 * ```
 */
export const WORKFLOWS: Readonly<Record<string, WorkflowMeta>> = Object.freeze({
  [SAFE_MAINTENANCE.name]: SAFE_MAINTENANCE,
  [SLOW_DATABASE.name]: SLOW_DATABASE,
  [ROTATE_AND_VERIFY.name]: ROTATE_AND_VERIFY,
});
