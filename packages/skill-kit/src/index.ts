/**
 * The @Skill decorator, registry, executor, result envelope, renderers and exit codes.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
