import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, query, type Anomaly, type Page } from '../api.js';
import { fromLocalInput, ms, time, toLocalInput } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, replaceParams } from '../router.js';
import { FirstCause } from '../first-cause.js';
import { AnomalyRates } from '../anomaly-rates.js';
import { useVirtualRows } from '../virtual-rows.js';
import { Rarity } from '../rarity.js';

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
  // The next page is asked for when the drawn rows come near the end of those loaded: one request at a time,
  // and a change of filters drops an answer still on its way.
  const pending = useRef<object | null>(null);
  // Rows a poll pushed off the first page (newer or higher-ranked ones arrived above them) while later pages
  // are loaded: the cursor of those pages was taken after them, so no page brings them again. They sort
  // between the new first page and the later pages, and stay there instead of vanishing from the list.
  const between = useRef<{ first: Anomaly[]; rows: Anomaly[] }>({ first: [], rows: [] });
  const [moreError, setMoreError] = useState<string | undefined>();
  useEffect(() => {
    seen.current = null;
    pending.current = null;
    between.current = { first: [], rows: [] };
    setMore([]);
    setCursor(undefined);
    setMoreError(undefined);
  }, [q]);

  const loadMore = async () => {
    const next = cursor ?? page.data?.nextCursor;
    if (!next || pending.current !== null) return;
    const mine = {};
    pending.current = mine;
    try {
      const p = await api<Page<Anomaly>>(`/v1/anomalies${q}&cursor=${encodeURIComponent(next)}`);
      if (pending.current !== mine) return;
      setMore((m) => [...m, ...p.items]);
      setCursor(p.nextCursor ?? '');
    } catch (e) {
      if (pending.current === mine) setMoreError((e as Error).message);
    } finally {
      if (pending.current === mine) pending.current = null;
    }
  };
  const rows = useMemo(() => {
    const first = page.data?.items ?? [];
    const ids = new Set(first.map((a) => a.id));
    const prev = between.current;
    const off = more.length === 0 ? [] : [...prev.first, ...prev.rows].filter((a) => !ids.has(a.id));
    between.current = { first, rows: off };
    for (const a of off) ids.add(a.id);
    // A poll can move a row of the first page into what later pages brought: it is shown once, where it now is.
    return [...first, ...off, ...more.filter((a) => !ids.has(a.id))];
  }, [page.data, more]);
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
        <AnomalyTable
          rows={rows}
          fresh={fresh}
          complete={!hasMore}
          nearEnd={() => hasMore && !moreError && loadMore()}
        />
      )}
      {moreError && <p class="error">Could not load more anomalies: {moreError}</p>}
    </section>
  );
}

/** Rows within this many of the last loaded one being drawn asks for the next page. */
const AHEAD = 30;

/**
 * The ranked rows in a scroll box of their own, only those in and near its view drawn (issue 16: thousands of
 * rows in the DOM made the list slow). Still a table, with each row's position among all of them
 * (aria-rowindex), so screen readers and tests find rows as before.
 */
function AnomalyTable(p: { rows: Anomaly[]; fresh: Set<string>; complete: boolean; nearEnd: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const body = useRef<HTMLTableSectionElement>(null);
  const v = useVirtualRows({
    count: p.rows.length,
    key: (i) => p.rows[i].id,
    box: () => box.current,
    offset: () => body.current?.offsetTop ?? 0,
    height: Math.round(innerHeight * 0.7),
    estimate: 50,
    overscan: 10,
  });
  const lastDrawn = v.indexes.length ? v.indexes[v.indexes.length - 1] : -1;
  useEffect(() => {
    if (lastDrawn >= p.rows.length - AHEAD) p.nearEnd();
  }, [lastDrawn, p.rows.length]);
  return (
    <div class="anomaly-box" ref={box} tabIndex={0} role="region" aria-label="Anomaly list">
      <table class="anomalies" data-testid="anomaly-list" aria-rowcount={p.complete ? p.rows.length + 1 : -1}>
        <thead>
          <tr aria-rowindex={1}>
            <th class="c-time">Time</th>
            <th>Endpoint</th>
            <th class="num c-dur">Duration</th>
            <th class="num c-score">Score</th>
            <th class="c-cause">First root cause</th>
          </tr>
        </thead>
        <tbody ref={body}>
          {v.before > 0 && <Spacer height={v.before} />}
          {v.indexes.map((i) => (
            <AnomalyRow
              key={p.rows[i].id}
              a={p.rows[i]}
              index={i}
              fresh={p.fresh.has(p.rows[i].id)}
              measure={v.measure}
            />
          ))}
          {v.after > 0 && <Spacer height={v.after} />}
        </tbody>
      </table>
      {!p.complete && <p class="muted">More rows load as you scroll down.</p>}
    </div>
  );
}

/** Stands in for the rows not drawn, so the scroll bar stays true to all the loaded ones. */
function Spacer({ height }: { height: number }) {
  return (
    <tr aria-hidden="true" class="spacer">
      <td colSpan={5} style={{ height: `${height}px` }} />
    </tr>
  );
}

function AnomalyRow(p: {
  a: Anomaly;
  index: number;
  fresh: boolean;
  measure: (el: HTMLElement | null) => void;
}) {
  const { a } = p;
  const rc = a.rootCauses[0];
  const link = href(['anomalies', a.id]);
  return (
    <tr
      ref={p.measure}
      class={p.fresh ? 'fresh' : undefined}
      data-testid="anomaly-row"
      data-id={a.id}
      data-index={p.index}
      aria-rowindex={p.index + 2}
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
        <Rarity surprise={a.surprise} score={a.score} />
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
