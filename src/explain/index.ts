export { explainTrace, type RootCause, type RootCauseKind, type ExplainOptions } from './explain.js';
export { blameLatency, type LatencyBlame } from './latency.js';
export { formatMs, formatPercent, formatCount, opName } from './format.js';
