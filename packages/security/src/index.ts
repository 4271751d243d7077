/**
 * Security audit, credential rotation, TLS and compliance.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
