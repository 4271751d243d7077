import { redactUrl } from '@pgcluster/core';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/**
 * Turns zod issues into one line per problem that names the field path and what is
 * allowed: `input.limit: expected number, received string`. zod's generic prefixes
 * ("Invalid input: ") are dropped; custom messages are kept as written.
 *
 * @param root the name of the validated value, e.g. `input` or `data`.
 * @example
 * ```ts
 * const r = Input.safeParse({ limit: 'ten' })
 * if (!r.success) describeInputIssues(r.error) // ['input.limit: expected number, received string']
 * ```
 */
export function describeInputIssues(error: z.ZodError, root = 'input'): string[] {
  return error.issues.flatMap((issue) => describeIssue(issue, root));
}

function describeIssue(issue: Issue, root: string): string[] {
  const at = fieldPath(root, issue.path);
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${fieldPath(at, [key])}: unknown field`);
  if (issue.code === 'invalid_union') {
    const expected = issue.errors.flat().filter((e) => e.code === 'invalid_type' && e.path.length === 0);
    if (expected.length > 0 && expected.length === issue.errors.length) {
      return [`${at}: expected ${expected.map((e) => (e as { expected: string }).expected).join(' or ')}`];
    }
  }
  // Security: a custom message might echo a value; URLs in it lose their password.
  return [`${at}: ${redactUrl(plainMessage(issue.message))}`];
}

function plainMessage(message: string): string {
  const text = message.replace(/^(Invalid (input|option|string|value|key|element|date|number)|Too (small|big)):\s*/, '');
  return text.length > 0 ? text : message;
}

function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`), root);
}
