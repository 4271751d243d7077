/** One SQL statement with its bound values; the unit every plan and every run is made of. */
export interface SqlStatement {
  text: string;
  values?: readonly unknown[];
}

/** A plan step (structurally skill-kit's `PlanStep`): what a dry run reports. */
export interface SqlPlanStep {
  kind: 'sql' | 'note';
  target: string;
  text: string;
}

/**
 * Renders statements as plan steps for `--dry-run`: the SQL, and the bound values in a
 * trailing comment (values are never spliced into the statement itself).
 *
 * @example
 * ```ts
 * toPlanSteps('127.0.0.1:5432/app', [{ text: 'select $1', values: [1] }])
 * // [{ kind: 'sql', target: '127.0.0.1:5432/app', text: 'select $1 -- $1 = 1' }]
 * ```
 */
export function toPlanSteps(target: string, statements: readonly SqlStatement[]): SqlPlanStep[] {
  return statements.map((s) => ({
    kind: 'sql' as const,
    target,
    text: s.values && s.values.length > 0 ? `${s.text} -- ${s.values.map((v, i) => `$${i + 1} = ${JSON.stringify(v)}`).join(', ')}` : s.text,
  }));
}
