export { explainTrace, type RootCause, type RootCauseKind, type ExplainOptions } from './explain.js';
export { blameLatency, type LatencyBlame } from './latency.js';
export { formatMs, formatPercent, formatCount, opName } from './format.js';
export { GapAttribution, type GapSide } from './network.js';
export { repeatedCalls, unansweredCalls, type RepeatedCalls } from './repeats.js';
export { diffuseSlowdown, type DiffuseSlowdown } from './load.js';
