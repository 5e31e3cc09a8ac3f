// The directory's store objects, in every manager's store and in a registry's own registry.db.
// `registryUser` is the kind registry users had before they became the platform's: it is only
// read, by migrate.ts, and emptied.

import { defineKind } from '../store/index.js';
import type { ApiToken, RegistryUser, Team, User } from '../types/index.js';

declare module '../store/index.js' {
  interface KindTypes {
    user: { object: User; accessor: 'users'; named: true };
    team: { object: Team; accessor: 'teams'; named: true };
    apiToken: { object: ApiToken; accessor: 'apiTokens'; indexes: 'byUser' };
    registryUser: { object: RegistryUser; accessor: 'registryUsers'; named: true };
  }
}

// Users and tokens hold only hashes, but hashes too are kept out of a copied file.
defineKind({ kind: 'user', accessor: 'users', named: true, sealed: true });
defineKind({ kind: 'team', accessor: 'teams', named: true });
defineKind({ kind: 'apiToken', accessor: 'apiTokens', sealed: true, indexes: { byUser: (t) => t.Spec.User } });
defineKind({ kind: 'registryUser', accessor: 'registryUsers', named: true, sealed: true });
