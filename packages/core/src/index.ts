/**
 * Config, topology, connections, errors, redaction, state dir and audit log for pgcluster.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
