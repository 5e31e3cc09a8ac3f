import { Select } from '@mantine/core';
import { useWho } from '../../app/who';
import { deployTeams, teamRequired, TEAM_LABEL } from './build';

/** The team an object is created for; required of a member who deploys only through teams. */
export function OwnerTeam({ value, onChange }: { value: string | null; onChange: (team: string | null) => void }) {
  const who = useWho();
  const teams = deployTeams(who);
  if (teams.length === 0) return null;
  const required = teamRequired(who);
  return (
    <Select
      label="Team"
      description={required ? `It belongs to one of your teams (the ${TEAM_LABEL} label)` : `Optional: give it to a team (the ${TEAM_LABEL} label)`}
      data={teams}
      value={value}
      onChange={onChange}
      required={required}
      allowDeselect={!required}
      clearable={!required}
    />
  );
}

/** The team a new object starts with: the first one when one is required. */
export function useDefaultTeam(): string | null {
  const who = useWho();
  return teamRequired(who) ? (deployTeams(who)[0] ?? null) : null;
}

/** ownerOf names who owns an object: its team, else its stack. */
export function ownerOf(labels: Record<string, string> | undefined): string {
  const team = labels?.[TEAM_LABEL];
  const stack = labels?.['com.docker.stack.namespace'];
  return team ? `team ${team}` : stack ? `stack ${stack}` : '';
}
