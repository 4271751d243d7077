import { InputError, redactSecrets, type LoadedConfig } from '@pgcluster/core';
import { readAgentStatus, readOutcomes, setAgentPaused, summarizeOutcomes, type AgentOutcome, type AgentReport, type AgentStatus } from '@pgcluster/agent';
import { checkParams } from '../analytics/analytics-query';

/** What the agent panel shows: the status, the newest outcomes (the timeline) and the per-check report. */
export interface AgentNow {
  status: AgentStatus;
  /** Newest first, at most `limit`. */
  outcomes: AgentOutcome[];
  /** Over every outcome in the store. */
  report: AgentReport;
}

/** The agent's endpoints, over @pgcluster/agent's store. */
export interface AgentRoutes {
  /** `GET /api/agent?limit=N` (1–500, default 50). */
  read(params: URLSearchParams): Promise<AgentNow>;
  /** `POST /api/agent/pause` with `{ "paused": boolean, "reason"?: string }`. */
  pause(body: unknown): Promise<AgentStatus>;
}

/**
 * The agent's endpoints: its status, outcomes and report through `readAgentStatus`,
 * `readOutcomes` and `summarizeOutcomes`, and its pause switch through `setAgentPaused` (the
 * same functions as `pgcluster agent status|pause|resume|report`).
 * @example const routes = agentRoutes(loadConfig()); await routes.pause({ paused: true, reason: 'migration' })
 */
export function agentRoutes(loaded: LoadedConfig, policyFile?: string): AgentRoutes {
  const { stateDir } = loaded;
  const policy = policyFile ? { policyFile } : {};
  return {
    async read(params) {
      checkParams(params, ['limit']);
      const raw = params.get('limit');
      const limit = raw === null || raw === '' ? 50 : /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(limit >= 1 && limit <= 500)) throw new InputError('limit', `must be an integer from 1 to 500 (got ${JSON.stringify(String(raw).slice(0, 20))})`);
      const [status, outcomes] = await Promise.all([readAgentStatus({ stateDir, ...policy }), readOutcomes({ stateDir })]);
      // Security: outcome actions carry skill inputs: no secret leaves the server.
      return redactSecrets({ status, outcomes: outcomes.slice(0, limit), report: summarizeOutcomes(outcomes) });
    },
    async pause(body) {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError('body', 'must be a JSON object such as {"paused": true, "reason": "maintenance"}');
      const { paused, reason, ...rest } = body as Record<string, unknown>;
      const unknown = Object.keys(rest)[0];
      if (unknown !== undefined) throw new InputError(`body.${unknown.slice(0, 40)}`, 'unknown field; the body takes paused and reason');
      if (typeof paused !== 'boolean') throw new InputError('body.paused', 'must be true (pause) or false (resume)');
      if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200)) throw new InputError('body.reason', 'must be a string of at most 200 characters');
      const status = await setAgentPaused({ stateDir, paused, by: 'dashboard', ...(typeof reason === 'string' && reason.trim() ? { reason: reason.trim() } : {}), ...policy });
      return redactSecrets(status);
    },
  };
}
