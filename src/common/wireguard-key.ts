// A WireGuard key as `wg` reads and prints it: canonical base64 of exactly 32 bytes. Nodes'
// public keys travel from their hello to other nodes' `wg` command lines, so both the manager
// (admitting a hello) and the agent (applying a view) hold them to this.

export function isWireGuardKey(text: unknown): text is string {
  return typeof text === 'string' && /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text);
}
