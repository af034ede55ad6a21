import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads once per change of `deps` (the caller lists what `load` reads), and again every `pollMs` when given:
 * a poll replaces the data quietly, a change of deps starts from empty.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const gen = useRef(0);
  const run = useCallback(() => {
    const g = ++gen.current;
    load().then(
      (data) => g === gen.current && setState({ data, loading: false }),
      (e: Error) =>
        g === gen.current && setState((s) => ({ data: s.data, error: e.message, loading: false })),
    );
  }, deps);
  useEffect(() => {
    setState({ loading: true });
    run();
    if (!pollMs) return;
    const t = setInterval(run, pollMs);
    return () => clearInterval(t);
  }, [run, pollMs]);
  return { ...state, reload: run };
}
