// Speaking to a Berth registry with token auth from tests: tokens for raw /v2 requests, and the
// admin API with Basic credentials.

export const TEST_ADMIN_PASSWORD = 'Berth-test-1';

export const basicAuth = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** registryToken gets a bearer token from the registry's token endpoint for these scopes. */
export async function registryToken(url: string, user: string, password: string, scopes: string[]): Promise<string> {
  const q = new URLSearchParams({ service: 'berth-registry' });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${url}/service/token?${q}`, { headers: { Authorization: basicAuth(user, password) } });
  if (!res.ok) throw new Error(`token for ${user}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * registryFetch sends a /v2 request as `user`, with a token for the repository the path names
 * (pull, push and delete asked; the registry grants what the user may do).
 */
export async function registryFetch(url: string, user: string, password: string, path: string, init: RequestInit = {}): Promise<Response> {
  const m = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(path);
  const token = await registryToken(url, user, password, m ? [`repository:${m[1]}:pull,push,delete`] : []);
  return fetch(`${url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
}

/** registryAdmin calls the admin API (/berth/v1/registry) as `user`; it fails the test on an error status. */
export async function registryAdmin(url: string, user: string, password: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}/berth/v1/registry${path}`, {
    method,
    headers: { Authorization: basicAuth(user, password), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} as ${user}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** seedTeam creates, as admin, project `team` with `dev` (developer, Dev-pass-1) and `visitor` (guest, Visitor-pass-1). */
export async function seedTeam(url: string): Promise<void> {
  const admin = (path: string, body: unknown): Promise<unknown> => registryAdmin(url, 'admin', TEST_ADMIN_PASSWORD, 'POST', path, body);
  await admin('/projects', { Name: 'team' });
  await admin('/users', { Name: 'dev', Password: 'Dev-pass-1' });
  await admin('/users', { Name: 'visitor', Password: 'Visitor-pass-1' });
  await admin('/projects/team/members', { User: 'dev', Role: 'developer' });
  await admin('/projects/team/members', { User: 'visitor', Role: 'guest' });
}
