import { notifyChannel, type AlertChannel, type AlertNotification, type Delivery } from '@pgcluster/monitoring';
import type { SkillReference } from '@pgcluster/skill-kit';
import type { AgentPolicy } from '../policy/agent-policy';

/** What the agent tells a person: the finding, what was tried, and the audit ids. */
export interface Escalation {
  check: string;
  severity: 'warning' | 'critical';
  node: string;
  object: string;
  value: number;
  threshold: number;
  /** What happened and what the person should do, in a sentence or two. */
  message: string;
  /** When the finding was first seen (ISO). */
  since: string;
  /** The actions the agent ran (or would have run). */
  tried: SkillReference[];
  auditIds: string[];
}

/**
 * Sends an escalation through monitoring-alerts' channels: stderr (a JSON line) when the policy
 * says so, and every channel of `policy.escalate.channels` (webhook, file).
 * Security: a webhook's URL never appears in the deliveries, only its host.
 * @example await escalate(policy, escalation, (line) => process.stderr.write(line))
 */
export async function escalate(policy: AgentPolicy, escalation: Escalation, writeStderr: (line: string) => void): Promise<Delivery[]> {
  const { tried, auditIds, ...finding } = escalation;
  const notification: AlertNotification & { source: 'pgcluster-agent'; tried: SkillReference[]; auditIds: string[] } = {
    status: 'firing',
    rule: 'agent-escalation',
    ...finding,
    at: new Date().toISOString(),
    source: 'pgcluster-agent',
    tried,
    auditIds,
  };
  const channels: AlertChannel[] = [...(policy.escalate.stderr ? [{ type: 'stderr' as const }] : []), ...policy.escalate.channels];
  return Promise.all(channels.map((c, i) => notifyChannel(`${c.type}${i}`, c, notification, writeStderr)));
}
