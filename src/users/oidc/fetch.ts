// How the manager talks to the provider (discovery, keys, tokens, userinfo, device codes): every
// request goes through the outbound guard (docs/outbound.md) with its addresses pinned, so an
// issuer or an endpoint its discovery names cannot reach the cloud metadata service or the link-
// local range; plain http only to loopback (a provider on the same host, or a test's). Redirects
// are not followed; answers are capped in size and time.

import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { OutboundGuard } from '../../common/outbound.js';
import { InvalidArgumentError } from '../../types/index.js';

const MAX_BODY = 1024 * 1024;
const TIMEOUT_MS = 10_000;
// Loopback is where a local provider lives (`http` is allowed there only): open to a provider on
// loopback, closed to any other (its discovery must not send the manager to this host's services).
const localGuard = new OutboundGuard({ allow: ['127.0.0.0/8', '::1/128'] });
const remoteGuard = new OutboundGuard();

export const isLoopbackHost = (host: string): boolean => {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || (isIP(h) === 4 && h.startsWith('127.')) || h === '::1';
};

/** checkIssuer validates an issuer URL as an administrator sets it; a refusal names the field and the fix. */
export async function checkIssuer(value: unknown): Promise<string> {
  const hint = 'Issuer: the provider\'s issuer URL, e.g. https://login.example.com/realms/main (http only on loopback)';
  if (typeof value !== 'string' || value.length > 2048) throw new InvalidArgumentError(hint);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(hint);
  }
  if (url.username || url.password || url.search || url.hash) throw new InvalidArgumentError(`${hint}: no credentials, query or fragment`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) throw new InvalidArgumentError(hint);
  await (isLoopbackHost(url.hostname) ? localGuard : remoteGuard).check(url, 'Issuer');
  return value.replace(/\/$/, '');
}

type FetchInit = { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: unknown; signal?: AbortSignal | null };

/** guardedFetch is openid-client's customFetch for the provider at `issuer`: the Fetch API over a pinned, checked connection. */
export function guardedFetch(issuer: string): (input: string | URL, init: FetchInit) => Promise<Response> {
  const guard = isLoopbackHost(new URL(issuer).hostname) ? localGuard : remoteGuard;
  return (input, init) => send(guard, new URL(String(input)), init);
}

async function send(guard: OutboundGuard, url: URL, init: FetchInit): Promise<Response> {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) throw new TypeError(`the provider's endpoint ${url.origin} is refused: https only (http on loopback)`);
  const pinned = await guard.pin(url);
  const transport = url.protocol === 'https:' ? https : http;
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : Buffer.from(init.body as ArrayBuffer);
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: init.method ?? 'GET', headers, signal, ...pinned }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) return req.destroy(new Error(`the provider's answer from ${url.origin} is larger than ${MAX_BODY} bytes`));
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 502;
        const answer = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) answer.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: answer }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
