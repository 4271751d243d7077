import { InputError } from '@pgcluster/core';
import { ACTORS, type Actor } from '@pgcluster/skill-kit';

/**
 * The periods the analytics can cover, ending now; one tuple yields the type, the check and the
 * page's choices.
 * @example PERIODS.includes('7d') // true
 */
export const PERIODS = ['1h', '6h', '24h', '7d', '30d', '90d', 'all'] as const;
/** One of {@link PERIODS}. */
export type Period = (typeof PERIODS)[number];

const PERIOD_HOURS: Readonly<Record<Period, number>> = { '1h': 1, '6h': 6, '24h': 24, '7d': 168, '30d': 720, '90d': 2160, all: Number.POSITIVE_INFINITY };

/** The filters of the skill analytics: all optional, `period` defaults to `7d`. */
export interface AnalyticsQuery {
  /** Only this skill's runs. */
  skill?: string;
  /** Only runs by this actor (cli, agent, mcp, library). */
  actor?: Actor;
  period: Period;
}

/** The skill name shape (`{category}-{action}`, kebab-case), also `audit-undo`. */
const SKILL_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const ALLOWED = ['skill', 'actor', 'period'] as const;

/**
 * Reads and checks the analytics filters from a URL's query string.
 * @throws InputError naming the parameter (`period: must be one of …`) for an unknown parameter,
 *   a repeated one, or a value that is not allowed.
 * @example parseAnalyticsQuery(new URLSearchParams('period=24h&actor=agent'))
 */
export function parseAnalyticsQuery(params: URLSearchParams): AnalyticsQuery {
  checkParams(params, ALLOWED);
  const query: AnalyticsQuery = { period: '7d' };
  const skill = params.get('skill');
  if (skill !== null && skill !== '') {
    if (skill.length > 64 || !SKILL_NAME.test(skill)) throw new InputError('skill', 'must be a skill name such as cluster-status (lowercase words joined by -, at most 64 characters)');
    query.skill = skill;
  }
  const actor = params.get('actor');
  if (actor !== null && actor !== '') {
    if (!(ACTORS as readonly string[]).includes(actor)) throw new InputError('actor', `must be one of ${ACTORS.join(', ')} (got ${JSON.stringify(actor.slice(0, 40))})`);
    query.actor = actor as Actor;
  }
  const period = params.get('period');
  if (period !== null && period !== '') {
    if (!(PERIODS as readonly string[]).includes(period)) throw new InputError('period', `must be one of ${PERIODS.join(', ')} (got ${JSON.stringify(period.slice(0, 40))})`);
    query.period = period as Period;
  }
  return query;
}

/**
 * Refuses query parameters an endpoint does not know, and repeated ones.
 * @throws InputError naming the parameter.
 */
export function checkParams(params: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (!allowed.includes(name)) {
      throw new InputError(name.slice(0, 40), allowed.length ? `unknown parameter; this endpoint takes ${allowed.join(', ')}` : 'unknown parameter; this endpoint takes none');
    }
    if (seen.has(name)) throw new InputError(name, 'given more than once');
    seen.add(name);
  }
}

/** The first hour (hours since the epoch) a period covers, ending at `nowMs`. */
export function periodStartHour(period: Period, nowMs: number): number {
  const hours = PERIOD_HOURS[period];
  return hours === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : Math.floor(nowMs / 3_600_000) - hours + 1;
}
