/**
 * Everything `pgcluster dev` runs, behind one module so the command loads it (and
 * @pgcluster/testing with it) only when a `dev` subcommand actually runs.
 */
export { MAX_REPLICAS } from '@pgcluster/testing';
export { devDown } from './dev-down';
export { devRejoin } from './dev-rejoin';
export { DEV_STATUS_FORMATS, devStatus, type DevStatusFormat } from './dev-status';
export { devUp } from './dev-up';
