// @peculiar/x509, ready to use: every module takes it from here, so that the Reflect metadata
// API its dependency injection (tsyringe) needs is loaded first, and it signs with Node's WebCrypto.

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
