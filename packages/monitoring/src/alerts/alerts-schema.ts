import { actionInput, type ActionInput } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { ALERT_DURATION, AlertRule } from './alert-rules';

/** Actions of `monitoring-alerts`; one tuple yields the type, the validator and the CLI choices. */
export const ALERT_ACTIONS = ['evaluate', 'list', 'silence', 'unsilence', 'export'] as const;

const RulesFile = { rulesFile: z.string().min(1).optional().describe('The rules file; default pgcluster.alerts.json beside the config, else one rule per check with its default thresholds.') };
const Rule = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a rule name').describe('The rule.');

/**
 * Input of `monitoring-alerts`, per action: evaluate (the default), list, silence a rule for a
 * while, unsilence it, export the rules for Prometheus.
 * @example AlertsInput.parse({ action: 'silence', rule: 'lock_waits-warning', for: '1h' })
 */
export const AlertsInput = actionInput(
  {
    evaluate: z.object({
      ...RulesFile,
      database: z.string().regex(/^[a-z_][a-z0-9_$]{0,62}$/).optional().describe('The database whose tables and indexes are checked.'),
    }),
    list: z.object({ ...RulesFile }),
    silence: z.object({ rule: Rule, for: z.string().regex(ALERT_DURATION, 'must be a duration like 30m or 1h').describe('How long, e.g. 1h.'), ...RulesFile }),
    unsilence: z.object({ rule: Rule, ...RulesFile }),
    export: z.object({
      ...RulesFile,
      prometheus: z.boolean().default(true).describe('Write Prometheus alerting rules (the only export format).'),
      output: z.string().min(1).optional().describe('Write the rules to this file (else they are in data.export.text).'),
    }),
  },
  {
    default: 'evaluate',
    describe: 'evaluate (run the rules once, notify), list (rules, active alerts, silences), silence / unsilence a rule, export (Prometheus rules).',
  },
);
/** Input of `monitoring-alerts`: one of its actions' inputs (after defaults). */
export type AlertsInput = ActionInput<typeof AlertsInput>;

const Delivery = z.object({ channel: z.string(), ok: z.boolean(), attempts: z.number().int(), error: z.string().optional() });

/** `data` of `monitoring-alerts`: the part for the action run is set. */
export const AlertsReport = z.object({
  action: z.enum(ALERT_ACTIONS),
  rulesSource: z.string().describe('The rules file read, or "defaults".'),
  rules: z.array(AlertRule).describe('The rules.'),
  evaluation: z
    .object({
      evaluatedAt: z.string(),
      healthStatus: z.string().describe('Status of the monitoring-health run behind it.'),
      transitions: z.array(
        z.object({
          rule: z.string(),
          node: z.string(),
          object: z.string(),
          from: z.enum(['inactive', 'pending', 'firing']),
          to: z.enum(['pending', 'firing', 'resolved', 'inactive']),
          notified: z.array(Delivery),
          silenced: z.boolean(),
        }),
      ),
    })
    .optional()
    .describe('evaluate: what changed.'),
  active: z
    .array(z.object({ rule: z.string(), node: z.string(), object: z.string(), state: z.enum(['pending', 'firing']), since: z.string(), firedAt: z.string().optional(), value: z.number(), message: z.string() }))
    .describe('Alerts pending or firing after the action.'),
  silences: z.record(z.string(), z.string()).describe('Silenced rules and until when (ISO).'),
  export: z.object({ file: z.string().nullable(), rules: z.number().int(), text: z.string() }).optional().describe('export: the Prometheus rules.'),
});
/** `data` of `monitoring-alerts`. */
export type AlertsReport = z.infer<typeof AlertsReport>;
