import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';

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
  // A layout effect: the request goes out as the screen is drawn, not a frame later (useEffect waits for the
  // next animation frame, which on a busy machine is what the first screen's rows wait on).
  useLayoutEffect(() => {
    setState({ loading: true });
    run();
    if (!pollMs) return;
    const t = setInterval(run, pollMs);
    return () => clearInterval(t);
  }, [run, pollMs]);
  return { ...state, reload: run };
}
