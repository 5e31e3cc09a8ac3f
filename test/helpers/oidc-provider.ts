// A real OpenID Connect provider (the oidc-provider package) on a loopback port for tests, with
// one confidential client (authorization code, refresh token, device code), accounts whose claims
// a test changes in place, and a browser of sorts that walks its login and consent pages.

import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface Account {
  /** The groups claim as the provider sends it (anything, to test bad ones). */
  groups: unknown;
  /** A removed account: the provider refuses its refresh tokens. */
  gone?: boolean;
}

export interface TestProvider {
  issuer: string;
  accounts: Map<string, Account>;
  close(): Promise<void>;
}

export const CLIENT = { id: 'berth', secret: 'berth-client-secret-for-tests' };

export async function startProvider(redirectUri: string): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, Account>();
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'], response_types: ['code'] }],
    findAccount: (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      if (!account || account.gone) return undefined;
      return { accountId: id, claims: () => ({ sub: id, preferred_username: id, email: `${id}@example.com`, groups: account.groups }) };
    },
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    issueRefreshToken: () => true,
    cookies: { keys: ['test-cookie-key'] },
  });
  server.on('request', provider.callback());
  return { issuer, accounts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A browser of sorts: one cookie jar per origin and path-less, TLS trusting `ca`. */
export class Browser {
  readonly cookies = new Map<string, Map<string, string>>();
  constructor(private readonly ca: string) {}

  async go(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Reply> {
    const u = new URL(url);
    const jar = this.cookies.get(u.host) ?? new Map<string, string>();
    this.cookies.set(u.host, jar);
    const body = init.form && new URLSearchParams(init.form).toString();
    const headers: Record<string, string> = { ...(jar.size > 0 && { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') }), ...(body && { 'content-type': 'application/x-www-form-urlencoded' }), ...init.headers };
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(u, { method: init.method ?? (body ? 'POST' : 'GET'), headers, ...(u.protocol === 'https:' && { ca: this.ca }) }, (res) => {
        for (const c of res.headers['set-cookie'] ?? []) {
          const [pair = ''] = c.split(';');
          const i = pair.indexOf('=');
          if (/max-age=0|expires=thu, 01 jan 1970/i.test(c)) jar.delete(pair.slice(0, i));
          else jar.set(pair.slice(0, i), pair.slice(i + 1));
        }
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * walk follows redirects from `url` and fills the provider's forms (login as `login`, consent,
   * device code confirmation) until a redirect leaves for `stopAt`, which it returns, or a page
   * without a form, which it returns as is.
   */
  async walk(url: string, login: string, stopAt?: string): Promise<{ location?: string; page?: Reply }> {
    let next: { url: string; form?: Record<string, string> } = { url };
    for (let step = 0; step < 20; step++) {
      const res = await this.go(next.url, next.form ? { form: next.form } : {});
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location) {
        const target = new URL(location, next.url).href;
        if (stopAt && target.startsWith(stopAt)) return { location: target };
        next = { url: target };
        continue;
      }
      const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(res.body);
      if (!form) return { page: res };
      const action = decode(/action="([^"]*)"/.exec(form[1]!)?.[1] ?? '');
      const fields: Record<string, string> = {};
      for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
        const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
        if (name) fields[name] = decode(/value="([^"]*)"/.exec(input[1]!)?.[1] ?? '');
      }
      if ('login' in fields) Object.assign(fields, { login, password: 'any' });
      next = { url: new URL(action, next.url).href, form: fields };
    }
    throw new Error(`no end to the provider's pages from ${url}`);
  }
}

const decode = (s: string): string => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x2F;/g, '/').replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
