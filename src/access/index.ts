export { authorize, type RoleOf } from './authorize.js';
export { holds, isRole, leastRole, rightFor, ROLES, type ClusterRole, type Right } from './matrix.js';
