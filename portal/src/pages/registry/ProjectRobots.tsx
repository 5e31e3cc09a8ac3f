// A project's robot accounts (robot$PROJECT+NAME): what they may do, expiry and state. Project
// admins create them — the secret is shown once, then only its hash is kept — disable and delete them.

import { useState } from 'react';
import { Alert, Badge, Button, Checkbox, Code, CopyButton, Group, Modal, NumberInput, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { api } from '../../api/client';
import { REGISTRY, useRegistryChange, useRobots } from '../../api/registry';
import type { ProjectRights } from '../../api/registry-access';
import type { RegistryProject, RepositoryAction, Robot } from '../../api/registry-types';
import { Loaded } from '../../components/Page';
import { notifyError } from '../../components/notify';

const ACTIONS: RepositoryAction[] = ['pull', 'push', 'delete'];

function CreateRobot({ project, onCreated }: { project: string; onCreated: (r: Robot & { Secret: string }) => void }) {
  const [name, setName] = useState('');
  const [actions, setActions] = useState<RepositoryAction[]>(['pull']);
  const [days, setDays] = useState<number | string>('');
  const create = useRegistryChange((body: object) => api.post<Robot & { Secret: string }>(`${REGISTRY}/robots`, body));
  const submit = () =>
    create.mutate({ Name: name, Project: project, Actions: actions, ...(days !== '' && { ExpiresInDays: Number(days) }) }, { onError: notifyError, onSuccess: (r) => (setName(''), onCreated(r)) });
  return (
    <form onSubmit={(e) => (e.preventDefault(), submit())}>
      <Stack gap="xs">
        <Title order={2} size="h5">
          Create a robot account
        </Title>
        <Group align="end" gap="md">
          <TextInput label="Name" description={`robot$${project}+NAME`} value={name} onChange={(e) => setName(e.currentTarget.value)} required />
          <Checkbox.Group label="May" value={actions} onChange={(v) => setActions(v as RepositoryAction[])}>
            <Group gap="sm" mt={6}>
              {ACTIONS.map((a) => (
                <Checkbox key={a} value={a} label={a} />
              ))}
            </Group>
          </Checkbox.Group>
          <NumberInput label="Expires in days" description="Empty: never" min={1} max={36500} value={days} onChange={setDays} w={150} />
          <Button type="submit" variant="default" loading={create.isPending}>
            Create
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function ProjectRobots({ project, rights }: { project: RegistryProject; rights: ProjectRights }) {
  const robots = useRobots(project.Name);
  const [created, setCreated] = useState<Robot & { Secret: string }>();
  const toggle = useRegistryChange(({ name, disabled }: { name: string; disabled: boolean }) => api.put(`${REGISTRY}/robots/${encodeURIComponent(name)}`, { Disabled: disabled }));
  const remove = useRegistryChange((name: string) => api.delete(`${REGISTRY}/robots/${encodeURIComponent(name)}`));
  return (
    <Stack>
      <Loaded query={robots}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No robot accounts.</Text>
          ) : (
            <Table.ScrollContainer minWidth={560}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Robot</Table.Th>
                    <Table.Th>May</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>Enabled</Table.Th>
                    {rights.administer && <Table.Th>Delete</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((r) => (
                    <Table.Tr key={r.ID}>
                      <Table.Td className="mono">{r.Name}</Table.Td>
                      <Table.Td>{r.Permissions.flatMap((p) => p.Actions).join(', ')}</Table.Td>
                      <Table.Td>{r.ExpiresAt ? new Date(r.ExpiresAt).toLocaleDateString() : 'never'}</Table.Td>
                      <Table.Td>
                        {rights.administer ? (
                          <Switch aria-label={`${r.Name} enabled`} checked={!r.Disabled} onChange={(e) => toggle.mutate({ name: r.Name, disabled: !e.currentTarget.checked }, { onError: notifyError })} />
                        ) : (
                          <Badge variant="light" color={r.Disabled ? 'gray' : 'green'}>
                            {r.Disabled ? 'disabled' : 'enabled'}
                          </Badge>
                        )}
                      </Table.Td>
                      {rights.administer && (
                        <Table.Td>
                          <Button size="compact-sm" variant="subtle" color="red" aria-label={`Delete ${r.Name}`} onClick={() => remove.mutate(r.Name, { onError: notifyError })}>
                            Delete
                          </Button>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </Loaded>
      {rights.administer && <CreateRobot project={project.Name} onCreated={setCreated} />}
      <Modal opened={!!created} onClose={() => setCreated(undefined)} title={`Robot ${created?.Name ?? ''} created`}>
        <Stack>
          <Alert color="yellow" title="Copy the secret now">
            It is shown only this once; Berth keeps only its hash.
          </Alert>
          <TextInput label="Secret" value={created?.Secret ?? ''} readOnly classNames={{ input: 'mono' }} />
          <CopyButton value={created?.Secret ?? ''}>
            {({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy secret'}</Button>}
          </CopyButton>
          <Text size="sm">
            Log in with <Code>docker login -u '{created?.Name}'</Code> and the secret as password.
          </Text>
        </Stack>
      </Modal>
    </Stack>
  );
}
