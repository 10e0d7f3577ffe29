export { Cluster } from './cluster.js';
export { type ClusterOptions, type Durability, SimulationError } from './cluster-options.js';
export { describeBallot, describeLog, describeLogEntry, describeMessage, describeState, describeValue } from './describe.js';
export { FaultyStorage } from './faulty-storage.js';
export { VolatileStorage } from './volatile-storage.js';
export { InvariantChecker, type InvariantCheckerOptions, InvariantViolation } from './invariants.js';
export { LinkMatrix, type LinkFaults, NO_FAULTS } from './link-matrix.js';
export { Prng } from '@omnipaxos/core';
export {
  applyChained,
  applyConstrainedElection,
  applyQuorumLoss,
  type PartialConnectivityScenario,
} from './scenarios.js';
export { FEATURES, type Feature, runRandomFaults, type RandomRunOptions, type RandomRunResult } from './random-run.js';
export type { CompactionMode } from './random-shape.js';
export {
  formatScript,
  parseScript,
  runScript,
  type ScriptCase,
  type ScriptResult,
  ScriptSyntaxError,
  SEPARATOR,
} from './script.js';
export * from './linearizability/index.js';
