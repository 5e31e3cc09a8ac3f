// Replication (system administrators): the remote registries and the policies that copy
// artifacts to or from them — on push, on a schedule or on demand — with each policy's runs.

import { useState } from 'react';
import { Anchor, Badge, Breadcrumbs, Button, Card, Checkbox, Group, Modal, PasswordInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { REGISTRY, useEndpoints, useRegistryChange, useReplicationRuns, useReplications } from '../../api/registry';
import type { ReplicationPolicy } from '../../api/registry-types';
import { Loaded, Page } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago } from '../../components/time';

const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

function AddEndpoint() {
  const [spec, setSpec] = useState({ Name: '', URL: '', Username: '', Password: '', Insecure: false });
  const add = useRegistryChange((body: typeof spec) => api.post(`${REGISTRY}/registries`, body));
  const field = (k: 'Name' | 'URL' | 'Username') => ({ value: spec[k], onChange: (e: React.ChangeEvent<HTMLInputElement>) => setSpec({ ...spec, [k]: e.currentTarget.value }) });
  return (
    <form onSubmit={(e) => (e.preventDefault(), add.mutate(spec, { onError: notifyError, onSuccess: () => setSpec({ Name: '', URL: '', Username: '', Password: '', Insecure: false }) }))}>
      <Group align="end" gap="xs">
        <TextInput label="Name" required w={140} {...field('Name')} />
        <TextInput label="URL" placeholder="https://dr.example:5000" required w={220} {...field('URL')} />
        <TextInput label="Username" w={140} {...field('Username')} />
        <PasswordInput label="Password" w={160} value={spec.Password} onChange={(e) => setSpec({ ...spec, Password: e.currentTarget.value })} />
        <Checkbox label="Skip TLS verification" checked={spec.Insecure} onChange={(e) => setSpec({ ...spec, Insecure: e.currentTarget.checked })} mb={8} />
        <Button type="submit" variant="default" loading={add.isPending}>
          Add registry
        </Button>
      </Group>
    </form>
  );
}

function AddPolicy({ endpoints }: { endpoints: string[] }) {
  const [name, setName] = useState('');
  const [direction, setDirection] = useState<'push' | 'pull'>('push');
  const [endpoint, setEndpoint] = useState<string | null>(null);
  const [repositories, setRepositories] = useState('');
  const [tags, setTags] = useState('');
  const [trigger, setTrigger] = useState('manual');
  const [cron, setCron] = useState('');
  const add = useRegistryChange((body: object) => api.post(`${REGISTRY}/replications`, body));
  const submit = () =>
    add.mutate(
      { Name: name, Direction: direction, Endpoint: endpoint ?? '', Repositories: list(repositories), Tags: list(tags), Trigger: trigger === 'schedule' ? { Type: 'schedule', Cron: cron } : { Type: trigger } },
      { onError: notifyError, onSuccess: () => setName('') },
    );
  return (
    <form onSubmit={(e) => (e.preventDefault(), submit())}>
      <Stack gap="xs">
        <Group align="end" gap="xs">
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required w={140} />
          <Select label="Direction" data={[{ value: 'push', label: 'push: here → there' }, { value: 'pull', label: 'pull: there → here' }]} value={direction} onChange={(v) => v && setDirection(v as 'push' | 'pull')} allowDeselect={false} w={180} />
          <Select label="Registry" data={endpoints} value={endpoint} onChange={setEndpoint} required w={160} />
          <TextInput label="Repositories" description="Globs, comma-separated; empty: all" value={repositories} onChange={(e) => setRepositories(e.currentTarget.value)} w={200} />
          <TextInput label="Tags" description="Globs; empty: all" value={tags} onChange={(e) => setTags(e.currentTarget.value)} w={140} />
        </Group>
        <Group align="end" gap="xs">
          <Select label="Trigger" data={[{ value: 'manual', label: 'manual' }, { value: 'onPush', label: 'on push' }, { value: 'schedule', label: 'schedule' }]} value={trigger} onChange={(v) => v && setTrigger(v)} allowDeselect={false} w={140} />
          {trigger === 'schedule' && <TextInput label="Cron (UTC)" placeholder="0 0 2 * * *" value={cron} onChange={(e) => setCron(e.currentTarget.value)} required w={160} />}
          <Button type="submit" variant="default" loading={add.isPending}>
            Add policy
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Runs({ policy }: { policy: ReplicationPolicy }) {
  const runs = useReplicationRuns(policy.ID);
  return (
    <Loaded query={runs}>
      {(list) =>
        list.length === 0 ? (
          <Text c="dimmed">No runs yet.</Text>
        ) : (
          <Table.ScrollContainer minWidth={480}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Trigger</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Artifacts</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((r) => (
                  <Table.Tr key={r.ID}>
                    <Table.Td>{ago(r.StartedAt)}</Table.Td>
                    <Table.Td>{r.Trigger}</Table.Td>
                    <Table.Td>
                      {r.Status}
                      {r.Error ? ` — ${r.Error}` : ''}
                    </Table.Td>
                    <Table.Td>{r.Artifacts.map((a) => `${a.Repository}:${a.Tag} ${a.Status}`).join(', ') || 'none'}</Table.Td>
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

export default function ReplicationPage() {
  const endpoints = useEndpoints();
  const policies = useReplications();
  const [shown, setShown] = useState<ReplicationPolicy>();
  const removeEndpoint = useRegistryChange((id: string) => api.delete(`${REGISTRY}/registries/${encodeURIComponent(id)}`));
  const removePolicy = useRegistryChange((id: string) => api.delete(`${REGISTRY}/replications/${encodeURIComponent(id)}`));
  const run = useRegistryChange((id: string) => api.post(`${REGISTRY}/replications/${encodeURIComponent(id)}/run`));
  return (
    <Page title="Replication">
      <Breadcrumbs>
        <Anchor component={Link} to="/registry">
          Registry
        </Anchor>
        <Text span>Replication</Text>
      </Breadcrumbs>
      <Card withBorder aria-labelledby="endpoints-title">
        <Title order={2} size="h4" id="endpoints-title" mb="sm">
          Registries
        </Title>
        <Loaded query={endpoints}>
          {(list) => (
            <Stack>
              {list.length === 0 ? (
                <Text c="dimmed">No registries yet.</Text>
              ) : (
                <Table.ScrollContainer minWidth={480}>
                  <Table>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Name</Table.Th>
                        <Table.Th>URL</Table.Th>
                        <Table.Th>Login</Table.Th>
                        <Table.Th>Delete</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {list.map((e) => (
                        <Table.Tr key={e.ID}>
                          <Table.Td>{e.Spec.Name}</Table.Td>
                          <Table.Td className="mono">
                            {e.Spec.URL} {e.Spec.Insecure && <Badge variant="light" color="orange">TLS not verified</Badge>}
                          </Table.Td>
                          <Table.Td>{e.Spec.Username ?? 'anonymous'}</Table.Td>
                          <Table.Td>
                            <Button size="compact-sm" variant="subtle" color="red" aria-label={`Delete registry ${e.Spec.Name}`} onClick={() => removeEndpoint.mutate(e.ID, { onError: notifyError })}>
                              Delete
                            </Button>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
              <AddEndpoint />
            </Stack>
          )}
        </Loaded>
      </Card>
      <Card withBorder aria-labelledby="policies-title">
        <Title order={2} size="h4" id="policies-title" mb="sm">
          Policies
        </Title>
        <Loaded query={policies}>
          {(list) => (
            <Stack>
              {list.length === 0 ? (
                <Text c="dimmed">No policies yet.</Text>
              ) : (
                <Table.ScrollContainer minWidth={640}>
                  <Table>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Name</Table.Th>
                        <Table.Th>Direction</Table.Th>
                        <Table.Th>Registry</Table.Th>
                        <Table.Th>What</Table.Th>
                        <Table.Th>Trigger</Table.Th>
                        <Table.Th>Actions</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {list.map((p) => (
                        <Table.Tr key={p.ID}>
                          <Table.Td>{p.Spec.Name}</Table.Td>
                          <Table.Td>{p.Spec.Direction}</Table.Td>
                          <Table.Td>{p.Spec.Endpoint}</Table.Td>
                          <Table.Td className="mono">
                            {(p.Spec.Repositories ?? []).join(', ') || '**'} : {(p.Spec.Tags ?? []).join(', ') || '**'}
                          </Table.Td>
                          <Table.Td>{p.Spec.Trigger?.Type === 'schedule' ? `schedule ${p.Spec.Trigger.Cron ?? `every ${p.Spec.Trigger.IntervalSeconds} s`}` : (p.Spec.Trigger?.Type ?? 'manual')}</Table.Td>
                          <Table.Td>
                            <Group gap={4} wrap="nowrap">
                              <Button size="compact-sm" variant="default" aria-label={`Run ${p.Spec.Name}`} onClick={() => run.mutate(p.ID, { onError: notifyError, onSuccess: () => notifyDone(`${p.Spec.Name} started`) })}>
                                Run
                              </Button>
                              <Button size="compact-sm" variant="default" aria-label={`Runs of ${p.Spec.Name}`} onClick={() => setShown(p)}>
                                Runs
                              </Button>
                              <Button size="compact-sm" variant="subtle" color="red" aria-label={`Delete policy ${p.Spec.Name}`} onClick={() => removePolicy.mutate(p.ID, { onError: notifyError })}>
                                Delete
                              </Button>
                            </Group>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
              {endpoints.data && endpoints.data.length > 0 && <AddPolicy endpoints={endpoints.data.map((e) => e.Spec.Name)} />}
            </Stack>
          )}
        </Loaded>
      </Card>
      <Modal opened={!!shown} onClose={() => setShown(undefined)} title={`Runs of ${shown?.Spec.Name ?? ''}`} size="lg">
        {shown && <Runs policy={shown} />}
      </Modal>
    </Page>
  );
}
