// One node: what it is (resources, engine, certificate expiry), its tasks, and — for an
// administrator — its availability and labels.

import { useMemo, useState } from 'react';
import { ActionIcon, Anchor, Button, Card, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { useUpdateNode } from '../../api/mutations';
import { byId, useNode, useServices, useTasks } from '../../api/queries';
import type { Node } from '../../api/types';
import { Loaded, Page } from '../../components/Page';
import { NodeStateBadge, TaskStateBadge } from '../../components/status';
import { ago, bytes, shortId } from '../../components/time';
import { notifyError } from '../../components/notify';
import { useCan } from '../../app/who';
import { AvailabilityMenu } from './AvailabilityMenu';

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm">{children}</Text>
    </div>
  );
}

function Labels({ node, editable }: { node: Node; editable: boolean }) {
  const update = useUpdateNode();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const labels = node.Spec.Labels ?? {};
  const save = (next: Record<string, string>) => update.mutate({ node, spec: { ...node.Spec, Labels: next } }, { onError: notifyError, onSuccess: () => (setKey(''), setValue('')) });
  return (
    <Stack gap="xs">
      {Object.keys(labels).length === 0 && <Text c="dimmed">No labels.</Text>}
      {Object.entries(labels).map(([k, v]) => (
        <Group key={k} gap="xs">
          <Text className="mono">
            {k}={v}
          </Text>
          {editable && (
            <ActionIcon variant="subtle" color="red" aria-label={`Remove label ${k}`} onClick={() => save(Object.fromEntries(Object.entries(labels).filter(([x]) => x !== k)))}>
              ×
            </ActionIcon>
          )}
        </Group>
      ))}
      {editable && (
        <form onSubmit={(e) => (e.preventDefault(), save({ ...labels, [key]: value }))}>
          <Group gap="xs" align="end">
            <TextInput label="Label" placeholder="zone" value={key} onChange={(e) => setKey(e.currentTarget.value)} required />
            <TextInput label="Value" placeholder="east" value={value} onChange={(e) => setValue(e.currentTarget.value)} />
            <Button type="submit" variant="default" loading={update.isPending}>
              Add label
            </Button>
          </Group>
        </form>
      )}
    </Stack>
  );
}

export default function NodePage() {
  const { id = '' } = useParams();
  const node = useNode(id);
  const tasks = useTasks({ node: [id], 'desired-state': ['running', 'ready', 'accepted'] });
  const services = useServices();
  const serviceById = useMemo(() => byId(services.data), [services.data]);
  const admin = useCan('administer');

  return (
    <Loaded query={node}>
      {(n) => (
        <Page
          title={
            <>
              {n.Description.Hostname} <NodeStateBadge node={n} />
            </>
          }
          actions={admin && <AvailabilityMenu node={n} />}
        >
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Fact label="ID">
              <span className="mono">{n.ID}</span>
            </Fact>
            <Fact label="Role">{n.Spec.Role + (n.ManagerStatus?.Leader ? ' (leader)' : '')}</Fact>
            <Fact label="Availability">{n.Spec.Availability}</Fact>
            <Fact label="Address">{n.Status.Addr}</Fact>
            <Fact label="CPUs">{n.Description.Resources ? (n.Description.Resources.NanoCPUs / 1e9).toString() : '—'}</Fact>
            <Fact label="Memory">{bytes(n.Description.Resources?.MemoryBytes)}</Fact>
            <Fact label="Engine">{n.Description.Engine?.EngineVersion ?? '—'}</Fact>
            <Fact label="Platform">{n.Description.Platform ? `${n.Description.Platform.OS}/${n.Description.Platform.Architecture}` : '—'}</Fact>
            <Fact label="Certificate expires">{n.Certificate ? `${new Date(n.Certificate.NotAfter).toLocaleString()} (${ago(n.Certificate.NotAfter)})` : '—'}</Fact>
            {n.Status.Message && <Fact label="Status">{n.Status.Message}</Fact>}
          </SimpleGrid>
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              Labels
            </Title>
            <Labels node={n} editable={admin} />
          </Card>
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              Tasks
            </Title>
            <Loaded query={tasks}>
              {(list) =>
                list.length === 0 ? (
                  <Text c="dimmed">No tasks run here.</Text>
                ) : (
                  <Table.ScrollContainer minWidth={480}>
                    <Table>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>Task</Table.Th>
                          <Table.Th>Image</Table.Th>
                          <Table.Th>State</Table.Th>
                          <Table.Th>Since</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {list.map((t) => (
                          <Table.Tr key={t.ID}>
                            <Table.Td>
                              <Anchor component={Link} to={`/services/${t.ServiceID}`}>
                                {serviceById.get(t.ServiceID)?.Spec.Name ?? shortId(t.ServiceID)}
                                {t.Slot ? `.${t.Slot}` : ''}
                              </Anchor>
                            </Table.Td>
                            <Table.Td className="mono">{t.Spec.ContainerSpec?.Image}</Table.Td>
                            <Table.Td>
                              <TaskStateBadge state={t.Status.State} />
                            </Table.Td>
                            <Table.Td>{ago(t.Status.Timestamp)}</Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  </Table.ScrollContainer>
                )
              }
            </Loaded>
          </Card>
        </Page>
      )}
    </Loaded>
  );
}
