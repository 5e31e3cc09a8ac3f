// The registry's errors carry the OCI Distribution Spec's codes (spec "Error Codes") and the
// HTTP status they are sent with. The registry speaks its own protocol, so it maps its errors to
// HTTP itself (server.ts), in the spec's shape {"errors":[{"code","message","detail"}]}.

export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS';

export interface ErrorEntry {
  code: RegistryErrorCode;
  message: string;
  detail?: unknown;
}

export class RegistryError extends Error {
  /** Further errors sent in the same response (e.g. one MANIFEST_BLOB_UNKNOWN per missing blob). */
  readonly more: ErrorEntry[];

  constructor(
    readonly code: RegistryErrorCode,
    readonly status: number,
    message: string,
    readonly detail?: unknown,
    more: ErrorEntry[] = [],
    /** Response headers that help the client recover (e.g. the upload's Range after a 416). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RegistryError';
    this.more = more;
  }

  entries(): ErrorEntry[] {
    const first: ErrorEntry = { code: this.code, message: this.message };
    if (this.detail !== undefined) first.detail = this.detail;
    return [first, ...this.more];
  }
}

export const blobUnknown = (digest: string): RegistryError =>
  new RegistryError('BLOB_UNKNOWN', 404, `blob ${digest} is not in this repository`, { digest });

export const manifestUnknown = (reference: string): RegistryError =>
  new RegistryError('MANIFEST_UNKNOWN', 404, `manifest ${reference} is not in this repository`, { reference });

export const nameUnknown = (name: string): RegistryError =>
  new RegistryError('NAME_UNKNOWN', 404, `repository ${name} does not exist`, { name });

export const uploadUnknown = (id: string): RegistryError =>
  new RegistryError('BLOB_UPLOAD_UNKNOWN', 404, `upload ${id} is not in progress in this repository: start a new one with POST .../blobs/uploads/`, { id });
