export { ReplicatedOrchestrator } from './replicated.js';
export { GlobalOrchestrator } from './global.js';
export { JobsOrchestrator } from './jobs.js';
export { TaskReaper } from './reaper.js';
export { RestartSupervisor } from './restart.js';
export { specChanged } from './tasks.js';
