// The cluster at a glance: nodes up and down, services converged/updating/failing, what failed
// in the last hour and why, and what just happened (the live event stream).

import { useMemo, useSyncExternalStore } from 'react';
import { Anchor, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { byId, useNodes, useServices, useTasks } from '../api/queries';
import { serviceHealth, TaskStateBadge, type Health } from '../components/status';
import { ago, shortId } from '../components/time';
import { Loaded, Page } from '../components/Page';
import { events } from '../app/queries';
import { RegistryCard } from './registry/RegistryCard';

const HOUR = 3_600_000;

function Count({ n, label, to, color }: { n: number; label: string; to: string; color?: string }) {
  return (
    <Anchor component={Link} to={to} underline="never">
      <Text fz={28} fw={700} c={n > 0 ? color : 'dimmed'} lh={1.1}>
        {n}
      </Text>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
    </Anchor>
  );
}

function useRecentEvents() {
  return useSyncExternalStore(
    (l) => events.subscribe(l),
    () => events.recent,
  );
}

export function DashboardPage() {
  const nodes = useNodes();
  const services = useServices();
  const failed = useTasks({ state: ['failed', 'rejected'] });
  const recent = useRecentEvents();
  const serviceById = useMemo(() => byId(services.data), [services.data]);
  const nodeById = useMemo(() => byId(nodes.data), [nodes.data]);

  const health = useMemo(() => {
    const counts: Record<Health, number> = { converged: 0, updating: 0, failing: 0, starting: 0 };
    for (const s of services.data ?? []) counts[serviceHealth(s)]++;
    return counts;
  }, [services.data]);
  const lastHour = useMemo(
    () =>
      (failed.data ?? [])
        .filter((t) => Date.now() - Date.parse(t.Status.Timestamp) < HOUR)
        .sort((a, b) => b.Status.Timestamp.localeCompare(a.Status.Timestamp))
        .slice(0, 20),
    [failed.data],
  );

  return (
    <Page title="Dashboard">
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Card withBorder aria-labelledby="nodes-card">
          <Title order={2} size="h4" id="nodes-card" mb="sm">
            Nodes
          </Title>
          <Loaded query={nodes}>
            {(list) => (
              <Group gap="xl">
                <Count n={list.filter((n) => n.Status.State === 'ready').length} label="ready" to="/nodes?state=ready" color="green" />
                <Count n={list.filter((n) => n.Status.State !== 'ready').length} label="down" to="/nodes?state=down" color="red" />
                <Count n={list.filter((n) => n.Spec.Availability !== 'active').length} label="drained or paused" to="/nodes?availability=inactive" color="orange" />
              </Group>
            )}
          </Loaded>
        </Card>
        <Card withBorder aria-labelledby="services-card">
          <Title order={2} size="h4" id="services-card" mb="sm">
            Services
          </Title>
          <Loaded query={services}>
            {() => (
              <Group gap="xl">
                <Count n={health.converged} label="converged" to="/services?health=converged" color="green" />
                <Count n={health.updating} label="updating" to="/services?health=updating" color="blue" />
                <Count n={health.starting} label="short of replicas" to="/services?health=starting" color="orange" />
                <Count n={health.failing} label="update paused" to="/services?health=failing" color="red" />
              </Group>
            )}
          </Loaded>
        </Card>
        <RegistryCard />
      </SimpleGrid>
      <Card withBorder aria-labelledby="failed-card">
        <Title order={2} size="h4" id="failed-card" mb="sm">
          Tasks that failed in the last hour
        </Title>
        <Loaded query={failed}>
          {() =>
            lastHour.length === 0 ? (
              <Text c="dimmed">None.</Text>
            ) : (
              <Table.ScrollContainer minWidth={560}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Task</Table.Th>
                      <Table.Th>Node</Table.Th>
                      <Table.Th>State</Table.Th>
                      <Table.Th>Error</Table.Th>
                      <Table.Th>When</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {lastHour.map((t) => {
                      const service = serviceById.get(t.ServiceID);
                      return (
                        <Table.Tr key={t.ID}>
                          <Table.Td>
                            <Anchor component={Link} to={`/services/${t.ServiceID}`}>
                              {service ? `${service.Spec.Name}.${t.Slot ?? shortId(t.NodeID ?? '')}` : shortId(t.ID)}
                            </Anchor>
                          </Table.Td>
                          <Table.Td>{t.NodeID ? (nodeById.get(t.NodeID)?.Description.Hostname ?? shortId(t.NodeID)) : ''}</Table.Td>
                          <Table.Td>
                            <TaskStateBadge state={t.Status.State} />
                          </Table.Td>
                          <Table.Td>{t.Status.Err ?? t.Status.Message}</Table.Td>
                          <Table.Td>{ago(t.Status.Timestamp)}</Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )
          }
        </Loaded>
      </Card>
      <Card withBorder aria-labelledby="events-card">
        <Title order={2} size="h4" id="events-card" mb="sm">
          Recent events
        </Title>
        {recent.length === 0 ? (
          <Text c="dimmed">Nothing yet: changes show here as they happen.</Text>
        ) : (
          <Stack gap={4} aria-live="polite">
            {recent.slice(0, 15).map((e) => (
              <Text key={`${e.timeNano}-${e.Actor.ID}-${e.Action}`} size="sm">
                <Text span c="dimmed">
                  {new Date(e.time * 1000).toLocaleTimeString()}
                </Text>{' '}
                {e.Type} {e.Action} <b>{e.Actor.Attributes.name ?? shortId(e.Actor.ID)}</b>
                {e.Actor.Attributes['state.new'] ? ` → ${e.Actor.Attributes['state.new']}` : ''}
              </Text>
            ))}
          </Stack>
        )}
      </Card>
    </Page>
  );
}
