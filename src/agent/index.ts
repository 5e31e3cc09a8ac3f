// The node agent: find or start the engine, describe the node, run the tasks the manager assigns.
// The session (session.ts) talks to the manager and drives a Worker with the assignments.

export { Agent, type AgentOptions } from './session.js';
export { connectEngine, connectPodman, type EngineConnection, type EngineOptions } from './engine.js';
export { describeNode, type DescribeOptions } from './describe.js';
export {
  containerConfig,
  containerLabels,
  containerName,
  stopGraceSeconds,
  LABEL_NODE,
  LABEL_SERVICE,
  LABEL_SLOT,
  LABEL_TASK,
} from './container-config.js';
export { TaskController, type ContainerState, type StartedContainer } from './controller.js';
export { TaskError, isTemporary, engineMessage } from './engine-errors.js';
export { Worker, type WorkerOptions } from './worker.js';
export { buildBusyboxImage, DEMO_IMAGE } from './image-build.js';
