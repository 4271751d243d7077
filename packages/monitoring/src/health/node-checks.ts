import { AVAILABILITY_CHECKS } from './checks/availability-checks';
import { BLOAT_CHECKS } from './checks/bloat-checks';
import { CACHE_CHECKS } from './checks/cache-checks';
import { CAPACITY_CHECKS } from './checks/capacity-checks';
import { CONNECTION_CHECKS } from './checks/connection-checks';
import { INDEX_CHECKS } from './checks/index-checks';
import { LOCK_CHECKS } from './checks/lock-checks';
import { REPLICATION_CHECKS } from './checks/replication-checks';
import { TRANSACTION_CHECKS } from './checks/transaction-checks';
import { VACUUM_CHECKS } from './checks/vacuum-checks';
import { VECTOR_CHECKS } from './checks/vector-checks';
import type { NodeCheck } from './node-check';

/**
 * Every check that runs on a node, in catalogue order (the cluster-wide ones — node_down,
 * no_primary, split_brain — are judged over all nodes' answers instead).
 * @example NODE_CHECKS.length // 36
 */
export const NODE_CHECKS: readonly NodeCheck[] = [
  ...AVAILABILITY_CHECKS,
  ...CONNECTION_CHECKS,
  ...LOCK_CHECKS,
  ...TRANSACTION_CHECKS,
  ...VACUUM_CHECKS,
  ...BLOAT_CHECKS,
  ...INDEX_CHECKS,
  ...CACHE_CHECKS,
  ...REPLICATION_CHECKS,
  ...CAPACITY_CHECKS,
  ...VECTOR_CHECKS,
];
