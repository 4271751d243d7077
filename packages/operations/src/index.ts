/**
 * Cluster status, scale, backup/restore and failover.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
