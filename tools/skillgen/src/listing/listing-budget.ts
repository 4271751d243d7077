import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SkillProblem } from '../errors/skillgen-error';
import { MAX_DESCRIPTION_LENGTH, type ScannedSkill } from '../scan/scan-skills';

/**
 * The always-on budget of the skill listing. Claude Code puts every installed skill's name and
 * description into every session (about 1% of the context window); past its budget it drops
 * descriptions and those skills no longer trigger by themselves. The whole set, including the
 * skills still to come, must fit in `tokens`.
 */
export const LISTING_BUDGET = {
  tokens: 1500,
  /**
   * How many skills the set is planned to hold: today's, the 12 domain skills still to come
   * (monitoring-health/performance/alerts/logs, maintenance-optimize/vacuum/analyze/reindex/sessions,
   * security-audit/rotate/encrypt/compliance) and workflows. Slots not declared yet are reserved at
   * the per-skill maximum.
   */
  skills: 25,
  /** The name length of a reserved slot (the longest planned name: `monitoring-performance`). */
  reservedNameLength: 22,
} as const;

/** Where `skillgen --measure-listing` records Claude Code's own projection, relative to the root. */
export const MEASURED_LISTING_FILE = 'tools/skillgen/listing-measured.json';

/** What the listing shows of a skill or a workflow, and where its description is declared. */
export type ListedEntry = Pick<ScannedSkill, 'name' | 'description' | 'file' | 'line' | 'fieldLines'>;

/** Claude Code's projection of the listing, as `skillgen --measure-listing` recorded it. */
export interface MeasuredListing {
  /** `Always-on` of `claude --plugin-dir D plugin details NAME`. */
  alwaysOnTokens: number;
  skills: number;
  /** `claude --version`. */
  claudeCode: string;
  date: string;
  /** {@link listingFingerprint} of the names and descriptions it measured. */
  fingerprint: string;
}

/** What the listing costs: skillgen's estimate now, with reserved slots, and the last measurement. */
export interface ListingReport {
  skills: number;
  estimatedTokens: number;
  reservedSlots: number;
  projectedTokens: number;
  measured?: MeasuredListing & { current: boolean };
}

/**
 * skillgen's estimate of one skill's always-on cost, in tokens: about four characters a token
 * over its name and description plus a few of framing (calibrated against `claude plugin details`,
 * which rounds each skill to the nearest 10).
 *
 * @example
 * ```ts
 * listingTokens({ name: 'cluster-status', description: 'Checks every node… Use when…' }) // ≈ 55
 * ```
 */
export function listingTokens(skill: Pick<ScannedSkill, 'name' | 'description'>): number {
  return Math.ceil((skill.name.length + skill.description.length + 8) / 4);
}

/** A stable hash of every name and description: tells whether a measurement is of the current set. */
export function listingFingerprint(skills: readonly Pick<ScannedSkill, 'name' | 'description'>[]): string {
  const hash = createHash('sha256');
  for (const s of [...skills].sort((a, b) => (a.name < b.name ? -1 : 1))) hash.update(`${s.name}\n${s.description}\n`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Checks the listing budget: today's skills plus the reserved slots (at the per-skill maximum)
 * must fit in {@link LISTING_BUDGET}.tokens. The problem, if any, points at the longest description.
 *
 * @example
 * ```ts
 * const { report, problems } = checkListingBudget(root, skills)
 * ```
 */
export function checkListingBudget(root: string, skills: readonly ListedEntry[]): { report: ListingReport; problems: SkillProblem[] } {
  const estimatedTokens = skills.reduce((sum, s) => sum + listingTokens(s), 0);
  const reservedSlots = Math.max(0, LISTING_BUDGET.skills - skills.length);
  const slot = listingTokens({ name: 'x'.repeat(LISTING_BUDGET.reservedNameLength), description: 'x'.repeat(MAX_DESCRIPTION_LENGTH) });
  const projectedTokens = estimatedTokens + reservedSlots * slot;
  const report: ListingReport = { skills: skills.length, estimatedTokens, reservedSlots, projectedTokens };
  const measured = readMeasuredListing(root);
  if (measured) report.measured = { ...measured, current: measured.fingerprint === listingFingerprint(skills) };
  const problems: SkillProblem[] = [];
  const longest = [...skills].sort((a, b) => b.description.length - a.description.length)[0];
  if (projectedTokens > LISTING_BUDGET.tokens && longest) {
    problems.push({
      file: longest.file,
      line: longest.fieldLines['description'] ?? longest.line,
      rule: 'listing-budget',
      message:
        `the skill listing would take ~${projectedTokens} tokens always-on (${skills.length} skills ~${estimatedTokens}, plus ${reservedSlots} ` +
        `reserved slots of ~${slot}), over the budget of ${LISTING_BUDGET.tokens}: shorten descriptions (this one is the longest, ` +
        `${longest.description.length} characters) and move detail to \`details\`, \`whenToUse\` or \`interpret\``,
    });
  }
  return { report, problems };
}

function readMeasuredListing(root: string): MeasuredListing | undefined {
  const path = join(root, MEASURED_LISTING_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as MeasuredListing;
}
