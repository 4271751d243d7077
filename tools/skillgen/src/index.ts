/**
 * ts-morph generator: decorated skills to SKILL.md, manifest, CLI modules and CAPABILITIES.md.
 *
 * Nothing is exported yet: the issues that fill this package add its public API here.
 * @packageDocumentation
 */
export {};
