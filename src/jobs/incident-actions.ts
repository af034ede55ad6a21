import { z } from 'zod';
import {
  INCIDENT_ACTION_KINDS,
  type ActionOutcome,
  type Incident,
  type IncidentAction,
  type IncidentActionKind,
  type IncidentEvent,
} from '../incidents/incident.js';
import { IncidentTracker } from '../incidents/tracker.js';
import {
  DEFAULT_INCIDENT_JOB_OPTIONS,
  tell,
  type IncidentJobDeps,
  type IncidentJobOptions,
  type IncidentJobResult,
  type JobState,
} from './incident-job-state.js';

/**
 * Acknowledging and resolving incidents by hand. The incident job owns the open incidents (the tracker's
 * state, their revisions, who was paged), so a person's request does not write the record itself: it is
 * queued in Redis and applied by whoever holds the job's lock, the API right away when the job is idle,
 * else the job between two minutes. Either way the revision goes up by one and the webhooks hear of it
 * once (the event ids are per incident, so a replay sends nothing twice).
 */

const QueuedActionSchema = z.object({
  id: z.string(),
  kind: z.enum(INCIDENT_ACTION_KINDS),
  at: z.iso.datetime(),
  by: z.string().optional(),
  note: z.string().optional(),
});
type QueuedAction = z.infer<typeof QueuedActionSchema>;

/** What applying actions needs of the job's wiring. */
export type ActionDeps = Pick<IncidentJobDeps, 'store' | 'notify' | 'log' | 'options'>;

/**
 * Applies the queued actions from the `skip`-th on (the earlier ones this run already applied; they are
 * dropped from the queue once the state is saved). Returns how many it applied.
 */
export async function applyActions(
  deps: ActionDeps,
  o: IncidentJobOptions,
  state: JobState,
  tracker: IncidentTracker,
  result: IncidentJobResult,
  skip = 0,
): Promise<number> {
  const queued = (await deps.store.pendingActions<unknown>()).slice(skip);
  for (const raw of queued) {
    const parsed = QueuedActionSchema.safeParse(raw);
    if (!parsed.success) {
      deps.log?.(`incident action ignored (not readable): ${JSON.stringify(raw).slice(0, 200)}`);
      continue;
    }
    const a = parsed.data;
    const e = (await fromTracker(tracker, a)) ?? patchRecord(await deps.store.get(a.id), a);
    if (e === undefined) continue;
    await deps.store.upsert(e.incident);
    await tell(deps, o, state, e, state.tracker.lastMinute ?? 0, result);
    deps.log?.(`${a.kind} ${a.id}${a.by ? ` by ${a.by}` : ''}`);
  }
  return queued.length;
}

async function fromTracker(tracker: IncidentTracker, a: QueuedAction): Promise<IncidentEvent | undefined> {
  const said: IncidentAction = { at: a.at, by: a.by, note: a.note };
  return a.kind === 'acknowledge' ? tracker.acknowledge(a.id, said) : tracker.resolve(a.id, said);
}

/**
 * An incident open in the store that the tracker does not hold (its state was lost, or is older than the
 * record): the record alone is changed, so the person's request is never silently dropped. Nothing for a
 * resolved incident or one already acknowledged.
 */
function patchRecord(rec: Incident | undefined, a: QueuedAction): IncidentEvent | undefined {
  if (rec === undefined || rec.status !== 'open') return undefined;
  const revision = rec.revision + 1;
  if (a.kind === 'acknowledge') {
    if (rec.acknowledgedAt !== undefined) return undefined;
    const incident: Incident = {
      ...rec,
      acknowledgedAt: a.at,
      ...(a.by !== undefined && { acknowledgedBy: a.by }),
      ...(a.note !== undefined && { acknowledgeNote: a.note }),
      revision,
    };
    return { type: 'incident.acknowledged', incident };
  }
  const incident: Incident = {
    ...rec,
    status: 'resolved',
    resolvedAt: a.at,
    resolvedBy: 'manual',
    ...(a.by !== undefined && { resolvedByName: a.by }),
    ...(a.note !== undefined && { resolveNote: a.note }),
    revision,
  };
  return { type: 'incident.resolved', incident };
}

/** Takes the job's lock and applies what is queued; false when the job holds the lock (it applies them). */
export async function applyQueuedActions(deps: ActionDeps): Promise<boolean> {
  const o: IncidentJobOptions = { ...DEFAULT_INCIDENT_JOB_OPTIONS, ...deps.options };
  const token = await deps.store.lock(o.lockMs);
  if (token === undefined) return false;
  try {
    const saved = await deps.store.loadState<JobState>();
    // Before the job's first run there is no tracker: the records alone are changed.
    const state: JobState = saved ?? {
      v: 1,
      idPrefix: 'unused-',
      tracker: new IncidentTracker(o.tracker).toJSON(),
      notified: {},
      marks: [],
    };
    const tracker = IncidentTracker.fromJSON(state.tracker, state.idPrefix);
    const result: IncidentJobResult = { minutes: 0, opened: 0, updated: 0, resolved: 0, notified: 0 };
    const applied = await applyActions(deps, o, state, tracker, result);
    if (saved !== undefined && applied > 0) {
      state.tracker = tracker.toJSON();
      await deps.store.saveState(state);
    }
    await deps.store.dropActions(applied);
    return true;
  } finally {
    await deps.store.unlock(token);
  }
}

export interface IncidentActionsOptions {
  /** How long a request waits for its action to be applied before answering 202. Default 10 s. */
  waitMs?: number;
  pollMs?: number;
  now?: () => number;
}

/** The API side: checks the incident, queues the action, applies it or waits for the job to. */
export class IncidentActions {
  constructor(
    private readonly deps: ActionDeps & {
      store: ActionDeps['store'] & { pushAction(a: unknown): Promise<void> };
    },
    private readonly opts: IncidentActionsOptions = {},
  ) {}

  async act(
    kind: IncidentActionKind,
    id: string,
    said: { by?: string; note?: string },
  ): Promise<ActionOutcome> {
    const now = this.opts.now ?? Date.now;
    const before = await this.deps.store.get(id);
    if (before === undefined) return { outcome: 'not-found' };
    // Asking twice changes nothing: the answer is the incident as the first request left it.
    if (before.status === 'resolved')
      return kind === 'resolve'
        ? { outcome: 'done', incident: before, applied: true }
        : { outcome: 'resolved', incident: before };
    if (kind === 'acknowledge' && before.acknowledgedAt !== undefined)
      return { outcome: 'done', incident: before, applied: true };
    const action: QueuedAction = { id, kind, at: new Date(now()).toISOString(), ...said };
    await this.deps.store.pushAction(action);
    const deadline = now() + (this.opts.waitMs ?? 10_000);
    for (;;) {
      await applyQueuedActions(this.deps);
      const rec = (await this.deps.store.get(id)) ?? before;
      const done = rec.status === 'resolved' || (kind === 'acknowledge' && rec.acknowledgedAt !== undefined);
      if (done || now() >= deadline) return { outcome: 'done', incident: rec, applied: done };
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 250));
    }
  }
}
