import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '@pgcluster/core';

/**
 * Checks that a file input names a readable regular file, before anything runs: a missing or
 * unreadable file is bad input (INVALID_INPUT naming the field), in a dry run too.
 *
 * @param field the input field named in the error, e.g. `file`.
 * @throws InputError saying what is wrong and where a relative path was looked for.
 * @example
 * ```ts
 * checkReadableFile('embeddings.ndjson', 'file')
 * ```
 */
export function checkReadableFile(path: string, field: string): void {
  const where = resolve(path);
  const stat = statSync(where, { throwIfNoEntry: false });
  if (!stat) throw new InputError(field, `${path} does not exist${where === path ? '' : ` (looked for ${where})`}`);
  if (!stat.isFile()) throw new InputError(field, `${path} is not a regular file`);
  try {
    accessSync(where, constants.R_OK);
  } catch {
    throw new InputError(field, `${path} is not readable by this user`);
  }
}
