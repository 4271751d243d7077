import type { Finding } from '@pgcluster/monitoring';
import type { DecisionRule, SkillReference } from '@pgcluster/skill-kit';
import type { AgentPolicy } from '../policy/agent-policy';
import type { AgentOutcome } from '../store/outcome-store';

/** The identity of "the same action": the skill and its input (keys sorted). */
export function actionKey(action: SkillReference): string {
  return `${action.skill} ${stableJson(action.input)}`;
}

/** The identity of a finding across runs: check, node and object. */
export function findingKey(f: Pick<Finding, 'check' | 'node' | 'object'>): string {
  return `${f.check}|${f.node}|${f.object}`;
}

/** A remediation with its measured record for the finding's check. */
export interface RankedRemediation {
  action: SkillReference;
  /** Actions run for this check with this skill, and how many were verified. */
  attempts: number;
  verified: number;
  /** Failures of exactly this action on this object. */
  failuresHere: number;
}

/**
 * The remediations of a finding, best first: the policy's for its check (placeholders
 * filled) or else the finding's own recommendation and the monitoring-health decision tree's
 * entries for its check that run the same skill (another input, e.g. an index by its
 * schema-qualified name), ranked by their measured success for that
 * check (verified + 1) ÷ (attempts + 2), so an untried one sits between a good and a bad one.
 * @example remediationsFor(finding, policy, await readOutcomes({ stateDir }))
 */
export function remediationsFor(finding: Finding, policy: AgentPolicy, history: readonly AgentOutcome[], decisionTree: readonly DecisionRule[] = []): RankedRemediation[] {
  const configured = policy.remediations[finding.check];
  const fromTree = decisionTree
    // Security: the tree only offers other inputs for the skill the finding itself names (a
    // replica that is down must not turn into a failover because the tree lists node_down).
    .filter((rule) => rule.skill === finding.recommendation.skill && new RegExp(`\\b${finding.check}\\b`).test(rule.when))
    .map(({ skill, input, why }) => fillPlaceholders({ skill, input, ...(why ? { why } : {}) }, finding))
    .filter((ref) => !hasPlaceholder(ref.input));
  const candidates = (configured ? configured.map((r) => fillPlaceholders(r, finding)) : [finding.recommendation, ...fromTree]).map((a) => boundedAction(a, policy));
  const actions = candidates.filter((a, i) => candidates.findIndex((b) => actionKey(b) === actionKey(a)) === i);
  const ranked = actions.map((action): RankedRemediation => {
    const sameCheck = history.filter((o) => o.decision === 'acted' && o.check === finding.check && o.action?.skill === action.skill && o.result !== 'pending');
    const key = actionKey(action);
    return {
      action,
      attempts: sameCheck.length,
      verified: sameCheck.filter((o) => o.result === 'verified').length,
      failuresHere: sameCheck.filter((o) => o.object === finding.object && o.action && actionKey(o.action) === key && o.result !== 'verified').length,
    };
  });
  const score = (r: RankedRemediation) => (r.verified + 1) / (r.attempts + 2);
  return ranked.map((r, i) => ({ r, i })).sort((a, b) => score(b.r) - score(a.r) || a.i - b.i).map(({ r }) => r);
}

/**
 * An action within the policy's bounds: cluster-scale's `size` is lowered to the policy's
 * `maxPoolSize` (the agent never grows a pool past it; cluster-scale checks max_connections).
 * @example boundedAction({ skill: 'cluster-scale', input: { size: 80 } }, policy) // input.size 50 with the default policy
 */
export function boundedAction(action: SkillReference, policy: Pick<AgentPolicy, 'maxPoolSize'>): SkillReference {
  const size = action.input['size'];
  if (action.skill !== 'cluster-scale' || typeof size !== 'number' || size <= policy.maxPoolSize) return action;
  return { ...action, input: { ...action.input, size: policy.maxPoolSize } };
}

/**
 * Fills placeholders in a remediation's string inputs: `<object>`, `<node>`, `<check>`,
 * `<input.NAME>` (a field of the finding's own recommendation); a decision tree's `<NAME>` is
 * that field too, and `<table>`, `<index>` or `<schema.index>` is the finding's object. A string
 * that is exactly one placeholder takes the value's type (a pid stays a number).
 * @example fillPlaceholders({ skill: 'maintenance-vacuum', input: { table: '<object>' } }, finding)
 */
export function fillPlaceholders(ref: SkillReference, finding: Finding): SkillReference {
  const lookup = (name: string): unknown => {
    if (name === 'object') return finding.object;
    if (name === 'node') return finding.node;
    if (name === 'check') return finding.check;
    if (name.startsWith('input.')) return finding.recommendation.input[name.slice(6)];
    if (name in finding.recommendation.input) return finding.recommendation.input[name];
    if (name === 'table' || name === 'index' || name === 'schema.index') return finding.object;
    return undefined;
  };
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = /^<([a-z.A-Z_]+)>$/.exec(value);
      if (whole) return lookup(whole[1]!) ?? value;
      return value.replace(/<([a-z.A-Z_]+)>/g, (m, name: string) => {
        const v = lookup(name);
        return v === undefined ? m : String(v);
      });
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    return value;
  };
  return { ...ref, input: fill(ref.input) as Record<string, unknown> };
}

function hasPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return /<[a-zA-Z_.]+>/.test(value);
  if (Array.isArray(value)) return value.some(hasPlaceholder);
  if (value && typeof value === 'object') return Object.values(value).some(hasPlaceholder);
  return false;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
