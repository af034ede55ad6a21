import { useState } from 'preact/hooks';
import { api, type EndpointInfo, type ModelInfo } from '../api.js';
import { pct, time } from '../format.js';
import { useLoad } from '../hooks.js';

const POLL_MS = 5_000;

type ModelVersion = ModelInfo['versions'][number];

interface Row {
  endpoint: string;
  model?: ModelInfo;
  /** Traces scored since counting began (from /v1/endpoints). */
  scored?: number;
}

/**
 * Every endpoint that has traffic or a model: the model list is the registry and the training reservoirs,
 * the endpoint list adds scored traffic (and endpoints seen there only, which have no model yet).
 */
async function loadRows(): Promise<Row[]> {
  const [models, endpoints] = await Promise.all([
    api<{ items: ModelInfo[] }>('/v1/models'),
    api<{ items: EndpointInfo[] }>('/v1/endpoints'),
  ]);
  const rows = new Map<string, Row>();
  for (const m of models.items) rows.set(m.endpoint, { endpoint: m.endpoint, model: m });
  for (const e of endpoints.items) {
    const r = rows.get(e.endpoint) ?? { endpoint: e.endpoint };
    r.scored = e.scored;
    rows.set(e.endpoint, r);
  }
  return [...rows.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
}

/** Per endpoint its model: the active version, why there is none, the kept versions; admin keys act on them. */
export function ModelsScreen({ admin }: { admin: boolean }) {
  const rows = useLoad(loadRows, [], POLL_MS);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const act = async (run: () => Promise<string>) => {
    try {
      setNotice(await run());
      setError(undefined);
      rows.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const retrain = (endpoints?: string[]) =>
    act(async () => {
      const r = await api<{ jobId: string }>('/v1/models/retrain', {
        method: 'POST',
        body: endpoints ? { endpoints } : {},
      });
      return `Retrain queued (job ${r.jobId}) for ${endpoints ? endpoints.join(', ') : 'every endpoint'}.`;
    });
  const activate = (endpoint: string, version: number, what: string) =>
    act(async () => {
      await api(`/v1/models/${encodeURIComponent(endpoint)}/activate`, { method: 'POST', body: { version } });
      return `${what}: ${endpoint} now scores with v${version}.`;
    });

  if (rows.error && !rows.data) return <p class="error">Could not load models: {rows.error}</p>;
  if (!rows.data) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h1>Models</h1>
      {admin && (
        <p class="actions">
          <button type="button" onClick={() => void retrain()}>
            Retrain all now
          </button>
        </p>
      )}
      {notice && (
        <p class="notice" data-testid="models-notice">
          {notice}
        </p>
      )}
      {error && <p class="error">{error}</p>}
      {rows.data.length === 0 && <p class="muted">No endpoint has been seen yet.</p>}
      {rows.data.map((r) => (
        <EndpointModel
          key={r.endpoint}
          row={r}
          admin={admin}
          retrain={() => void retrain([r.endpoint])}
          activate={(v, what) => void activate(r.endpoint, v, what)}
        />
      ))}
    </section>
  );
}

function EndpointModel({
  row,
  admin,
  retrain,
  activate,
}: {
  row: Row;
  admin: boolean;
  retrain: () => void;
  activate: (version: number, what: string) => void;
}) {
  const m = row.model;
  const status = m?.status ?? 'none';
  const versions = [...(m?.versions ?? [])].sort((a, b) => b.version - a.version);
  // Rolling back is activating the newest kept version older than the active one.
  const previous =
    m?.activeVersion === undefined ? undefined : versions.find((v) => v.version < m.activeVersion!);
  return (
    <div class="model" data-testid="model" data-endpoint={row.endpoint}>
      <h2>
        {row.endpoint}{' '}
        <span class={`status model-${status}`} data-testid="model-status">
          {statusText(m)}
        </span>
      </h2>
      <p class="facts">
        {m?.activeVersion !== undefined && (
          <span data-testid="active-version">
            active <b>v{m.activeVersion}</b>
          </span>
        )}
        {row.scored !== undefined && <span>{row.scored.toLocaleString()} traces scored</span>}
        {m?.reservoir && (
          <span>
            {m.reservoir.seen.toLocaleString()} seen for training, {m.reservoir.kept.toLocaleString()} kept (
            {m.reservoir.needed.toLocaleString()} needed)
          </span>
        )}
      </p>
      {(m?.reason || !m) && (
        <p class="muted" data-testid="model-reason">
          {m?.reason ?? 'No model and no training traffic kept yet.'}
        </p>
      )}
      {admin && (
        <p class="actions">
          <button type="button" onClick={retrain}>
            Retrain now
          </button>
          {previous && (
            <button type="button" onClick={() => activate(previous.version, 'Rolled back')}>
              Roll back to v{previous.version}
            </button>
          )}
        </p>
      )}
      {versions.length > 0 && (
        <VersionTable versions={versions} admin={admin} activate={(v) => activate(v, 'Activated')} />
      )}
    </div>
  );
}

function statusText(m?: ModelInfo): string {
  if (!m || m.status === 'none') return 'no model';
  if (m.status === 'active') return 'trained';
  return m.status;
}

function VersionTable({
  versions,
  admin,
  activate,
}: {
  versions: ModelVersion[];
  admin: boolean;
  activate: (version: number) => void;
}) {
  return (
    <table class="versions">
      <thead>
        <tr>
          <th>Version</th>
          <th>Trained</th>
          <th class="num">Traces</th>
          <th class="num" title="the share of held-out normal traces it flagged, against the target rate">
            Held-out flag rate
          </th>
          <th class="num">Active's then</th>
          <th>Promotion</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {versions.map((v) => (
          <tr
            key={v.version}
            data-testid="model-version"
            data-version={v.version}
            class={v.active ? 'on' : ''}
          >
            <td>
              v{v.version}
              {v.active && <span class="badge on">active</span>}
            </td>
            <td class="nowrap">{time(v.createdAt)}</td>
            <td class="num">{v.traces?.toLocaleString() ?? '–'}</td>
            <td class="num">{v.heldOut ? <HeldOut h={v.heldOut} /> : '–'}</td>
            <td class="num">
              {v.heldOut?.activeFlagRate !== undefined ? rate(v.heldOut.activeFlagRate) : '–'}
            </td>
            <td class="small">{v.note ?? <span class="muted">not recorded</span>}</td>
            <td class="num">
              {admin && !v.active && (
                <button type="button" onClick={() => activate(v.version)}>
                  Activate
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function HeldOut({ h }: { h: NonNullable<ModelVersion['heldOut']> }) {
  return (
    <span title={`${h.traces} held-out traces${h.noise !== undefined ? `, noise ±${rate(h.noise)}` : ''}`}>
      {rate(h.flagRate)} <span class="muted">(target {rate(h.targetFpr)})</span>
    </span>
  );
}

/** False-positive rates are around 1%: a whole percent would hide the differences promotion looks at. */
function rate(v: number): string {
  return v >= 0.1 ? pct(v) : `${(v * 100).toFixed(2)}%`;
}
