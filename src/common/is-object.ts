// Untrusted JSON is checked field by field: first that a value is a plain object.

export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
