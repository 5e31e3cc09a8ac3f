// Typed domain errors with stable codes. Subsystems throw these; only the API edge maps a code
// to an HTTP status (src/api/http/errors.ts). Messages are written for users: they name the object or
// field and, where there is one, the fix.

export type ErrorCode =
  | 'NOT_FOUND'
  | 'NAME_CONFLICT'
  | 'VERSION_CONFLICT'
  | 'CONFLICT'
  | 'INVALID_ARGUMENT'
  | 'AMBIGUOUS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TOO_MANY_REQUESTS'
  | 'UNAVAILABLE'
  | 'NOT_LEADER'
  | 'NOT_IMPLEMENTED';

export class BerthError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown when an object looked up by ID, name or prefix does not exist. */
export class NotFoundError extends BerthError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** Thrown when a create or rename would give two objects of one kind the same name. */
export class NameConflictError extends BerthError {
  constructor(message: string) {
    super('NAME_CONFLICT', message);
  }
}

/** Thrown when an update names a version that is no longer the object's current one. */
export class VersionConflictError extends BerthError {
  constructor(message: string) {
    super('VERSION_CONFLICT', message);
  }
}

/** Thrown when a request does not fit the current state (Docker's 409), e.g. unlocking a manager that is not locked. */
export class ConflictError extends BerthError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** Thrown for input that can never succeed as given; the message names the field and the fix. */
export class InvalidArgumentError extends BerthError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** Thrown when an ID prefix or name matches more than one object. */
export class AmbiguousError extends BerthError {
  constructor(message: string) {
    super('AMBIGUOUS', message);
  }
}

export class UnauthorizedError extends BerthError {
  constructor(message: string) {
    super('UNAUTHORIZED', message);
  }
}

export class UnavailableError extends BerthError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
  }
}

/** A write reached a manager that is not the leader (several managers on etcd): it goes to the leader. */
export class NotLeaderError extends BerthError {
  constructor(message: string) {
    super('NOT_LEADER', message);
  }
}

export class NotImplementedError extends BerthError {
  constructor(message: string) {
    super('NOT_IMPLEMENTED', message);
  }
}

/** Thrown when the caller is known but may not do what it asked. */
export class ForbiddenError extends BerthError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** Thrown when a caller must wait before trying again (failed logins); retryAfterS says how long. */
export class TooManyRequestsError extends BerthError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super('TOO_MANY_REQUESTS', message);
  }
}
