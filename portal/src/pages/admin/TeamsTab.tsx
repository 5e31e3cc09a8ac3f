// Teams (`berth team ls|create|update|rm`): members with their team roles, the stacks the team
// owns, and the OIDC groups whose members get a role in it. A team opens for editing at
// ?edit=NAME.

import { useState } from 'react';
import { ActionIcon, Button, Fieldset, Group, Modal, Select, Stack, Table, TagsInput, Text, TextInput } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useCreateTeam, useRemoveTeam, useTeams, useUpdateTeam, useUsers, type TeamChange } from '../../api/admin';
import type { Team, TeamRole } from '../../api/admin-types';
import { Confirm } from '../../components/Confirm';
import { Loaded } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { Refused } from '../../components/Refused';

const TEAM_ROLES: TeamRole[] = ['viewer', 'operator', 'lead'];
const EMPTY: TeamChange = { Members: [], Stacks: [], Groups: [] };

function TeamEditor({ team, opened, onClose }: { team: Team | undefined; opened: boolean; onClose: () => void }) {
  const users = useUsers();
  const create = useCreateTeam();
  const update = useUpdateTeam();
  const [name, setName] = useState('');
  const [t, setT] = useState<TeamChange>(team ?? EMPTY);
  const [error, setError] = useState<string>();
  const close = () => (setName(''), setT(EMPTY), setError(undefined), onClose());
  const member = (i: number, m: Partial<TeamChange['Members'][number]>) => setT((o) => ({ ...o, Members: o.Members.map((x, j) => (j === i ? { ...x, ...m } : x)) }));
  const group = (i: number, g: Partial<TeamChange['Groups'][number]>) => setT((o) => ({ ...o, Groups: o.Groups.map((x, j) => (j === i ? { ...x, ...g } : x)) }));
  const done = { onError: (err: Error) => setError(err.message), onSuccess: (saved: Team) => (notifyDone(`team ${saved.Name} saved`), close()) };
  const submit = () => {
    const change = { Members: t.Members, Stacks: t.Stacks, Groups: t.Groups };
    if (team) update.mutate({ name: team.Name, ...change }, done);
    else create.mutate({ Name: name.trim(), ...change }, done);
  };

  return (
    <Modal opened={opened} onClose={close} title={team ? `Team ${team.Name}` : 'Create a team'} size="lg">
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack>
          <Refused message={error} />
          {!team && <TextInput label="Name" description="Also the value of the berth.team label that gives an object to the team" value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />}
          <Fieldset legend="Members">
            <Stack gap="xs">
              {t.Members.map((m, i) => (
                <Group key={i} gap="xs" align="end">
                  <Select label="User" w={200} data={(users.data ?? []).map((u) => u.Name)} value={m.User || null} onChange={(v) => member(i, { User: v ?? '' })} searchable />
                  <Select label="Role" w={130} data={TEAM_ROLES} value={m.Role} onChange={(v) => member(i, { Role: (v ?? 'viewer') as TeamRole })} allowDeselect={false} />
                  <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove member ${m.User || i + 1}`} onClick={() => setT((o) => ({ ...o, Members: o.Members.filter((_, j) => j !== i) }))}>
                    ×
                  </ActionIcon>
                </Group>
              ))}
              <Button variant="default" size="xs" w="fit-content" onClick={() => setT((o) => ({ ...o, Members: [...o.Members, { User: '', Role: 'viewer' }] }))}>
                Add member
              </Button>
            </Stack>
          </Fieldset>
          <TagsInput label="Stacks" description="The stacks it owns (docker stack deploy NAME): press Enter after each" value={t.Stacks} onChange={(v) => setT((o) => ({ ...o, Stacks: v }))} />
          <Fieldset legend="Single sign-on groups">
            <Stack gap="xs">
              {t.Groups.map((g, i) => (
                <Group key={i} gap="xs" align="end">
                  <TextInput label="Group" description="As the provider's groups claim names it" w={200} value={g.Group} onChange={(e) => group(i, { Group: e.currentTarget.value })} />
                  <Select label="Role" w={130} data={TEAM_ROLES} value={g.Role} onChange={(v) => group(i, { Role: (v ?? 'viewer') as TeamRole })} allowDeselect={false} />
                  <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove group ${g.Group || i + 1}`} onClick={() => setT((o) => ({ ...o, Groups: o.Groups.filter((_, j) => j !== i) }))}>
                    ×
                  </ActionIcon>
                </Group>
              ))}
              <Button variant="default" size="xs" w="fit-content" onClick={() => setT((o) => ({ ...o, Groups: [...o.Groups, { Group: '', Role: 'viewer' }] }))}>
                Add group
              </Button>
            </Stack>
          </Fieldset>
          <Group justify="end">
            <Button type="submit" loading={create.isPending || update.isPending}>
              {team ? 'Save' : 'Create'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export default function TeamsTab() {
  const teams = useTeams();
  const remove = useRemoveTeam();
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const [removing, setRemoving] = useState<Team>();
  const editing = teams.data?.find((t) => t.Name === params.get('edit'));
  const edit = (name: string | null) => setParams((p) => (name ? p.set('edit', name) : p.delete('edit'), p));

  return (
    <Stack>
      <Group justify="end">
        <Button onClick={() => setCreating(true)}>Create team</Button>
      </Group>
      <Loaded query={teams}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No teams yet. A team owns the stacks it lists and what is labelled berth.team=TEAM; its members act on those.</Text>
          ) : (
            <Table.ScrollContainer minWidth={720}>
              <Table highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Members</Table.Th>
                    <Table.Th>Stacks</Table.Th>
                    <Table.Th>Single sign-on groups</Table.Th>
                    <Table.Th aria-label="Actions" />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((t) => (
                    <Table.Tr key={t.ID}>
                      <Table.Td>{t.Name}</Table.Td>
                      <Table.Td>{t.Members.map((m) => `${m.User} (${m.Role})`).join(', ')}</Table.Td>
                      <Table.Td>{t.Stacks.join(', ')}</Table.Td>
                      <Table.Td>{t.Groups.map((g) => `${g.Group} (${g.Role})`).join(', ')}</Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Button size="xs" variant="default" onClick={() => edit(t.Name)} aria-label={`Edit team ${t.Name}`}>
                            Edit
                          </Button>
                          <Button size="xs" variant="subtle" color="red" onClick={() => setRemoving(t)} aria-label={`Remove team ${t.Name}`}>
                            Remove
                          </Button>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </Loaded>
      <TeamEditor key="new" team={undefined} opened={creating} onClose={() => setCreating(false)} />
      {/* Keyed by team: the form starts from the team it opens. */}
      {editing && <TeamEditor key={editing.ID} team={editing} opened onClose={() => edit(null)} />}
      <Confirm
        title={`Remove team ${removing?.Name ?? ''}?`}
        opened={!!removing}
        busy={remove.isPending}
        confirmLabel="Remove"
        onClose={() => setRemoving(undefined)}
        onConfirm={() => remove.mutate(removing!.Name, { onError: notifyError, onSuccess: () => (notifyDone(`team ${removing!.Name} removed`), setRemoving(undefined)) })}
      >
        <Text>Its members lose what it gave them; its stacks and labelled objects stay, owned by no team.</Text>
      </Confirm>
    </Stack>
  );
}
