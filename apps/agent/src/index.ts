/**
 * @pgcluster/agent — the autonomous DBA: watch (monitoring-health, cluster-status, slow statements) → decide
 * (findings → remediations, ranked by measured success, filtered by the policy) → act (through
 * the executor) → verify → revert and escalate → learn (the outcome store). Its policy, outcome
 * store and pause switch are read here by the CLI and the dashboard.
 * @packageDocumentation
 */
export {
  AGENT_MODES,
  type AgentMode,
  AGENT_POLICY_FILE_NAME,
  WEEK_DAYS,
  AgentPolicySchema,
  type AgentPolicy,
  type AgentPolicyLookup,
  findAgentPolicyFile,
  loadAgentPolicy,
  parseAgentPolicy,
} from './policy/agent-policy';
export { agentStatePaths, type AgentStatePaths } from './store/agent-state-paths';
export { readAgentStateFile, writeAgentStateFile, type AgentActionRecord, type AgentStateFile, type OpenFinding } from './store/agent-state-file';
export {
  readAgentStatus,
  setAgentPaused,
  readPause,
  type AgentPause,
  type AgentStatus,
  type ReadAgentStatusOptions,
  type SetAgentPausedOptions,
} from './store/agent-status';
export {
  AGENT_DECISIONS,
  type AgentDecision,
  AGENT_RESULTS,
  type AgentResult,
  type AgentOutcome,
  type ReadOutcomesOptions,
  appendOutcome,
  readOutcomes,
} from './store/outcome-store';
export { summarizeOutcomes, type AgentCheckReport, type AgentReport } from './store/summarize-outcomes';
export { agentSkillRegistry } from './agent/agent-skills';
export { actionKey, findingKey, fillPlaceholders, remediationsFor, type RankedRemediation } from './agent/remediations';
export { escalate, type Escalation } from './agent/escalate';
export { SLOW_STATEMENT, slowStatementFindings } from './agent/slow-statements';
export { agentTick, inMaintenanceWindow, sleep, type AgentRuntime, type AgentTickSummary } from './agent/agent-tick';
export { runAgent, type RunAgentOptions } from './agent/run-agent';
