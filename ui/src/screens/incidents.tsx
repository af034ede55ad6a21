import { api, type Incident, type Page } from '../api.js';
import { lasted, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { href } from '../router.js';
import { Silences } from './silences.js';

const POLL_MS = 10_000;

async function loadIncidents(): Promise<{ open: Incident[]; recent: Incident[] }> {
  const [open, all] = await Promise.all([
    api<Page<Incident>>('/v1/incidents?status=open&limit=100'),
    api<Page<Incident>>('/v1/incidents?status=resolved&limit=50'),
  ]);
  return { open: open.items, recent: all.items };
}

/** Incidents, the open ones first, then the recently resolved. */
export function IncidentsScreen({ admin }: { admin: boolean }) {
  const page = useLoad(loadIncidents, [], POLL_MS);
  if (page.error) return <p class="error">Could not load incidents: {page.error}</p>;
  if (!page.data) return <p class="muted">Loading…</p>;
  const { open, recent } = page.data;
  return (
    <section>
      <h1>Incidents</h1>
      <h2>Open ({open.length})</h2>
      {open.length ? <IncidentTable items={open} /> : <p class="muted">Nothing open.</p>}
      <h2>Resolved</h2>
      {recent.length ? <IncidentTable items={recent} /> : <p class="muted">None stored.</p>}
      <Silences admin={admin} />
    </section>
  );
}

function IncidentTable({ items }: { items: Incident[] }) {
  return (
    <table data-testid="incident-list">
      <thead>
        <tr>
          <th>Started</th>
          <th class="num">Lasted</th>
          <th>Endpoints</th>
          <th>Most likely cause</th>
          <th class="num">Traces</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => {
          const rc = i.rootCauses[0];
          const link = href(['incidents', i.id]);
          return (
            <tr key={i.id} data-testid="incident-row" class="link-row" onClick={() => (location.hash = link)}>
              <td class="nowrap">
                <a href={link}>{time(i.start)}</a>
              </td>
              <td class="num">{lasted(Date.parse(i.end) - Date.parse(i.start))}</td>
              <td>
                {i.endpoints.slice(0, 2).join(', ')}
                {i.endpoints.length > 2 && <span class="muted"> +{i.endpoints.length - 2}</span>}
              </td>
              <td>
                {rc ? (
                  <>
                    <b>{causeName(rc)}</b>
                    <div class="evidence">{rc.evidence}</div>
                  </>
                ) : (
                  <span class="muted">none named</span>
                )}
              </td>
              <td class="num">{i.traceCount}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function causeName(c: Incident['rootCauses'][number]): string {
  return [c.service, c.operation].filter(Boolean).join(': ') + (c.instance ? ` on ${c.instance}` : '');
}
