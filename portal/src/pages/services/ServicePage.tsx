// One service: its tasks (with history and errors), live logs and spec in tabs (?tab=), and what
// an operator does to it — scale, update, roll back, restart, remove.

import { useCallback, useMemo } from 'react';
import { Anchor, Code, Group, Table, Tabs, Text } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import { byId, useNodes, useService, useServices, useTasks } from '../../api/queries';
import type { Service, Task } from '../../api/types';
import { Loaded, Page } from '../../components/Page';
import { HealthBadge, mode, replicas, serviceHealth, TaskStateBadge } from '../../components/status';
import { ago, shortId } from '../../components/time';
import { LogView } from '../../components/logs/LogView';
import { useCan } from '../../app/who';
import { ServiceActions } from './ServiceActions';
import { UpdateAvailable } from './UpdateAvailable';
import { useImageUpdates } from '../../api/registry';

function taskLabel(service: Service, t: Task): string {
  return `${service.Spec.Name}.${t.Slot ?? t.NodeID ?? ''}`;
}

function TaskTable({ service, tasks, nodeName }: { service: Service; tasks: Task[]; nodeName: (id: string) => string }) {
  const sorted = [...tasks].sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0) || b.Status.Timestamp.localeCompare(a.Status.Timestamp));
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Task</Table.Th>
            <Table.Th>Node</Table.Th>
            <Table.Th>Desired</Table.Th>
            <Table.Th>Current</Table.Th>
            <Table.Th>Error</Table.Th>
            <Table.Th>Image</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sorted.map((t, i) => {
            // As `docker service ps`: a slot's older tasks are its history, shown indented.
            const history = i > 0 && sorted[i - 1]!.Slot === t.Slot && t.Slot !== undefined;
            return (
              <Table.Tr key={t.ID} c={history ? 'dimmed' : undefined}>
                <Table.Td>
                  {history ? ' \\_ ' : ''}
                  {taskLabel(service, t)} <Text span size="xs" c="dimmed" className="mono">{shortId(t.ID)}</Text>
                </Table.Td>
                <Table.Td>{t.NodeID ? <Anchor component={Link} to={`/nodes/${t.NodeID}`}>{nodeName(t.NodeID)}</Anchor> : ''}</Table.Td>
                <Table.Td>{t.DesiredState}</Table.Td>
                <Table.Td>
                  <TaskStateBadge state={t.Status.State} /> <Text span size="xs">{ago(t.Status.Timestamp)}</Text>
                </Table.Td>
                <Table.Td>{t.Status.Err ?? ''}</Table.Td>
                <Table.Td className="mono">{t.Spec.ContainerSpec?.Image.replace(/@sha256:[0-9a-f]+$/, '')}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export default function ServicePage() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const service = useService(id);
  // Running/desired counts come with the list only (GET /services?status=true), as Docker serves them.
  const status = useServices().data?.find((x) => x.ID === service.data?.ID)?.ServiceStatus;
  const tasks = useTasks({ service: [id] }, !!service.data);
  const nodes = useNodes();
  const nodeById = useMemo(() => byId(nodes.data), [nodes.data]);
  const taskById = useMemo(() => byId(tasks.data), [tasks.data]);
  const nodeName = useCallback((n: string) => nodeById.get(n)?.Description.Hostname ?? shortId(n), [nodeById]);
  const mayDeploy = useCan('deploy', { labels: service.data?.Spec.Labels });
  const tab = params.get('tab') ?? 'tasks';
  const update = useImageUpdates().data?.find((u) => u.ServiceID === service.data?.ID);

  const fetched = service.data;
  const s = fetched && { ...fetched, ServiceStatus: status };
  if (!s) return <Loaded query={service}>{() => null}</Loaded>;
  return (
    <Page
      title={
        <Group gap="sm">
          {s.Spec.Name} <HealthBadge health={serviceHealth(s)} />
        </Group>
      }
      actions={mayDeploy && <ServiceActions service={s} />}
    >
      <Group gap="xl">
        <Text size="sm">
          <Text span c="dimmed">Mode</Text> {mode(s)}
        </Text>
        <Text size="sm">
          <Text span c="dimmed">Replicas</Text> {replicas(s)}
        </Text>
        <Text size="sm">
          <Text span c="dimmed">Image</Text> <span className="mono">{s.Spec.TaskTemplate.ContainerSpec.Image}</span> <UpdateAvailable service={s} update={update} />
        </Text>
        {s.UpdateStatus && (
          <Text size="sm">
            <Text span c="dimmed">Update</Text> {s.UpdateStatus.State} {s.UpdateStatus.Message ? `— ${s.UpdateStatus.Message}` : ''}
          </Text>
        )}
      </Group>
      <Tabs value={tab} onChange={(v) => setParams(v === 'tasks' ? {} : { tab: v ?? 'tasks' }, { replace: true })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="tasks">Tasks</Tabs.Tab>
          <Tabs.Tab value="logs">Logs</Tabs.Tab>
          <Tabs.Tab value="spec">Spec</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="tasks" pt="md">
          <Loaded query={tasks}>{(list) => <TaskTable service={s} tasks={list} nodeName={nodeName} />}</Loaded>
        </Tabs.Panel>
        <Tabs.Panel value="logs" pt="md">
          <LogView
            sources={[{ path: `/services/${s.ID}/logs`, mux: !s.Spec.TaskTemplate.ContainerSpec.TTY }]}
            taskName={(t) => {
              const task = taskById.get(t);
              return task ? taskLabel(s, task) : shortId(t);
            }}
            nodeName={nodeName}
            fileName={`${s.Spec.Name}.log`}
          />
        </Tabs.Panel>
        <Tabs.Panel value="spec" pt="md">
          <Code block tabIndex={0} aria-label="Service spec (JSON)">{JSON.stringify(s.Spec, null, 2)}</Code>
        </Tabs.Panel>
      </Tabs>
    </Page>
  );
}
