/**
 * Topology-aware connection pools: primary/replica routing, named databases, stats, resize.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
