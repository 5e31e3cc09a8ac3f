// What the secret, config and network forms send, as `docker secret|config|network create` would:
// data as base64 of its UTF-8 bytes, labels from KEY=VALUE lines, and — for a member who creates
// through a team — the `berth.team` label the API requires (docs/access.md, "Teams").

import { can } from '../../api/access';
import type { Whoami } from '../../api/types';

export const TEAM_LABEL = 'berth.team';

/** parseLabels reads KEY=VALUE lines (blank lines skipped); throws naming the line that is not one. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Labels: "${line}" is not KEY=VALUE (one per line)`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** The teams whose objects this user may create (team operator or lead). */
export function deployTeams(who: Whoami): string[] {
  return who.Teams.filter((t) => t.Role === 'operator' || t.Role === 'lead').map((t) => t.Team);
}

/** A user who may deploy only through teams must give what they create to one of them. */
export function teamRequired(who: Whoami): boolean {
  return !can({ ...who, Teams: [] }, 'deploy');
}

/** labelsFor adds the owning team's label to the form's labels. */
export function labelsFor(text: string, team: string | null): Record<string, string> | undefined {
  const labels = { ...parseLabels(text), ...(team && { [TEAM_LABEL]: team }) };
  return Object.keys(labels).length > 0 ? labels : undefined;
}

/** encodeData is the base64 of the text's UTF-8 bytes (the Engine's Data field). */
export function encodeData(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  // In chunks: spreading a large secret's bytes at once overflows the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** decodeData gives a config's data as text, or undefined when it is not UTF-8 (a binary file). */
export function decodeData(base64: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

export interface NetworkForm {
  name: string;
  driver: string;
  subnet: string;
  gateway: string;
  attachable: boolean;
  internal: boolean;
  encrypted: boolean;
  labels: string;
  team: string | null;
}

/** networkBody is the Engine's NetworkCreateRequest (`docker network create -d overlay --subnet ... --attachable --internal --opt encrypted`). */
export function networkBody(f: NetworkForm): object {
  const subnet = f.subnet.trim();
  const gateway = f.gateway.trim();
  if (gateway && !subnet) throw new Error('Gateway: give the subnet it belongs to as well');
  const labels = labelsFor(f.labels, f.team);
  return {
    Name: f.name.trim(),
    Driver: f.driver.trim() || 'overlay',
    CheckDuplicate: true,
    ...(f.attachable && { Attachable: true }),
    ...(f.internal && { Internal: true }),
    ...(f.encrypted && { Options: { encrypted: '' } }),
    ...(subnet && { IPAM: { Driver: 'default', Config: [{ Subnet: subnet, ...(gateway && { Gateway: gateway }) }] } }),
    ...(labels && { Labels: labels }),
  };
}
