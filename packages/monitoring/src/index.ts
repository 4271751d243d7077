/**
 * Health checks, performance, alert rules and log analysis.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
