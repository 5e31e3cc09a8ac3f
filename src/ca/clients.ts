// Client certificates for the API: the docker CLI's model (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH
// with ca.pem, cert.pem, key.pem). The CA signs a client's CSR with OU berth-client, so a node's
// certificate — which chains to the same root — is never taken for a client's. Each issued
// certificate is recorded by serial and can be revoked; the API checks the record on every
// connection and request.

import { certFacts, OU_CLIENT } from '../common/pki.js';
import type { Store } from '../store/index.js';
import { AmbiguousError, InvalidArgumentError, NotFoundError, type ClientCertificate, type ClusterRole } from '../types/index.js';
import type { CertificateAuthority } from './authority.js';
import { checkRequest, issue } from './issue.js';

/** A year, like the bundles `docker-machine` makes; a bundle is re-issued, not renewed. */
export const CLIENT_CERT_VALIDITY_MS = 365 * 24 * 3600_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const ROLES: readonly ClusterRole[] = ['viewer', 'operator', 'admin'];

export interface IssuedClient {
  ID: string;
  Certificate: string;
  RootCA: string;
}

export class ClientCertificates {
  constructor(
    private readonly store: Store,
    private readonly ca: CertificateAuthority,
  ) {}

  /** issue signs a client certificate for `name` (the CN) and records it with its role (default admin). */
  async issue(name: unknown, csrPem: unknown, role: unknown = 'admin'): Promise<IssuedClient> {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new InvalidArgumentError('invalid Name: a client certificate names its user with 1 to 64 letters, digits, "_", ".", "@" or "-", starting with a letter or digit');
    }
    if (!ROLES.includes(role as ClusterRole)) throw new InvalidArgumentError(`invalid Role ${JSON.stringify(role)}: one of ${ROLES.join(', ')} (docs/access.md)`);
    const { publicKey } = await checkRequest(csrPem);
    const cluster = this.store.view((tx) => tx.cluster()!.ID);
    const certificate = await issue(this.ca.root, publicKey, {
      subject: { commonName: name, role: OU_CLIENT, cluster },
      validityMs: CLIENT_CERT_VALIDITY_MS,
    });
    const facts = certFacts(certificate);
    // A certificate named after a directory user acts for them, never beyond their own role.
    this.store.update((tx) => {
      const user = tx.users.byName(name);
      tx.clientCertificates.create({ ID: facts.serial, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Role: role as ClusterRole, ...(user && { User: name }) }, NotAfter: facts.notAfter });
    });
    return { ID: facts.serial, Certificate: certificate, RootCA: this.ca.rootPem };
  }

  list(): ClientCertificate[] {
    return this.store.view((tx) => tx.clientCertificates.list()).sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt));
  }

  /** revoke marks the certificate with this serial, or the only live one of this name, as revoked. */
  revoke(ref: string): ClientCertificate {
    return this.store.update((tx) => {
      const all = tx.clientCertificates.list();
      const byId = tx.clientCertificates.get(ref.toLowerCase());
      const byName = all.filter((c) => c.Spec.Name === ref && !c.Revoked);
      if (!byId && byName.length > 1) throw new AmbiguousError(`${byName.length} certificates are issued to ${ref}: revoke them by ID (berth cert ls)`);
      const cert = byId ?? byName[0];
      if (!cert) throw new NotFoundError(`client certificate ${ref} not found`);
      if (cert.Revoked) return cert;
      return tx.clientCertificates.update({ ...cert, Revoked: new Date().toISOString() });
    });
  }

  /** get is the record of the certificate with this serial, revoked or not. */
  get(serial: string): ClientCertificate | undefined {
    return this.store.view((tx) => tx.clientCertificates.get(serial.toLowerCase()));
  }

  /** allowed says whether a verified client certificate's serial is one the CA issued and did not revoke. */
  allowed(serial: string): boolean {
    const cert = this.store.view((tx) => tx.clientCertificates.get(serial.toLowerCase()));
    return !!cert && !cert.Revoked;
  }
}
