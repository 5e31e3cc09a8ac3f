// The built-in registry's serving certificate under `berth up` when it listens off loopback and
// the operator gave none: issued by the cluster CA, so every agent — which holds the cluster's
// root — can have its engine verify the registry, and renewed with a new key at 50–80% of its
// life, handed to the running server without a restart. Agents learn the names it serves under
// from the dispatcher (registryAddresses).

import { issueWithKey, type CertificateAuthority } from '../ca/index.js';
import { hostPort, isLoopback } from '../common/listen.js';
import type { Logger } from '../common/log.js';
import { OU_MANAGER, renewalDelayMs } from '../common/pki.js';

const VALIDITY_MS = 90 * 24 * 3600_000;
const RETRY_MS = 60_000;

export interface ServingCertificate {
  cert: string;
  key: string;
}

export interface RenewingCertificate {
  /** What to serve from the start. */
  readonly first: ServingCertificate;
  /** The host names and addresses it is valid for. */
  readonly names: string[];
  /** renewals hands every renewed certificate to `apply`, until stop. */
  renewals(apply: (next: ServingCertificate) => void): void;
  /** renewNow issues a certificate from the CA's current signer at once (a root rotation changed it). */
  renewNow(): void;
  stop(): void;
}

export async function registryCertificate(opts: {
  ca: CertificateAuthority;
  clusterId: string;
  names: string[];
  log: Logger;
  /** Default 90 days, as the manager's cluster port certificate. */
  validityMs?: number;
}): Promise<RenewingCertificate> {
  // During a root rotation the chain carries the new root cross-signed by the old, for engines that trust only the old root.
  const issue = async (): Promise<ServingCertificate> => {
    const issued = await issueWithKey(opts.ca.root, {
      subject: { commonName: `registry.${opts.clusterId}`, role: OU_MANAGER, cluster: opts.clusterId },
      validityMs: opts.validityMs ?? VALIDITY_MS,
      names: opts.names,
    });
    return { key: issued.key, cert: issued.cert + (opts.ca.trust.chain ?? '') };
  };
  const first = await issue();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let applyTo: ((next: ServingCertificate) => void) | undefined;
  const schedule = (apply: (next: ServingCertificate) => void, delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      issue().then(
        (next) => {
          if (stopped) return;
          apply(next);
          opts.log.info('registry certificate renewed');
          schedule(apply, renewalDelayMs(next.cert));
        },
        (err: unknown) => {
          opts.log.error({ err }, 'renewing the registry certificate failed; retrying in a minute');
          schedule(apply, RETRY_MS);
        },
      );
    }, Math.min(delayMs, 2 ** 31 - 1));
    timer.unref();
  };
  return {
    first,
    names: opts.names,
    renewals: (apply) => {
      applyTo = apply;
      schedule(apply, renewalDelayMs(first.cert));
    },
    renewNow: () => {
      if (!applyTo) return;
      clearTimeout(timer);
      schedule(applyTo, 0);
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * registryAddresses: the HOST:PORTs agents may name the registry by in image references — its
 * certificate's names with the port, but the loopback ones, which mean another machine to them.
 */
export function registryAddresses(names: string[], port: number): string[] {
  return names.filter((n) => !isLoopback(n)).map((n) => hostPort(n, port));
}
