import { api } from './api.js';

/**
 * Requests started before the component that reads them is drawn (main.tsx: /v1/whoami as the script starts),
 * so the first answer does not wait for the first render and its effects.
 */
const early = new Map<string, Promise<unknown>>();

export function prefetch(path: string): void {
  const p = api(path);
  // Failed: whoever takes it asks again, so the failure itself goes unheard here.
  p.catch(() => undefined);
  early.set(path, p);
}

/**
 * The answer of a prefetch of `path`, once (a later call, e.g. after a key change, asks the API); a prefetch
 * that failed is asked again.
 */
export function fetchFirst<T>(path: string): Promise<T> {
  const p = early.get(path) as Promise<T> | undefined;
  if (!p) return api<T>(path);
  early.delete(path);
  return p.catch(() => api<T>(path));
}
