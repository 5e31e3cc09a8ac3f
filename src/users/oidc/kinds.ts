// The OIDC configuration (one object, ID "oidc": its secret and state key sealed) and the login
// states already answered.

import { defineKind } from '../../store/index.js';
import type { OidcConfig, OidcUsedState } from '../../types/index.js';

declare module '../../store/index.js' {
  interface KindTypes {
    oidcConfig: { object: OidcConfig; accessor: 'oidcConfigs' };
    oidcUsedState: { object: OidcUsedState; accessor: 'oidcUsedStates' };
  }
}

export const OIDC_CONFIG_ID = 'oidc';

defineKind({ kind: 'oidcConfig', accessor: 'oidcConfigs', sealed: true });
defineKind({ kind: 'oidcUsedState', accessor: 'oidcUsedStates' });
