import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, query, type Anomaly, type Page } from '../api.js';
import { fromLocalInput, ms, time, toLocalInput } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, replaceParams } from '../router.js';
import { FirstCause } from '../first-cause.js';
import { AnomalyRates } from '../anomaly-rates.js';

/** How often the list asks for new anomalies. */
const POLL_MS = 5000;
const PAGE = 100;

const FILTERS = ['order', 'service', 'endpoint', 'rootCauseService', 'from', 'to', 'minScore'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

interface Catalog {
  services: string[];
  endpoints: string[];
}

async function loadCatalog(): Promise<Catalog> {
  const [s, e] = await Promise.all([
    api<{ items: { service: string }[] }>('/v1/services'),
    api<{ items: { endpoint: string }[] }>('/v1/endpoints'),
  ]);
  return { services: s.items.map((x) => x.service), endpoints: e.items.map((x) => x.endpoint) };
}

/** The first screen: stored anomalies ranked by score or time, filtered, new ones arriving without a reload. */
export function AnomaliesScreen({ params }: { params: URLSearchParams }) {
  const filters: Filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined]));
  const set = (k: keyof Filters, v: string | undefined) =>
    replaceParams(['anomalies'], { ...filters, [k]: v });
  const [more, setMore] = useState<Anomaly[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const q = query({
    ...filters,
    from: filters.from && fromLocalInput(filters.from),
    to: filters.to && fromLocalInput(filters.to),
    limit: PAGE,
    view: 'summary',
  });
  const page = useLoad(() => api<Page<Anomaly>>(`/v1/anomalies${q}`), [q], POLL_MS);
  // The filters' options wait for the first answer about rows (later filter changes keep them): the rows are
  // what the screen is for, and the catalog's requests would otherwise share the server with the list's.
  const answered = useRef(false);
  if (page.data !== undefined || page.error !== undefined) answered.current = true;
  const listed = answered.current;
  const catalog = useLoad(() => (listed ? loadCatalog() : Promise.resolve(undefined)), [listed], 60_000);

  // Rows that were not there at the previous poll are marked new until the next one.
  const seen = useRef<Set<string> | null>(null);
  const fresh = useMemo(() => {
    const ids = page.data?.items.map((a) => a.id) ?? [];
    const before = seen.current;
    seen.current = new Set(ids);
    return new Set(before ? ids.filter((id) => !before.has(id)) : []);
  }, [page.data]);
  useEffect(() => {
    seen.current = null;
    setMore([]);
    setCursor(undefined);
  }, [q]);

  const loadMore = async () => {
    const next = cursor ?? page.data?.nextCursor;
    if (!next) return;
    const p = await api<Page<Anomaly>>(`/v1/anomalies${q}&cursor=${encodeURIComponent(next)}`);
    setMore((m) => [...m, ...p.items]);
    setCursor(p.nextCursor ?? '');
  };
  const rows = [...(page.data?.items ?? []), ...more];
  const hasMore = cursor === undefined ? !!page.data?.nextCursor : cursor !== '';

  return (
    <section>
      <h1>Anomalies</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Rank by
          <select value={filters.order ?? 'score'} onChange={(e) => set('order', e.currentTarget.value)}>
            <option value="score">score</option>
            <option value="time">time</option>
          </select>
        </label>
        <Choice
          label="Service"
          name="service"
          value={filters.service}
          options={catalog.data?.services}
          set={set}
        />
        <Choice
          label="Endpoint"
          name="endpoint"
          value={filters.endpoint}
          options={catalog.data?.endpoints}
          set={set}
        />
        <Choice
          label="Root cause in"
          name="rootCauseService"
          value={filters.rootCauseService}
          options={catalog.data?.services}
          set={set}
        />
        <label>
          From
          <input
            type="datetime-local"
            value={filters.from ?? ''}
            onChange={(e) => set('from', e.currentTarget.value)}
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            value={filters.to ?? ''}
            onChange={(e) => set('to', e.currentTarget.value)}
          />
        </label>
        <label>
          Min score
          <input
            type="number"
            min="0"
            max="1"
            step="0.05"
            value={filters.minScore ?? ''}
            onChange={(e) => set('minScore', e.currentTarget.value)}
          />
        </label>
        <button type="button" onClick={() => set('from', toLocalInput(Date.now() - 3_600_000))}>
          Last hour
        </button>
        <button type="button" onClick={() => replaceParams(['anomalies'], {})}>
          Clear
        </button>
      </form>
      {listed && (
        <AnomalyRates
          endpoint={filters.endpoint}
          from={filters.from ? fromLocalInput(filters.from) : undefined}
          to={filters.to ? fromLocalInput(filters.to) : undefined}
          pick={(endpoint) => set('endpoint', endpoint)}
        />
      )}
      {page.error && <p class="error">Could not load anomalies: {page.error}</p>}
      {!page.data && page.loading && <p class="muted">Loading…</p>}
      {page.data && rows.length === 0 && (
        <p class="muted">No anomalies match. New ones appear here as they are found.</p>
      )}
      {rows.length > 0 && (
        <table class="anomalies" data-testid="anomaly-list">
          <thead>
            <tr>
              <th>Time</th>
              <th>Endpoint</th>
              <th class="num">Duration</th>
              <th class="num">Score</th>
              <th>First root cause</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <AnomalyRow key={a.id} a={a} fresh={fresh.has(a.id)} />
            ))}
          </tbody>
        </table>
      )}
      {hasMore && (
        <button type="button" onClick={loadMore}>
          More
        </button>
      )}
    </section>
  );
}

function AnomalyRow({ a, fresh }: { a: Anomaly; fresh: boolean }) {
  const rc = a.rootCauses[0];
  const link = href(['anomalies', a.id]);
  return (
    <tr
      class={fresh ? 'fresh' : undefined}
      data-testid="anomaly-row"
      data-id={a.id}
      onClick={() => (location.hash = link)}
    >
      <td class="nowrap">{time(a.startTime)}</td>
      <td>
        <a href={link}>
          {a.service}: {a.operation}
        </a>
      </td>
      <td class="num">{ms(a.durationMs)}</td>
      <td class="num">
        <span class="score" style={{ '--s': a.score }}>
          {a.score.toFixed(2)}
        </span>
      </td>
      <td>
        <FirstCause cause={rc} none="none named" />
      </td>
    </tr>
  );
}

function Choice(props: {
  label: string;
  name: keyof Filters;
  value?: string;
  options?: string[];
  set: (k: keyof Filters, v: string | undefined) => void;
}) {
  return (
    <label>
      {props.label}
      <select
        value={props.value ?? ''}
        onChange={(e) => props.set(props.name, e.currentTarget.value || undefined)}
      >
        <option value="">any</option>
        {props.value && !props.options?.includes(props.value) && (
          <option value={props.value}>{props.value}</option>
        )}
        {props.options?.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
