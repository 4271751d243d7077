/** Index methods; one tuple yields the type and the CLI choices. */
export const INDEX_METHODS = ['hnsw', 'ivfflat'] as const;
/** One of {@link INDEX_METHODS}. */
export type IndexMethod = (typeof INDEX_METHODS)[number];

/** HNSW profiles from the original design. */
export const INDEX_PROFILE_NAMES = ['accuracy', 'balanced', 'speed'] as const;
/** One of {@link INDEX_PROFILE_NAMES}. */
export type IndexProfileName = (typeof INDEX_PROFILE_NAMES)[number];

/** An HNSW profile: build parameters and the query-time `ef_search`. */
export interface IndexProfile {
  /** Links per node; applies only when the index is built. */
  m: number;
  /** Candidate list while building; applies only when the index is built. */
  efConstruction: number;
  /** Candidate list while searching; changeable any time, per query. */
  efSearch: number;
}

/**
 * The three HNSW profiles. `m` and `ef_construction` apply only when the index is built
 * (changing them needs drop + create); `ef_search` applies per query and becomes the
 * collection's default.
 *
 * @example INDEX_PROFILES.balanced // { m: 24, efConstruction: 200, efSearch: 200 }
 */
export const INDEX_PROFILES: Readonly<Record<IndexProfileName, IndexProfile>> = {
  accuracy: { m: 32, efConstruction: 400, efSearch: 400 },
  balanced: { m: 24, efConstruction: 200, efSearch: 200 },
  speed: { m: 16, efConstruction: 100, efSearch: 50 },
};

/** The honest rule, repeated in results and SKILL.md. */
export const BUILD_TIME_NOTE =
  'm and ef_construction apply only when the index is built: to change them, drop and create the index (rebuild keeps them); ef_search applies per query.';
