// A project's members — users and platform teams, each with a Harbor role; its project admins
// add, change and remove them.

import { useState } from 'react';
import { Button, Group, SegmentedControl, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { api } from '../../api/client';
import { projectPath, useMembers, useRegistryChange } from '../../api/registry';
import type { ProjectRights } from '../../api/registry-access';
import type { ProjectMember, ProjectRole, RegistryProject } from '../../api/registry-types';
import { Loaded } from '../../components/Page';
import { notifyError } from '../../components/notify';

export const ROLES: Array<{ value: ProjectRole; label: string }> = [
  { value: 'projectAdmin', label: 'Project admin' },
  { value: 'maintainer', label: 'Maintainer' },
  { value: 'developer', label: 'Developer' },
  { value: 'guest', label: 'Guest' },
];

/** A member in a path: a user's name, or team:NAME. */
const ref = (m: ProjectMember): string => (m.Team !== undefined ? `team:${m.Team}` : m.User!);

function AddMember({ project }: { project: string }) {
  const [kind, setKind] = useState<'User' | 'Team'>('User');
  const [name, setName] = useState('');
  const [role, setRole] = useState<ProjectRole>('developer');
  const add = useRegistryChange((body: Record<string, string>) => api.post(`${projectPath(project)}/members`, body));
  return (
    <form onSubmit={(e) => (e.preventDefault(), add.mutate({ [kind]: name, Role: role }, { onError: notifyError, onSuccess: () => setName('') }))}>
      <Stack gap="xs">
        <Title order={2} size="h5">
          Add a member
        </Title>
        <Group align="end" gap="xs">
          <SegmentedControl aria-label="Member kind" value={kind} onChange={(v) => setKind(v as 'User' | 'Team')} data={[{ value: 'User', label: 'User' }, { value: 'Team', label: 'Team' }]} />
          <TextInput label={kind === 'User' ? 'User name' : 'Team name'} value={name} onChange={(e) => setName(e.currentTarget.value)} required />
          <Select label="Role" data={ROLES} value={role} onChange={(v) => v && setRole(v as ProjectRole)} allowDeselect={false} w={160} />
          <Button type="submit" variant="default" loading={add.isPending}>
            Add
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function ProjectMembers({ project, rights }: { project: RegistryProject; rights: ProjectRights }) {
  const members = useMembers(project.Name);
  const change = useRegistryChange(({ member, role }: { member: string; role: ProjectRole }) => api.put(`${projectPath(project.Name)}/members/${encodeURIComponent(member)}`, { Role: role }));
  const remove = useRegistryChange((member: string) => api.delete(`${projectPath(project.Name)}/members/${encodeURIComponent(member)}`));
  return (
    <Stack>
      <Loaded query={members}>
        {(list) => (
          <Table.ScrollContainer minWidth={480}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Member</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Role</Table.Th>
                  {rights.administer && <Table.Th>Remove</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((m) => (
                  <Table.Tr key={ref(m)}>
                    <Table.Td>{m.User ?? m.Team}</Table.Td>
                    <Table.Td>{m.Team !== undefined ? 'team' : 'user'}</Table.Td>
                    <Table.Td>
                      {rights.administer ? (
                        <Select
                          aria-label={`Role of ${m.User ?? m.Team}`}
                          data={ROLES}
                          value={m.Role}
                          allowDeselect={false}
                          w={160}
                          onChange={(v) => v && change.mutate({ member: ref(m), role: v as ProjectRole }, { onError: notifyError })}
                        />
                      ) : (
                        <Text size="sm">{m.Role}</Text>
                      )}
                    </Table.Td>
                    {rights.administer && (
                      <Table.Td>
                        <Button size="compact-sm" variant="subtle" color="red" aria-label={`Remove ${m.User ?? m.Team}`} onClick={() => remove.mutate(ref(m), { onError: notifyError })}>
                          Remove
                        </Button>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
      {rights.administer && <AddMember project={project.Name} />}
    </Stack>
  );
}
