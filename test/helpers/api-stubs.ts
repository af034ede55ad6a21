import type { ApiDeps } from '../../src/api/index.js';
import type { AnomalyStore } from '../../src/store/anomalies.js';

export const READ_KEY = 'read-key-0123456789';
export const ADMIN_KEY = 'admin-key-0123456789';
export const KEYS = new Map([
  [READ_KEY, 'read' as const],
  [ADMIN_KEY, 'admin' as const],
]);

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** Deps with nothing optional wired, plus whatever a test adds. */
export function baseDeps(over: Partial<ApiDeps> = {}): ApiDeps {
  return {
    health: async () => ({ redis: true, workers: true, models: true }),
    metrics: async () => '# HELP up 1\n# TYPE up gauge\nup 1\n',
    apiKeys: KEYS,
    ...over,
  };
}

/** An anomaly store that answers empty: for tests about the HTTP layer, not storage. */
export function emptyAnomalies(): NonNullable<ApiDeps['anomalies']> {
  const store: Pick<AnomalyStore, 'list' | 'get' | 'feedback' | 'stats'> = {
    list: async () => ({ items: [] }),
    get: async () => undefined,
    feedback: async () => undefined,
    stats: async () => ({ total: 0, services: [], endpoints: [], rootCauseServices: [] }),
  };
  return store;
}
