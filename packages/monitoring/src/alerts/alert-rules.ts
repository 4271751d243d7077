import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from '@pgcluster/core';
import { z } from 'zod';
import { CHECK_CATALOGUE, CHECK_IDS } from '../health/check-catalogue';
import { SEVERITIES } from '../health/finding';

/** File name of the alert rules, looked for beside the cluster config. */
export const ALERTS_FILE = 'pgcluster.alerts.json';

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
/** A `for` duration: 0s, 30s, 5m, 1h. */
export const ALERT_DURATION = /^(0|[1-9][0-9]{0,5})(s|m|h)$/;

/**
 * A duration like 30s, 5m or 1h, in milliseconds.
 * @example alertDurationMs('5m') // 300000
 */
export function alertDurationMs(text: string): number {
  const m = ALERT_DURATION.exec(text);
  if (!m) throw new RangeError(`not a duration: ${text}`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

/** A notification channel: stderr, a file (JSON lines) or a webhook (HTTP POST of JSON). */
export const AlertChannel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stderr') }),
  z.object({ type: z.literal('file'), path: z.string().min(1).describe('JSON lines are appended; relative to the rules file.') }),
  z.object({
    type: z.literal('webhook'),
    url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000).describe('Per attempt.'),
    retries: z.number().int().min(0).max(10).default(3).describe('Attempts after the first, with exponential backoff.'),
  }),
]);
/** A notification channel. */
export type AlertChannel = z.output<typeof AlertChannel>;

/** One alert rule: a check, the threshold its value must cross, for how long, how severe, where to notify. */
export const AlertRule = z
  .object({
    name: z.string().regex(NAME, 'must be lower-case letters, digits, - or _ (at most 63)').describe('Unique rule name.'),
    check: z.enum(CHECK_IDS).describe('The monitoring-health check it watches.'),
    severity: z.enum(SEVERITIES).default('warning').describe('The severity of the alert.'),
    threshold: z.number().finite().optional().describe("The value to cross, in the check's unit; default the check's threshold for this severity."),
    for: z.string().regex(ALERT_DURATION, 'must be a duration like 0s, 30s, 5m or 1h').default('0s').describe('How long it must hold before the alert fires.'),
    channels: z.array(z.string().regex(NAME)).default(['stderr']).describe('Channel names (stderr is always defined).'),
  })
  .superRefine((rule, ctx) => {
    const def = CHECK_CATALOGUE[rule.check];
    if (rule.threshold === undefined && (rule.severity === 'critical' ? def.critical : def.warning) === null) {
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: `check ${rule.check} has no default critical threshold: give one` });
    }
  });
/** One alert rule (after defaults). */
export type AlertRule = z.output<typeof AlertRule>;

/** The rules file: rules and named channels. */
export const AlertRulesFile = z
  .object({
    rules: z.array(AlertRule).describe('The rules.'),
    channels: z.record(z.string().regex(NAME), AlertChannel).default({}).describe('Named channels; "stderr" exists without being declared.'),
  })
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    file.rules.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name "${r.name}"` });
      names.add(r.name);
      r.channels.forEach((c, j) => {
        if (c !== 'stderr' && !(c in file.channels)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'channels', j], message: `unknown channel "${c}": declare it under "channels"` });
      });
    });
  });
/** The rules file (after defaults). */
export type AlertRulesFile = z.output<typeof AlertRulesFile>;

/**
 * The rules used when no rules file exists: for every check, its warning (and critical, where
 * defined) threshold from the catalogue, for 5 minutes, to stderr.
 * @example defaultAlertRules().rules.find((r) => r.name === 'lock_waits-critical')
 */
export function defaultAlertRules(): AlertRulesFile {
  const rules: AlertRule[] = [];
  for (const id of CHECK_IDS) {
    const def = CHECK_CATALOGUE[id];
    rules.push({ name: `${id}-warning`, check: id, severity: 'warning', threshold: def.warning, for: '5m', channels: ['stderr'] });
    if (def.critical !== null) rules.push({ name: `${id}-critical`, check: id, severity: 'critical', threshold: def.critical, for: '5m', channels: ['stderr'] });
  }
  return { rules, channels: {} };
}

/**
 * Reads the rules: `file` when given, else `pgcluster.alerts.json` beside the config file, else
 * {@link defaultAlertRules}. Relative file channel paths resolve against the rules file's folder.
 *
 * @throws ConfigError naming the invalid field of the rules file.
 * @example const { rules, channels, source } = loadAlertRules({ configSource: loaded.source })
 */
export function loadAlertRules(options: { file?: string; configSource: string }): AlertRulesFile & { source: string } {
  const file = options.file ?? (options.configSource !== 'environment' && options.configSource !== 'test' ? join(dirname(options.configSource), ALERTS_FILE) : undefined);
  if (!file || !existsSync(file)) {
    if (options.file) throw new ConfigError(`alert rules file ${options.file} does not exist`, { notFound: true });
    return { ...defaultAlertRules(), source: 'defaults' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = AlertRulesFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const base = dirname(file);
  const channels = Object.fromEntries(
    Object.entries(parsed.data.channels).map(([name, c]) => [name, c.type === 'file' && !isAbsolute(c.path) ? { ...c, path: join(base, c.path) } : c]),
  );
  return { rules: parsed.data.rules, channels, source: file };
}

/**
 * The threshold a rule compares with: its own, else the check's for the rule's severity.
 * @example ruleThreshold({ check: 'lock_waits', severity: 'critical' } as AlertRule) // 300
 */
export function ruleThreshold(rule: Pick<AlertRule, 'check' | 'severity' | 'threshold'>): number {
  const def = CHECK_CATALOGUE[rule.check];
  return rule.threshold ?? (rule.severity === 'critical' ? def.critical! : def.warning);
}
