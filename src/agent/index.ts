// The node agent: find or start the engine, describe the node, run the tasks the manager assigns.
// The session (session/session.ts) talks to the manager and drives a Worker with the assignments.

export { Agent, type AgentOptions } from './session/session.js';
export { connectEngine, connectPodman, type EngineConnection, type EngineOptions } from './engine/engine.js';
export { describeNode, type DescribeOptions } from './engine/describe.js';
export {
  containerConfig,
  containerLabels,
  containerName,
  stopGraceSeconds,
  LABEL_NODE,
  LABEL_SERVICE,
  LABEL_SLOT,
  LABEL_TASK,
} from './tasks/container-config.js';
export { TaskController, type ContainerState, type StartedContainer } from './tasks/controller.js';
export { TaskError, isTemporary, engineMessage } from './engine/engine-errors.js';
export { Worker, type WorkerOptions } from './tasks/worker.js';
export { buildBusyboxImage, DEMO_IMAGE } from './engine/image-build.js';
export { join as joinCluster, JoinError } from './session/manager-client.js';
