// The audit page's URL is the API's query: its filters are the route's parameters (user, action,
// object, since, until) and `before` the cursor of the page shown (GET /berth/v1/audit).

export const AUDIT_FILTERS = ['user', 'action', 'object', 'since', 'until'] as const;
export type AuditFilter = (typeof AUDIT_FILTERS)[number];
export const PAGE_SIZE = 50;

/** auditQuery gives the API's query string for the page a URL shows. */
export function auditQuery(params: URLSearchParams): string {
  const q = new URLSearchParams();
  for (const k of [...AUDIT_FILTERS, 'before']) {
    const v = params.get(k)?.trim();
    if (v) q.set(k, v);
  }
  q.set('limit', String(PAGE_SIZE));
  return q.toString();
}

/** withFilters is the URL of the first page for these filters (a new filter starts from the newest). */
export function withFilters(filters: Partial<Record<AuditFilter, string>>): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of AUDIT_FILTERS) {
    const v = filters[k]?.trim();
    if (v) p.set(k, v);
  }
  return p;
}

/** shownValue writes a change's old or new value: text as is, an object (a create's whole object) indented; absent is a dash. */
export function shownValue(v: unknown): string {
  if (v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}
