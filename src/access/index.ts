export { authorize } from './authorize.js';
export { callers, FORWARDED_CALLER_HEADER, type Callers, type CallerSources, type RequestCaller } from './caller.js';
export { holds, isRole, leastRole, rightFor, ROLES, type ClusterRole, type Right } from './matrix.js';
export { ownedBy, STACK_LABEL, TEAM_LABEL } from './scope.js';
