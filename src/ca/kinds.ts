// The CA's store objects: the records of the API client certificates it issued (never their keys).

import { defineKind } from '../store/index.js';
import type { ClientCertificate } from '../types/index.js';

declare module '../store/index.js' {
  interface KindTypes {
    clientCertificate: { object: ClientCertificate; accessor: 'clientCertificates' };
  }
}

defineKind({ kind: 'clientCertificate', accessor: 'clientCertificates' });
