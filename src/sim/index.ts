// chimney-host/sim: the simulator (browser-safe: no Node API here; the CLI adds the file system).
export { readScenario, ScenarioError } from './scenario.js';
export type { Scenario, ScenarioEvent, FlowSizes } from './scenario.js';
export { simulate, parseCdf, sampleCdf } from './simulate.js';
export type { SimulationResult, SimulateOptions, Sample } from './simulate.js';
export { renderReport, renderCharts, CHART_CSS } from './report.js';
