// DistributionInspect: an image's manifest descriptor and platforms, asked of its registry with
// the caller's X-Registry-Auth. `docker service create` uses it to pin the service's image to a
// digest (name:tag@sha256:...) and to set the placement platforms, so every node runs the same
// image. Like dockerd, loopback registries count as insecure: HTTPS without verifying the
// certificate, then plain HTTP. The cluster's own registry is verified against the cluster root.

import { isLoopback } from '../../common/listen.js';
import { RegistryClient, type Manifest } from '../../common/registry-client.js';
import type { Credentials } from '../../common/registry-auth.js';
import { decodeAuth } from '../../common/pull-auth.js';
import { NotFoundError, UnauthorizedError, UnavailableError } from '../../types/index.js';
import { familiar, parseImageReference, registryHost, type ImageReference } from './image-reference.js';

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Platform[];
}
interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  variant?: string;
}

const CONFIG_LIMIT = 1024 * 1024;

export async function inspectDistribution(image: string, authHeader: string | undefined, rootFor?: (registry: string) => string | undefined): Promise<DistributionInspect> {
  const ref = parseImageReference(image);
  const credentials = authHeader ? decodeRegistryAuth(authHeader) : undefined;
  const host = registryHost(ref);
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const insecure = isLoopback(hostname);
  const schemes = insecure ? ['https', 'http'] : ['https'];
  let last: unknown;
  for (const scheme of schemes) {
    const client = new RegistryClient({ url: `${scheme}://${host}`, credentials, insecure, ca: rootFor?.(host) });
    try {
      return await inspectWith(client, ref);
    } catch (err) {
      last = err;
      // Only a failure to talk (TLS to a plain-HTTP registry) moves on to the next scheme.
      if (!(err instanceof UnavailableError)) break;
    } finally {
      client.close();
    }
  }
  throw dockerError(ref, last);
}

async function inspectWith(client: RegistryClient, ref: ImageReference): Promise<DistributionInspect> {
  const manifest = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
  return {
    Descriptor: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size },
    Platforms: await platformsOf(client, ref.repository, manifest),
  };
}

/** platformsOf: an index's entries' platforms, or the platform in an image's config (as dockerd reads them). */
async function platformsOf(client: RegistryClient, repository: string, manifest: Manifest): Promise<Platform[]> {
  const doc = JSON.parse(manifest.content.toString('utf8')) as { manifests?: Array<{ platform?: Partial<Platform> }>; config?: { digest: string; size: number } };
  if (doc.manifests) {
    return doc.manifests
      .map((m) => m.platform)
      .filter((p): p is Partial<Platform> => !!p && !!p.os && p.os !== 'unknown' && !!p.architecture && p.architecture !== 'unknown')
      .map(platform);
  }
  if (!doc.config || doc.config.size > CONFIG_LIMIT) return [];
  const { stream } = await client.getBlob(repository, doc.config.digest);
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  try {
    const config = JSON.parse(Buffer.concat(parts).toString('utf8')) as Partial<Platform>;
    return config.os || config.architecture ? [platform(config)] : [];
  } catch {
    return [];
  }
}

const platform = (p: Partial<Platform>): Platform => ({
  architecture: p.architecture ?? '',
  os: p.os ?? '',
  ...(p['os.version'] && { 'os.version': p['os.version'] }),
  ...(p.variant && { variant: p.variant }),
});

/** decodeRegistryAuth gives the login an X-Registry-Auth header carries (`username`/`password`, or `auth` = base64 user:password). */
export function decodeRegistryAuth(header: string): Credentials | undefined {
  const config = decodeAuth(header);
  if (config.username) return { username: config.username, password: config.password ?? '' };
  if (config.auth) {
    const text = Buffer.from(config.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
  }
  return undefined;
}

/** dockerError words a registry failure the way dockerd does for pulls. */
function dockerError(ref: ImageReference, err: unknown): Error {
  const name = familiar(ref);
  const why = (err as Error).message;
  if (err instanceof NotFoundError) return new NotFoundError(`manifest for ${name} not found: manifest unknown: ${why}`);
  if (err instanceof UnauthorizedError) return new UnauthorizedError(`unauthorized: authentication required for ${name}: ${why}`);
  if (err instanceof UnavailableError) return new UnavailableError(`cannot reach the registry of ${name}: ${why}`);
  return err as Error;
}
