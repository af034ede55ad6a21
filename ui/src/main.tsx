import { render } from 'preact';
import { useState } from 'preact/hooks';
import { apiKey, type Whoami } from './api.js';
import { prepareClock } from './format.js';
import { useLoad } from './hooks.js';
import { fetchFirst, prefetch } from './prefetch.js';
import { href, useRoute } from './router.js';
import { AnomaliesScreen } from './screens/anomalies.js';
import { AnomalyScreen } from './screens/anomaly.js';
import { IncidentScreen } from './screens/incident.js';
import { IncidentsScreen } from './screens/incidents.js';
import { ModelsScreen } from './screens/models.js';
import { SessionScreen, SessionsScreen } from './screens/sessions.js';
import { TopologyScreen } from './screens/topology.js';
import { WebhooksScreen } from './screens/webhooks.js';
import './style.css';

function App() {
  const route = useRoute();
  const [keyGen, setKeyGen] = useState(0);
  const me = useLoad(() => fetchFirst<Whoami>('/v1/whoami'), [keyGen]);
  const changeKey = () => setKeyGen((g) => g + 1);

  if (me.loading && !me.data) return <p class="muted">Loading…</p>;
  if (!me.data) return <p class="error">Could not reach the API: {me.error}</p>;
  if (!me.data.role)
    return <KeyPrompt problem={apiKey.get() ? 'That key was not accepted.' : undefined} done={changeKey} />;
  const admin = me.data.role === 'admin';
  const [screen, id] = route.path;
  return (
    <>
      <header>
        <a class="brand" href={href(['anomalies'])}>
          Tracehound
        </a>
        <nav>
          <a class={!screen || screen === 'anomalies' ? 'on' : ''} href={href(['anomalies'])}>
            Anomalies
          </a>
          <a class={screen === 'incidents' ? 'on' : ''} href={href(['incidents'])}>
            Incidents
          </a>
          <a class={screen === 'sessions' ? 'on' : ''} href={href(['sessions'])}>
            Sessions
          </a>
          <a class={screen === 'topology' ? 'on' : ''} href={href(['topology'])}>
            Topology
          </a>
          <a class={screen === 'models' ? 'on' : ''} href={href(['models'])}>
            Models
          </a>
          <a class={screen === 'webhooks' ? 'on' : ''} href={href(['webhooks'])}>
            Webhooks
          </a>
        </nav>
        <span class="who">
          {me.data.auth ? `${me.data.role} key` : 'auth off'}
          {me.data.auth && (
            <button
              type="button"
              onClick={() => {
                apiKey.clear();
                changeKey();
              }}
            >
              Forget key
            </button>
          )}
        </span>
      </header>
      <main>
        <Screen screen={screen} id={id} params={route.params} admin={admin} />
      </main>
    </>
  );
}

function Screen(p: { screen?: string; id?: string; params: URLSearchParams; admin: boolean }) {
  if (p.screen === 'anomalies' && p.id)
    return <AnomalyScreen id={p.id} admin={p.admin} compare={p.params.get('compare') === '1'} />;
  if (p.screen === 'incidents')
    return p.id ? <IncidentScreen id={p.id} admin={p.admin} /> : <IncidentsScreen admin={p.admin} />;
  if (p.screen === 'sessions')
    return p.id ? <SessionScreen id={p.id} /> : <SessionsScreen params={p.params} />;
  if (p.screen === 'topology') return <TopologyScreen params={p.params} />;
  if (p.screen === 'models') return <ModelsScreen admin={p.admin} />;
  if (p.screen === 'webhooks') return <WebhooksScreen admin={p.admin} />;
  return <AnomaliesScreen params={p.params} />;
}

/** Asked when the API wants a key: kept in sessionStorage, so it is gone when the tab closes. */
function KeyPrompt({ problem, done }: { problem?: string; done: () => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="key-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        apiKey.set(key.trim());
        done();
      }}
    >
      <h1>Tracehound</h1>
      <p>This server needs an API key (TRACEHOUND_API_KEYS). It is kept for this browser tab only.</p>
      {problem && <p class="error">{problem}</p>}
      <input
        type="password"
        autoFocus
        placeholder="API key"
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
      />
      <button type="submit" disabled={!key.trim()}>
        Use key
      </button>
    </form>
  );
}

// The first request goes out before the first render rather than from its effect, and the time formatter is
// built while it is in flight. The list itself waits for /v1/whoami: without a key yet, asking for it would be
// refused (401, an error in the browser's console) whenever auth is on.
prefetch('/v1/whoami');
prepareClock();

render(<App />, document.getElementById('app')!);
