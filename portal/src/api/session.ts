// The session token the portal sends as `Authorization: Bearer`: kept in localStorage so that a
// link opened in a new tab is signed in too (the page's CSP allows only its own scripts).

const KEY = 'berth.session';

export interface StoredSession {
  Token: string;
  User: string;
  ExpiresAt: string;
}

type Listener = (s: StoredSession | undefined) => void;
const listeners = new Set<Listener>();

function read(): StoredSession | undefined {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as StoredSession | null;
    if (!s || typeof s.Token !== 'string') return undefined;
    if (s.ExpiresAt && Date.parse(s.ExpiresAt) <= Date.now()) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

// One object per stored value: React's external-store snapshot must not change between reads.
let cached = read();

export function currentSession(): StoredSession | undefined {
  if (cached?.ExpiresAt && Date.parse(cached.ExpiresAt) <= Date.now()) cached = undefined;
  return cached;
}

export function saveSession(s: StoredSession | undefined): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  cached = s;
  for (const l of listeners) l(s);
}

export function onSessionChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

// Another tab's login or logout applies here too.
window.addEventListener('storage', (e) => {
  if (e.key !== KEY) return;
  cached = read();
  for (const l of listeners) l(cached);
});
