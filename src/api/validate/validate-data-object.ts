// SecretSpec and ConfigSpec validation, with the rules and wording of Swarm's control API
// (swarmkit manager/controlapi secret.go, config.go, common.go): names, payload size, the
// golang template driver, and updates that may change only the labels.

import { timingSafeEqual } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { formatLimit } from '../../common/json-body.js';
import { InvalidArgumentError } from '../../types/index.js';
import type { ConfigSpec, Driver, SecretSpec } from '../../types/index.js';
import { schemaChecker } from './schema-check.js';
import { configSpecSchema, secretSpecSchema } from './spec-schemas.js';

export type DataKindName = 'secret' | 'config';

/** What differs between secrets and configs at the API. */
export interface DataKind {
  kind: DataKindName;
  /** Swarm's payload limits: data must be shorter than this many bytes. */
  maxBytes: number;
  /**
   * The largest create or update body: the payload's base64 (4/3 of it, 5% more with line
   * breaks) and some 60 KiB or more for the name, labels and templating.
   */
  bodyLimit: number;
}

export const SECRET_KIND: DataKind = { kind: 'secret', maxBytes: 500 * 1024, bodyLimit: 768 * 1024 };
export const CONFIG_KIND: DataKind = { kind: 'config', maxBytes: 1000 * 1024, bodyLimit: 1536 * 1024 };

/** Swarm's rule for secret and config names (controlapi isValidConfigOrSecretName). */
const NAME_RE = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
const MAX_NAME = 64;
/** The only template driver Swarm has, and the one Berth's agents render. */
export const TEMPLATE_DRIVER = 'golang';

/** The structural checks alone, for updates (which Swarm compares with the stored spec instead). */
export const checkSecret = schemaChecker<SecretSpec>('SecretSpec', secretSpecSchema);
export const checkConfig = schemaChecker<ConfigSpec>('ConfigSpec', configSpecSchema);

export function validateSecretSpec(body: unknown): SecretSpec {
  const spec = checkSecret(body);
  checkCommon(SECRET_KIND, spec);
  if (spec.Driver) {
    // Checked before the data: with a driver, Swarm expects no data at all.
    throw new InvalidArgumentError(
      `invalid SecretSpec: secret drivers are not supported (Driver ${JSON.stringify(spec.Driver.Name ?? '')}): Berth keeps secret data in its own encrypted store; leave out Driver (docker secret create --driver) and send the data`,
    );
  }
  return { ...spec, Data: checkData(SECRET_KIND, spec.Data) };
}

export function validateConfigSpec(body: unknown): ConfigSpec {
  const spec = checkConfig(body);
  checkCommon(CONFIG_KIND, spec);
  return { ...spec, Data: checkData(CONFIG_KIND, spec.Data) };
}

/**
 * labelsOnlyUpdate gives the stored spec after an update to `requested`: Swarm lets only the
 * labels change. The name must be the same; data and templating may be sent again, unchanged.
 */
export function labelsOnlyUpdate<S extends SecretSpec | ConfigSpec>(k: DataKind, current: S, requested: S): S {
  const refuse = (): never => {
    throw new InvalidArgumentError(
      `only updates to Labels are allowed: a ${k.kind}'s name, data and templating can't change; create a new ${k.kind} and move the services to it (docker service update --${k.kind}-rm OLD --${k.kind}-add NEW)`,
    );
  };
  if (requested.Name !== current.Name) refuse();
  if (requested.Data !== undefined && !sameData(requested.Data, current.Data ?? '')) refuse();
  if (requested.Templating !== undefined && !sameDriver(requested.Templating, current.Templating)) refuse();
  if ('Driver' in requested && requested.Driver !== undefined) refuse();
  const { Labels: _old, ...rest } = current;
  return { ...rest, ...(requested.Labels && { Labels: requested.Labels }) } as S;
}

function checkCommon(k: DataKind, spec: SecretSpec | ConfigSpec): void {
  const what = k.kind === 'secret' ? 'SecretSpec' : 'ConfigSpec';
  if (!spec.Name) throw new InvalidArgumentError(`invalid ${what}: name must be provided: name the ${k.kind}, e.g. app_${k.kind}`);
  if (spec.Name.length > MAX_NAME || !NAME_RE.test(spec.Name)) {
    throw new InvalidArgumentError(
      `invalid name ${JSON.stringify(spec.Name.length > 80 ? spec.Name.slice(0, 77) + '...' : spec.Name)}: only ${MAX_NAME} [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]`,
    );
  }
  const t = spec.Templating;
  if (t && t.Name !== TEMPLATE_DRIVER) {
    throw new InvalidArgumentError(
      `invalid ${what}: unsupported template driver ${JSON.stringify(t.Name ?? '')}: Templating.Name must be "${TEMPLATE_DRIVER}" (docker ${k.kind} create --template-driver ${TEMPLATE_DRIVER}), the only driver Swarm and Berth render`,
    );
  }
}

/**
 * checkData: base64 whose decoded size is 1 byte up to Swarm's limit; returns it without line
 * breaks. The messages never echo the data.
 */
function checkData(k: DataKind, data: string | undefined): string {
  const text = (data ?? '').replace(/[\r\n]/g, '');
  if (!isBase64(text)) {
    throw new InvalidArgumentError(
      `invalid ${k.kind === 'secret' ? 'SecretSpec' : 'ConfigSpec'}: Data must be base64-encoded (standard alphabet, with padding), as the docker CLI sends it`,
    );
  }
  const bytes = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  if (bytes < 1 || bytes >= k.maxBytes) throw dataSizeError(k);
  return text;
}

/** Swarm's words for data of the wrong size (controlapi validateSecretSpec, validateConfigSpec). */
function dataSizeError(k: DataKind): InvalidArgumentError {
  return new InvalidArgumentError(`${k.kind} data must be larger than 0 and less than ${k.maxBytes} bytes`);
}

/** A body over the kind's limit can only be data too large for Swarm: its error, and the limit. */
export function dataBodyTooLarge(k: DataKind): InvalidArgumentError {
  return new InvalidArgumentError(`${dataSizeError(k).message}: the request body is over ${formatLimit(k.bodyLimit)}, the most a ${k.kind} create or update takes`);
}

/**
 * isBase64: standard base64 with padding, as Go's encoding/json reads []byte (line breaks already
 * removed). A loop, not a regular expression: a regex over a payload of megabytes overflows the
 * stack with its backtracking.
 */
function isBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  for (let i = 0; i < text.length - pad; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok) return false;
  }
  return true;
}

/** Compares payloads in constant time (for equal lengths), as Swarm does for secrets. */
function sameData(a: string, b: string): boolean {
  const x = Buffer.from(a.replace(/[\r\n]/g, ''), 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length === y.length && timingSafeEqual(x, y);
}

function sameDriver(a: Driver | undefined, b: Driver | undefined): boolean {
  return (a?.Name ?? '') === (b?.Name ?? '') && isDeepStrictEqual(a?.Options ?? {}, b?.Options ?? {});
}
