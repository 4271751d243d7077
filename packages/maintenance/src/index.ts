/**
 * Vacuum, analyze, reindex and the index advisor.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
