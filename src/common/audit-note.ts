// What a route tells the audit log about its request beyond the path (docs/audit.md): the object
// it acted on when the store cannot name it (a container, found through its task) and the command
// an exec runs. The API notes it; the audit hooks read it when they write the entry.

export interface AuditNote {
  object: { Kind: string; ID: string; Name: string; Node: { ID: string; Name: string } };
  command?: string[];
}

const notes = new WeakMap<object, AuditNote>();

export function noteForAudit(request: object, note: AuditNote): void {
  notes.set(request, note);
}

export function auditNoteOf(request: object): AuditNote | undefined {
  return notes.get(request);
}
