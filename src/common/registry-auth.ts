// The auth half of the registry client: parsing `WWW-Authenticate` challenges and fetching and
// caching Bearer tokens (distribution's token auth: GET realm?service=&scope= with Basic
// credentials, or anonymously). Tokens are cached per scope set until shortly before they expire.

export interface Challenge {
  scheme: 'basic' | 'bearer';
  realm?: string;
  service?: string;
  /** Scopes the registry asked for, space-separated in the header. */
  scope?: string;
}

export interface Credentials {
  username: string;
  password: string;
}

/** parseChallenge reads the first Basic or Bearer challenge of a WWW-Authenticate header. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  // key=value or key="quoted, with commas", separated by commas.
  for (const p of m[2]!.matchAll(/([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: m[1]!.toLowerCase() as Challenge['scheme'], realm: params.realm, service: params.service, scope: params.scope };
}

export const basicAuth = (c: Credentials): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/** What fetching a token needs from the client: one plain GET. */
export type TokenGet = (url: URL, headers: Record<string, string>) => Promise<{ status: number; body: string }>;

/** TokenCache holds Bearer tokens by the scope set they were issued for. */
export class TokenCache {
  readonly #tokens = new Map<string, { token: string; expires: number }>();

  get(scopes: string[]): string | undefined {
    const hit = this.#tokens.get(key(scopes));
    if (hit && hit.expires > Date.now()) return hit.token;
    return undefined;
  }

  /**
   * fetch asks the challenge's realm for a token for `scopes` (the client's own scopes, plus any
   * the registry named), caches it and returns it. Throws a message for the caller to wrap.
   */
  async fetch(challenge: Challenge, scopes: string[], creds: Credentials | undefined, get: TokenGet): Promise<string> {
    if (!challenge.realm) throw new Error('the registry asked for a Bearer token without naming a realm');
    const url = URL.canParse(challenge.realm) ? new URL(challenge.realm) : undefined;
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') throw new Error(`the registry named a token realm that is not an http(s) URL: ${challenge.realm.slice(0, 200)}`);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    const all = [...new Set([...scopes, ...(challenge.scope?.split(' ').filter(Boolean) ?? [])])];
    for (const s of all) url.searchParams.append('scope', s);
    const res = await get(url, creds ? { Authorization: basicAuth(creds) } : {});
    if (res.status === 401 || res.status === 403) throw new TokenRefusedError(`the token service ${url.origin} refused the ${creds ? `credentials of ${creds.username}` : 'anonymous request'} (HTTP ${res.status})`);
    if (res.status !== 200) throw new Error(`the token service ${url.origin} answered HTTP ${res.status}`);
    let doc: { token?: string; access_token?: string; expires_in?: number };
    try {
      doc = JSON.parse(res.body) as typeof doc;
    } catch {
      throw new Error(`the token service ${url.origin} did not answer JSON`);
    }
    const token = doc.token ?? doc.access_token;
    if (!token) throw new Error(`the token service ${url.origin} answered without a token`);
    // The spec's default lifetime is 60 s; renew 10 s early so a request never carries a stale one.
    const lifetime = Math.max((doc.expires_in ?? 60) - 10, 1);
    this.#tokens.set(key(scopes), { token, expires: Date.now() + lifetime * 1000 });
    return token;
  }
}

export class TokenRefusedError extends Error {}

const key = (scopes: string[]): string => [...scopes].sort().join(' ');
