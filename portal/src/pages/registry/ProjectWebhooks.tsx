// A project's webhooks (Harbor's payloads, signed with the secret when one is set) and their
// last deliveries; maintainers see them, project admins add, switch off and delete them.

import { useState } from 'react';
import { Badge, Button, Checkbox, Group, Modal, PasswordInput, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { api } from '../../api/client';
import { projectPath, useDeliveries, useRegistryChange, useWebhooks } from '../../api/registry';
import type { ProjectRights } from '../../api/registry-access';
import type { RegistryProject, Webhook, WebhookEvent } from '../../api/registry-types';
import { Loaded } from '../../components/Page';
import { notifyError } from '../../components/notify';
import { ago } from '../../components/time';

const EVENTS: WebhookEvent[] = ['push', 'pull', 'delete', 'quotaExceeded', 'replication'];

function AddWebhook({ project }: { project: string }) {
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const [secret, setSecret] = useState('');
  const [events, setEvents] = useState<string[]>(['push']);
  const add = useRegistryChange((body: object) => api.post(`${projectPath(project)}/webhooks`, body));
  const submit = () => add.mutate({ url, events, ...(name && { name }), ...(secret && { secret }) }, { onError: notifyError, onSuccess: () => (setUrl(''), setName(''), setSecret('')) });
  return (
    <form onSubmit={(e) => (e.preventDefault(), submit())}>
      <Stack gap="xs">
        <Title order={2} size="h5">
          Add a webhook
        </Title>
        <Group align="end" gap="xs">
          <TextInput label="URL" placeholder="https://ci.example/hook" value={url} onChange={(e) => setUrl(e.currentTarget.value)} required w={280} />
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} w={160} />
          <PasswordInput label="Secret" description="Signs each payload" value={secret} onChange={(e) => setSecret(e.currentTarget.value)} w={180} />
        </Group>
        <Checkbox.Group label="Events" value={events} onChange={setEvents}>
          <Group gap="sm" mt={6}>
            {EVENTS.map((e) => (
              <Checkbox key={e} value={e} label={e} />
            ))}
          </Group>
        </Checkbox.Group>
        <Group>
          <Button type="submit" variant="default" loading={add.isPending}>
            Add webhook
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Deliveries({ project, hook }: { project: string; hook: Webhook }) {
  const deliveries = useDeliveries(project, hook.id);
  return (
    <Loaded query={deliveries}>
      {(list) =>
        list.length === 0 ? (
          <Text c="dimmed">Nothing delivered yet.</Text>
        ) : (
          <Table.ScrollContainer minWidth={480}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>When</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>{d.event}</Table.Td>
                    <Table.Td>
                      {d.status}
                      {d.error ? ` — ${d.error}` : d.statusCode ? ` (${d.statusCode})` : ''}
                    </Table.Td>
                    <Table.Td>{d.attempts}</Table.Td>
                    <Table.Td>{ago(d.startedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )
      }
    </Loaded>
  );
}

export function ProjectWebhooks({ project, rights }: { project: RegistryProject; rights: ProjectRights }) {
  const hooks = useWebhooks(project.Name);
  const [shown, setShown] = useState<Webhook>();
  const path = (h: Webhook) => `${projectPath(project.Name)}/webhooks/${encodeURIComponent(h.id)}`;
  const toggle = useRegistryChange(({ hook, enabled }: { hook: Webhook; enabled: boolean }) => api.put(path(hook), { url: hook.url, events: hook.events, name: hook.name, enabled, version: hook.version }));
  const remove = useRegistryChange((hook: Webhook) => api.delete(path(hook)));
  return (
    <Stack>
      <Loaded query={hooks}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No webhooks.</Text>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>URL</Table.Th>
                    <Table.Th>Events</Table.Th>
                    <Table.Th>Enabled</Table.Th>
                    <Table.Th>Deliveries</Table.Th>
                    {rights.administer && <Table.Th>Delete</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((h) => (
                    <Table.Tr key={h.id}>
                      <Table.Td>
                        {h.name} {h.hasSecret && <Badge variant="light">signed</Badge>}
                      </Table.Td>
                      <Table.Td className="mono">{h.url}</Table.Td>
                      <Table.Td>{h.events.join(', ')}</Table.Td>
                      <Table.Td>
                        {rights.administer ? (
                          <Switch aria-label={`Webhook ${h.name} enabled`} checked={h.enabled} onChange={(e) => toggle.mutate({ hook: h, enabled: e.currentTarget.checked }, { onError: notifyError })} />
                        ) : h.enabled ? (
                          'yes'
                        ) : (
                          'no'
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Button size="compact-sm" variant="default" onClick={() => setShown(h)} aria-label={`Deliveries of ${h.name}`}>
                          Show
                        </Button>
                      </Table.Td>
                      {rights.administer && (
                        <Table.Td>
                          <Button size="compact-sm" variant="subtle" color="red" aria-label={`Delete webhook ${h.name}`} onClick={() => remove.mutate(h, { onError: notifyError })}>
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
      {rights.administer && <AddWebhook project={project.Name} />}
      <Modal opened={!!shown} onClose={() => setShown(undefined)} title={`Deliveries of ${shown?.name ?? ''}`} size="lg">
        {shown && <Deliveries project={project.Name} hook={shown} />}
      </Modal>
    </Stack>
  );
}
