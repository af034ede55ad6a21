/** The simulator's public API. */
export * from './system-topology.js';
export * from './faults.js';
export * from './scenario.js';
export { generate, scenarioEndpoints } from './generate.js';
export { listScenarios, getScenario } from './scenarios.js';
export { LiveSim } from './live.js';
export { startSimServer, type SimServer } from './server.js';
export { parseRfc3339Us } from './query.js';
