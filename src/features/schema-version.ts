/**
 * Version of the profile and of the scalar vector. Bump it whenever a feature is added, removed,
 * reordered or changes meaning: models trained on vectors of another version must not score these.
 * A file of its own because both the profile (which stamps it) and the catalogue (which describes the
 * profile) answer to it.
 */
export const FEATURE_SCHEMA_VERSION = 2;
