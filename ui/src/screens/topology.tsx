import { useEffect, useRef, useState } from 'preact/hooks';
import type { QualityReport } from '../../../src/traffic/quality.js';
import type { Topology } from '../../../src/traffic/service-graph.js';
import { api, query } from '../api.js';
import { ms, pct } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, replaceParams } from '../router.js';
import type { GraphHandle } from '../topology-graph.js';

const RANGES = [
  ['15 min', 15],
  ['1 h', 60],
  ['6 h', 360],
  ['24 h', 1440],
] as const;
const POLL_MS = 30_000;

/**
 * The service graph of a time range (RED per edge, anomaly heat per node; a click on a service opens the
 * anomalies it is the first root cause of) beside the trace-quality report of each service.
 */
export function TopologyScreen({ params }: { params: URLSearchParams }) {
  const minutes = Number(params.get('minutes')) || 60;
  const load = () => {
    const to = Date.now();
    const q = query({ from: to - minutes * 60_000, to });
    return Promise.all([api<Topology>(`/v1/topology${q}`), api<QualityReport>(`/v1/quality${q}`)]);
  };
  const data = useLoad(load, [minutes], POLL_MS);
  const [topo, quality] = data.data ?? [];
  return (
    <section>
      <h1>Topology</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Last
          <select
            value={minutes}
            onChange={(e) => replaceParams(['topology'], { minutes: e.currentTarget.value })}
          >
            {RANGES.map(([label, m]) => (
              <option key={m} value={m}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <span class="muted">
          Node colour: anomalies it is the first root cause of. Edges: calls/min, errors, p95. Click a service
          for its anomalies.
        </span>
      </form>
      {data.error && <p class="error">{data.error}</p>}
      {!data.data && !data.error && <p class="muted">Loading…</p>}
      {topo && (
        <div class="topology">
          <div class="graph-pane">
            {topo.nodes.length === 0 && topo.edges.length === 0 ? (
              <p class="muted">No traffic recorded in this range.</p>
            ) : (
              <Graph topology={topo} minutes={minutes} />
            )}
            <EdgeTable topology={topo} />
          </div>
          {quality && <QualityTable report={quality} />}
        </div>
      )}
    </section>
  );
}

/** The graph library is loaded with this screen only, so the first screen stays small. */
function Graph({ topology, minutes }: { topology: Topology; minutes: number }) {
  const box = useRef<HTMLDivElement>(null);
  const graph = useRef<GraphHandle | undefined>(undefined);
  const [error, setError] = useState<string>();
  const latest = useRef(topology);
  latest.current = topology;
  useEffect(() => {
    let gone = false;
    import('../topology-graph.js').then(
      ({ mountGraph }) => {
        if (gone || !box.current) return;
        graph.current = mountGraph(box.current, (service) => {
          // Every stored anomaly it caused, newest too: the range picks the graph, not the evidence.
          location.hash = href(['anomalies'], { rootCauseService: service });
        });
        graph.current.update(latest.current);
      },
      (e: Error) => setError(`could not load the graph: ${e.message}`),
    );
    return () => {
      gone = true;
      graph.current?.destroy();
      graph.current = undefined;
    };
  }, [minutes]);
  useEffect(() => graph.current?.update(topology), [topology]);
  return (
    <>
      {error && <p class="error">{error}</p>}
      <div class="graph" ref={box} data-testid="topology-graph" />
    </>
  );
}

function EdgeTable({ topology }: { topology: Topology }) {
  // Failing edges first (where to look), then the busiest.
  const failing = (e: Topology['edges'][number]) => (e.errorRate > 0.01 ? e.errorRate : 0);
  const edges = [...topology.edges].sort((a, b) => failing(b) - failing(a) || b.calls - a.calls);
  return (
    <table data-testid="edges">
      <thead>
        <tr>
          <th>caller → callee</th>
          <th class="num">calls/min</th>
          <th class="num">errors</th>
          <th class="num">p95</th>
          <th class="num">anomalous</th>
        </tr>
      </thead>
      <tbody>
        {edges.map((e) => (
          <tr key={`${e.from}->${e.to}`}>
            <td>
              {e.from} → {e.to}
            </td>
            <td class="num">{e.callsPerMin.toFixed(1)}</td>
            <td class={`num${e.errorRate > 0.01 ? ' error' : ''}`}>{pct(e.errorRate)}</td>
            <td class="num">{ms(e.p95Ms)}</td>
            <td class="num">{e.anomalous}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Per service: what makes its traces hard to trust (orphans, skew, missing parents, incomplete roots). */
function QualityTable({ report }: { report: QualityReport }) {
  return (
    <div class="quality" data-testid="quality">
      <h2>Trace quality</h2>
      {report.services.length === 0 && <p class="muted">Nothing recorded in this range.</p>}
      <table>
        <thead>
          <tr>
            <th>service</th>
            <th class="num" title="mean share of a root span covered by its children">
              complete
            </th>
            <th class="num">orphans</th>
            <th class="num" title="spans moved to fix clock skew">
              skew
            </th>
            <th class="num">no parent</th>
          </tr>
        </thead>
        <tbody>
          {report.services.map((q) => (
            <tr key={q.service} data-testid="quality-row">
              <td>{q.service}</td>
              <td class="num">{q.completeness === undefined ? '–' : pct(q.completeness)}</td>
              <td class="num">{q.orphanSpans}</td>
              <td class="num">{q.skewAdjustedSpans}</td>
              <td class="num">{q.missingParents}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
