/** The simulator's public API. */
export * from './topology.js';
export * from './faults.js';
export * from './scenario.js';
export { Rng } from './random.js';
export { compileTopology, type CompiledTopology } from './compile.js';
export { Simulator, type GeneratedTrace, type SimOptions } from './simulator.js';
export {
  generate,
  scenarioEndpoints,
  generateStream,
  type Generated,
  type GenerateOptions,
  type ScenarioTruth,
} from './generate.js';
export { listScenarios, getScenario } from './scenarios.js';
export { randomTopology, type RandomTopologyOptions } from './systems/random.js';
export { shopTopology } from './systems/shop.js';
export { chainTopology } from './systems/chain.js';
export { searchTopology } from './systems/search.js';
export { Workload, type WorkloadDef } from './workload.js';
export { LiveSim, type LiveOptions, type LiveTrace, type LiveTruth } from './live.js';
export { startSimServer, type SimServer, type SimServerOptions } from './server.js';
export { OtlpPusher, type PushStats } from './push.js';
export { parseDurationUs, parseRfc3339Us, formatRfc3339Us } from './query.js';
