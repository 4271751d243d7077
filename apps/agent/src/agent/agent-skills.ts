import { MaintenanceAnalyzeSkill, MaintenanceOptimizeSkill, MaintenanceReindexSkill, MaintenanceSessionsSkill, MaintenanceVacuumSkill } from '@pgcluster/maintenance';
import { MonitoringAlertsSkill, MonitoringHealthSkill, MonitoringLogsSkill, MonitoringPerformanceSkill } from '@pgcluster/monitoring';
import { ClusterBackupSkill, ClusterFailoverSkill, ClusterScaleSkill, ClusterStatusSkill } from '@pgcluster/operations';
import { createSkillRegistry, type SkillRegistry } from '@pgcluster/skill-kit';
import { VectorIndexSkill } from '@pgcluster/vector';

/**
 * The skills the agent watches with and may remediate with (every finding's recommendation
 * names one of them). A value built per call, never a module-level singleton.
 * @example
 * ```ts
 * const registry = agentSkillRegistry()
 * registry.resolve('maintenance-vacuum') // MaintenanceVacuumSkill
 * ```
 */
export function agentSkillRegistry(): SkillRegistry {
  return createSkillRegistry([
    MonitoringHealthSkill,
    MonitoringPerformanceSkill,
    MonitoringLogsSkill,
    MonitoringAlertsSkill,
    ClusterStatusSkill,
    ClusterFailoverSkill,
    ClusterScaleSkill,
    ClusterBackupSkill,
    MaintenanceSessionsSkill,
    MaintenanceVacuumSkill,
    MaintenanceAnalyzeSkill,
    MaintenanceReindexSkill,
    MaintenanceOptimizeSkill,
    VectorIndexSkill,
  ]);
}
