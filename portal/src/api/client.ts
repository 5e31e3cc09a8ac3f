// The one way the portal calls Berth: the same public API the docker CLI and berth CLI use.
// Errors keep the API's message (Docker's {"message"} shape), which names the field and the fix.

import { currentSession, saveSession } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function authHeaders(): Record<string, string> {
  const s = currentSession();
  return s ? { Authorization: `Bearer ${s.Token}` } : {};
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  let message = text || res.statusText;
  try {
    const body = JSON.parse(text) as { message?: string; errors?: Array<{ message?: string }> };
    message = body.message ?? body.errors?.[0]?.message ?? message;
  } catch {
    // not JSON: the text itself
  }
  // A session that ended (expired, revoked, logged out elsewhere) sends the user to the login page.
  if (res.status === 401 && currentSession()) saveSession(undefined);
  return new ApiError(res.status, message);
}

export async function request(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { ...init, method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return res;
}

async function json<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: async <T>(path: string, init?: RequestInit): Promise<T> => json<T>(await request('GET', path, undefined, init)),
  post: async <T>(path: string, body?: unknown): Promise<T> => json<T>(await request('POST', path, body)),
  put: async <T>(path: string, body?: unknown): Promise<T> => json<T>(await request('PUT', path, body)),
  delete: async (path: string): Promise<void> => void (await request('DELETE', path)),
};

/** filters encodes Docker's filter map ({"label": ["a=b"]}) as the `filters` query parameter. */
export function withFilters(path: string, filters: Record<string, string[] | undefined>): string {
  const kept = Object.fromEntries(Object.entries(filters).filter(([, v]) => v && v.length > 0));
  return Object.keys(kept).length === 0 ? path : `${path}${path.includes('?') ? '&' : '?'}filters=${encodeURIComponent(JSON.stringify(kept))}`;
}
