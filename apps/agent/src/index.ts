/**
 * The autonomous DBA agent: watch, decide, act, verify, learn.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
