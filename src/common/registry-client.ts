// A client for OCI Distribution registries (Berth's own, distribution, Harbor, ...): manifests,
// blobs, uploads, mounts and tags, with the registries' auth (Basic, or Bearer tokens from the
// realm a challenge names). Replication copies artifacts with it; the Engine API resolves image
// digests with it. Blobs are streamed both ways, never held whole in memory.
//
// It speaks node:http/https rather than fetch: Node 20's fetch cannot skip TLS verification per
// request (that needs undici's Agent, which Node does not expose), and self-signed registries are
// common. Errors are Berth's typed errors, naming the registry and the repository. With an
// outbound guard (a registry a user named), every request it makes — redirects and token realms
// included — goes only to addresses the guard allows, and a failure to connect says no more than
// that (the detail is the error's cause, for the operator's log).

import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { ForbiddenError, InvalidArgumentError, NotFoundError, UnauthorizedError, UnavailableError } from '../types/index.js';
import { CONNECTION_FAILED, OutboundRefusedError, type OutboundGuard } from './outbound.js';
import { basicAuth, parseChallenge, TokenCache, TokenRefusedError, type Challenge, type Credentials } from './registry-auth.js';
import { chunks, drain, errorText, header, MANIFEST_TYPES, mediaTypeOf, readAll, refSep, sha256 } from './registry-wire.js';

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 60_000;

export interface RegistryClientOptions {
  /** http(s)://host[:port]; a bare host:port means https. */
  url: string;
  credentials?: Credentials;
  /** Skip TLS certificate verification (self-signed registries). */
  insecure?: boolean;
  /** A root CA (PEM) to verify this registry with beside the system's: the cluster root, for the cluster's own registry. */
  ca?: string;
  /** Mints Bearer tokens for the scopes a request needs, instead of asking a realm (a registry calling itself). */
  bearer?: (scopes: string[]) => Promise<string>;
  /** Checks every request's target (a URL a user set); without it any target is spoken to. */
  outbound?: OutboundGuard;
}

export interface ManifestRef {
  digest: string;
  mediaType: string;
  size: number;
}
export interface Manifest extends ManifestRef {
  content: Buffer;
}

type Body = Buffer | Readable | undefined;
interface Call {
  method: string;
  url: URL;
  /** Token scopes the request needs, e.g. `repository:a/b:pull`. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Body;
  /** What the request was for, in error messages: "manifest a/b:1". */
  what: string;
}

const pullScope = (repo: string): string => `repository:${repo}:pull`;
const pushScope = (repo: string): string => `repository:${repo}:pull,push`;

export class RegistryClient {
  readonly base: URL;
  /** host[:port], as image references name the registry. */
  readonly host: string;
  readonly #creds: Credentials | undefined;
  readonly #agent: http.Agent;
  readonly #insecure: boolean;
  readonly #tokens = new TokenCache();
  readonly #bearer: ((scopes: string[]) => Promise<string>) | undefined;
  readonly #outbound: OutboundGuard | undefined;
  /** The registry's challenge, once seen: later requests authenticate up front. */
  #challenge: Challenge | undefined;

  constructor(opts: RegistryClientOptions) {
    const text = /^[a-z]+:\/\//i.test(opts.url) ? opts.url : `https://${opts.url}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidArgumentError(`invalid registry URL "${opts.url}": use http(s)://HOST[:PORT]`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`invalid registry URL "${opts.url}": the scheme must be http or https`);
    this.base = new URL(url.origin);
    this.host = url.host;
    this.#creds = opts.credentials?.username ? opts.credentials : undefined;
    this.#insecure = opts.insecure ?? false;
    this.#bearer = opts.bearer;
    this.#outbound = opts.outbound;
    const ca = opts.ca ? [...rootCertificates, opts.ca] : undefined;
    this.#agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true, rejectUnauthorized: !opts.insecure, ...(ca && { ca }) }) : new http.Agent({ keepAlive: true });
  }

  close(): void {
    this.#agent.destroy();
  }

  /** ping checks that the registry answers /v2/ and accepts the credentials (or anonymous access). */
  async ping(): Promise<void> {
    const res = await this.#call({ method: 'GET', url: this.#url('/v2/'), scopes: [], what: 'API root /v2/' });
    await this.#expect(res, [200], 'API root /v2/');
  }

  /** headManifest resolves a tag or digest; undefined when the repository has no such manifest. */
  async headManifest(repo: string, ref: string): Promise<ManifestRef | undefined> {
    const what = `manifest ${repo}${refSep(ref)}${ref}`;
    const res = await this.#call({ method: 'HEAD', url: this.#url(`/v2/${repo}/manifests/${ref}`), scopes: [pullScope(repo)], headers: { Accept: MANIFEST_TYPES.join(', ') }, what });
    if (res.statusCode === 404) return drain(res, undefined);
    await this.#expect(res, [200], what);
    const digest = header(res, 'docker-content-digest');
    // Without a digest header (allowed on HEAD), fetch the bytes and hash them.
    if (!digest) return this.getManifest(repo, ref);
    return { digest, mediaType: mediaTypeOf(res), size: Number(header(res, 'content-length') ?? 0) };
  }

  async getManifest(repo: string, ref: string): Promise<Manifest> {
    const what = `manifest ${repo}${refSep(ref)}${ref}`;
    const res = await this.#call({ method: 'GET', url: this.#url(`/v2/${repo}/manifests/${ref}`), scopes: [pullScope(repo)], headers: { Accept: MANIFEST_TYPES.join(', ') }, what });
    await this.#expect(res, [200], what);
    const content = await readAll(res, MAX_MANIFEST_BYTES, `${this.host}: ${what} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    const digest = sha256(content);
    const claimed = header(res, 'docker-content-digest');
    if (ref.startsWith('sha256:') && ref !== digest) throw new UnavailableError(`${this.host}: ${what} came back with digest ${digest}`);
    return { digest: ref.includes(':') ? ref : (claimed ?? digest), mediaType: mediaTypeOf(res, content), size: content.length, content };
  }

  /** putManifest stores a manifest under a tag or its digest and returns the digest the registry reports. */
  async putManifest(repo: string, ref: string, manifest: { content: Buffer; mediaType: string }): Promise<string> {
    const what = `manifest ${repo}${refSep(ref)}${ref}`;
    const res = await this.#call({
      method: 'PUT',
      url: this.#url(`/v2/${repo}/manifests/${ref}`),
      scopes: [pushScope(repo)],
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.content,
      what,
    });
    await this.#expect(res, [201, 200, 202], what);
    return header(res, 'docker-content-digest') ?? sha256(manifest.content);
  }

  /** blobSize is the size of a blob the repository has, or undefined. */
  async blobSize(repo: string, digest: string): Promise<number | undefined> {
    const what = `blob ${repo}@${digest}`;
    const res = await this.#call({ method: 'HEAD', url: this.#url(`/v2/${repo}/blobs/${digest}`), scopes: [pullScope(repo)], what });
    if (res.statusCode === 404) return drain(res, undefined);
    await this.#expect(res, [200], what);
    return Number(header(res, 'content-length') ?? 0);
  }

  /** getBlob streams a blob. The caller must consume or destroy the stream. */
  async getBlob(repo: string, digest: string): Promise<{ size: number; stream: Readable }> {
    const what = `blob ${repo}@${digest}`;
    const res = await this.#call({ method: 'GET', url: this.#url(`/v2/${repo}/blobs/${digest}`), scopes: [pullScope(repo)], what });
    await this.#expect(res, [200], what);
    return { size: Number(header(res, 'content-length') ?? -1), stream: res };
  }

  /**
   * mountBlob asks the registry to link a blob `from` another of its repositories into `repo`;
   * false when it would not (the upload session it opened instead is cancelled).
   */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const what = `mount of blob ${digest} from ${from} into ${repo}`;
    const url = this.#url(`/v2/${repo}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', from);
    const scopes = [pushScope(repo), pullScope(from)];
    const res = await this.#call({ method: 'POST', url, scopes, headers: { 'Content-Length': '0' }, what });
    if (res.statusCode === 201) return drain(res, true);
    await this.#expect(res, [202], what);
    const cancel = await this.#call({ method: 'DELETE', url: this.#location(res, what), scopes, what });
    return drain(cancel, false);
  }

  /**
   * pushBlob uploads a blob from a stream: one streamed PUT, or PATCHes of `chunkSize` bytes
   * (only one chunk in memory at a time).
   */
  async pushBlob(repo: string, digest: string, size: number, source: Readable, opts: { chunkSize?: number } = {}): Promise<void> {
    const what = `upload of blob ${repo}@${digest}`;
    const scopes = [pushScope(repo)];
    // The bodiless POST meets any auth challenge, so the streamed requests after it carry a token.
    const start = await this.#call({ method: 'POST', url: this.#url(`/v2/${repo}/blobs/uploads/`), scopes, headers: { 'Content-Length': '0' }, what });
    await this.#expect(start, [202], what);
    let location = this.#location(start, what);
    if (opts.chunkSize) {
      let offset = 0;
      for await (const chunk of chunks(source, opts.chunkSize)) {
        const res = await this.#call({
          method: 'PATCH',
          url: location,
          scopes,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}`, 'Content-Length': String(chunk.length) },
          body: chunk,
          what,
        });
        await this.#expect(res, [202, 204], what);
        location = this.#location(res, what);
        offset += chunk.length;
      }
      location.searchParams.set('digest', digest);
      const done = await this.#call({ method: 'PUT', url: location, scopes, headers: { 'Content-Length': '0' }, what });
      await this.#expect(done, [201, 204], what);
      return;
    }
    location.searchParams.set('digest', digest);
    const done = await this.#call({
      method: 'PUT',
      url: location,
      scopes,
      // An unknown size (-1) goes out chunked.
      headers: { 'Content-Type': 'application/octet-stream', ...(size >= 0 ? { 'Content-Length': String(size) } : {}) },
      body: source,
      what,
    });
    await this.#expect(done, [201, 204], what);
  }

  /**
   * catalog lists the registry's repositories (`/v2/_catalog`: not in the OCI spec, but
   * distribution and Harbor serve it). A registry without it answers NotFoundError.
   */
  async catalog(): Promise<string[]> {
    return this.#pages(this.#url('/v2/_catalog'), ['registry:catalog:*'], 'repositories', 'the repository catalog');
  }

  /** listTags returns every tag of a repository, following `Link` pagination. */
  async listTags(repo: string): Promise<string[]> {
    return this.#pages(this.#url(`/v2/${repo}/tags/list`), [pullScope(repo)], 'tags', `tags of ${repo}`);
  }

  /** #pages reads a paginated list (`Link: <next>; rel="next"`) and returns the `field` arrays joined. */
  async #pages(first: URL, scopes: string[], field: 'tags' | 'repositories', what: string): Promise<string[]> {
    const items: string[] = [];
    let url: URL | undefined = first;
    while (url) {
      const res = await this.#call({ method: 'GET', url, scopes, what });
      await this.#expect(res, [200], what);
      const doc = JSON.parse((await readAll(res, 16 * 1024 * 1024, `${this.host}: the ${what} list is too large`)).toString('utf8')) as Record<string, string[] | null | undefined>;
      items.push(...(doc[field] ?? []));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '');
      url = next ? new URL(next[1]!, this.base) : undefined;
    }
    return items;
  }

  #url(path: string): URL {
    return new URL(path, this.base);
  }

  #location(res: IncomingMessage, what: string): URL {
    const loc = header(res, 'location');
    if (!loc) throw new UnavailableError(`${this.host}: the registry answered the ${what} without a Location header`);
    return new URL(loc, this.base);
  }

  /** #call sends a request with the auth the registry asked for, answering one challenge when the body can be sent again. */
  async #call(call: Call): Promise<IncomingMessage> {
    if (this.#bearer) return this.#send(call, `Bearer ${await this.#bearer(call.scopes)}`);
    const first = await this.#send(call, this.#authorization(call.scopes));
    if (first.statusCode !== 401) return first;
    const challenge = parseChallenge(header(first, 'www-authenticate'));
    await drain(first, undefined);
    const replayable = call.body === undefined || Buffer.isBuffer(call.body);
    if (!challenge || !replayable) throw this.#unauthorized(call.what, challenge ? undefined : 'no usable WWW-Authenticate challenge');
    this.#challenge = challenge;
    let auth: string;
    if (challenge.scheme === 'basic') {
      if (!this.#creds) throw this.#unauthorized(call.what, 'the registry wants a username and password');
      auth = basicAuth(this.#creds);
    } else {
      try {
        auth = `Bearer ${await this.#tokens.fetch(challenge, call.scopes, this.#creds, (url, headers) => this.#getText(url, headers))}`;
      } catch (err) {
        if (err instanceof TokenRefusedError) throw this.#unauthorized(call.what, err.message);
        if (err instanceof ForbiddenError) throw err; // the guard refused the realm
        throw new UnavailableError(`${this.host}: cannot get a token for the ${call.what}: ${(err as Error).message}`);
      }
    }
    const second = await this.#send(call, auth);
    if (second.statusCode === 401) {
      await drain(second, undefined);
      throw this.#unauthorized(call.what, this.#creds ? `the registry refused the credentials of ${this.#creds.username}` : 'anonymous access was refused; give a username and password');
    }
    return second;
  }

  #authorization(scopes: string[]): string | undefined {
    if (!this.#challenge) return undefined;
    if (this.#challenge.scheme === 'basic') return this.#creds ? basicAuth(this.#creds) : undefined;
    const token = this.#tokens.get(scopes);
    return token ? `Bearer ${token}` : undefined;
  }

  #unauthorized(what: string, why: string | undefined): UnauthorizedError {
    return new UnauthorizedError(`${this.host}: unauthorized for the ${what}${why ? `: ${why}` : ''}`);
  }

  async #getText(url: URL, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const res = await this.#send({ method: 'GET', url, scopes: [], headers, what: 'token request' }, headers.Authorization);
    return { status: res.statusCode ?? 0, body: (await readAll(res, 1024 * 1024, `${url.origin}: the token answer is too large`)).toString('utf8') };
  }

  /** #send makes one request, following redirects of GET and HEAD (blob storage elsewhere) without the registry's credentials. */
  async #send(call: Call, authorization: string | undefined, hops = 0): Promise<IncomingMessage> {
    const headers: Record<string, string> = { 'User-Agent': 'berth-registry-client', ...call.headers };
    if (authorization) headers.Authorization = authorization;
    const transport = call.url.protocol === 'https:' ? https : http;
    const pinned = await this.#pin(call);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      // Another origin (a token realm, redirected blob storage) gets a one-off connection, with the same TLS leniency.
      const own = call.url.origin === this.base.origin;
      const options = { method: call.method, headers, agent: own ? this.#agent : undefined, ...(!own && { rejectUnauthorized: !this.#insecure }), ...pinned };
      const req = transport.request(call.url, options, resolve);
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(this.#failed(call, err)));
      const body = call.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
    const redirect = res.statusCode && res.statusCode >= 300 && res.statusCode < 400 ? header(res, 'location') : undefined;
    if (redirect && (call.method === 'GET' || call.method === 'HEAD') && hops < 5) {
      await drain(res, undefined);
      const url = new URL(redirect, call.url);
      return this.#send({ ...call, url }, url.origin === this.base.origin ? authorization : undefined, hops + 1);
    }
    return res;
  }

  /** #pin checks the request's target with the guard, if any, and gives the options that connect only to the checked addresses. */
  async #pin(call: Call): Promise<object | undefined> {
    if (!this.#outbound) return undefined;
    try {
      return await this.#outbound.pin(call.url);
    } catch (err) {
      if (err instanceof OutboundRefusedError) throw new ForbiddenError(`${this.host}: the ${call.what} was refused: ${err.message}`);
      throw this.#failed(call, err as Error);
    }
  }

  /** #failed describes a request that got no answer: fully, or with a guard only generically (closed, filtered and not-HTTP ports look alike). */
  #failed(call: Call, err: Error): UnavailableError {
    if (!this.#outbound) return new UnavailableError(`${this.host}: the ${call.what} failed: ${err.message}`);
    const failed = new UnavailableError(`${this.host}: the ${call.what} failed: ${CONNECTION_FAILED}`);
    failed.cause = err;
    return failed;
  }

  /** #expect passes a response with one of `ok` statuses and turns any other into a typed error. */
  async #expect(res: IncomingMessage, ok: number[], what: string): Promise<void> {
    const status = res.statusCode ?? 0;
    if (ok.includes(status)) return;
    const text = (await readAll(res, 64 * 1024, '').catch(() => Buffer.alloc(0))).toString('utf8');
    const detail = errorText(text) || `HTTP ${status}`;
    const msg = `${this.host}: ${what}: ${detail}`;
    if (status === 404) throw new NotFoundError(msg);
    if (status === 401) throw new UnauthorizedError(msg);
    if (status === 403) throw new ForbiddenError(msg);
    if (status >= 400 && status < 500) throw new InvalidArgumentError(msg);
    throw new UnavailableError(msg);
  }
}
