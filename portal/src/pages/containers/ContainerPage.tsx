// One task container: what docker inspect tells about it, its live logs, its processes and a
// stats sample, the exec console (operators of its service only) and the raw inspect, in tabs
// (?tab=). The console and its terminal library load only when that tab is opened.

import { lazy, Suspense, type ReactNode } from 'react';
import { Anchor, Button, Code, Group, Loader, Table, Tabs, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { useUrlState } from '../../components/url';
import { useContainer, useContainerStats, useContainerTop } from '../../api/containers';
import type { ContainerInspect } from '../../api/container-types';
import { useServices } from '../../api/queries';
import { Loaded, Page } from '../../components/Page';
import { LogView } from '../../components/logs/LogView';
import { ago, bytes } from '../../components/time';
import { useCan } from '../../app/who';
import { ContainerStateBadge } from './ContainerStateBadge';
import { commandLine } from './rows';
import { summarize } from './stats';

const ExecConsole = lazy(() => import('./ExecConsole'));
// The live chart brings its chart library: loaded when the tab opens.
const UsageChart = lazy(() => import('./UsageChart'));

const TABS = ['overview', 'logs', 'processes', 'console', 'inspect'] as const;

function Facts({ rows }: { rows: Array<[string, ReactNode]> }) {
  return (
    <Table.ScrollContainer minWidth={320}>
      <Table variant="vertical" layout="fixed" withTableBorder>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w={160}>{label}</Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function state(c: ContainerInspect): ReactNode {
  const s = c.State;
  const since = s.Running ? `since ${ago(s.StartedAt)}` : `exit code ${s.ExitCode}, ${ago(s.FinishedAt)}`;
  return (
    <Group gap="xs">
      <ContainerStateBadge state={s.Status} /> <Text span size="sm">{since}</Text>
      {s.Health?.Status && <Text span size="sm">health: {s.Health.Status}</Text>}
      {s.Error && <Text span size="sm" c="red">{s.Error}</Text>}
    </Group>
  );
}

function Overview({ c }: { c: ContainerInspect }) {
  const labels = c.Config.Labels ?? {};
  const serviceId = labels['com.docker.swarm.service.id'];
  const networks = Object.entries(c.NetworkSettings?.Networks ?? {}).map(([name, n]) => `${name} ${n.IPAddress ?? ''}`.trim());
  const limits = [c.HostConfig?.NanoCpus ? `${c.HostConfig.NanoCpus / 1e9} CPUs` : '', c.HostConfig?.Memory ? bytes(c.HostConfig.Memory) : ''].filter(Boolean);
  const rows: Array<[string, ReactNode]> = [
    ['State', state(c)],
    ['Node', <Anchor component={Link} to={`/nodes/${c.Node.ID}`} inherit>{c.Node.Name}</Anchor>],
    ['Service', serviceId ? <Anchor component={Link} to={`/services/${serviceId}`} inherit>{labels['com.docker.swarm.service.name'] ?? serviceId}</Anchor> : '—'],
    ['Task', <span className="mono">{labels['com.docker.swarm.task.id'] ?? '—'}</span>],
    ['Image', <span className="mono">{c.Config.Image}</span>],
    ['Command', <span className="mono">{commandLine([c.Path, ...c.Args])}</span>],
    ['Created', ago(c.Created)],
    ['Container ID', <span className="mono">{c.Id}</span>],
    ['Networks', networks.join(', ') || '—'],
    ['Mounts', (c.Mounts ?? []).map((m) => `${m.Type} ${m.Source ?? ''} → ${m.Destination}${m.RW === false ? ' (read-only)' : ''}`).join(', ') || '—'],
    ['Limits', limits.join(', ') || 'none'],
    ['Terminal', c.Config.Tty ? 'yes (TTY)' : 'no'],
  ];
  return <Facts rows={rows} />;
}

function Processes({ id }: { id: string }) {
  const top = useContainerTop(id);
  const stats = useContainerStats(id);
  const s = stats.data && summarize(stats.data);
  return (
    <>
      <Suspense fallback={<Loader aria-label="Loading" />}>
        <UsageChart id={id} />
      </Suspense>
      <Group justify="space-between" mb="xs">
        <Text size="sm" c="dimmed">
          Processes and figures: a snapshot, read when this tab opened.
        </Text>
        <Button variant="default" size="xs" onClick={() => void Promise.all([top.refetch(), stats.refetch()])} loading={top.isFetching || stats.isFetching}>
          Refresh
        </Button>
      </Group>
      <Loaded query={stats}>
        {() => (
          <Facts
            rows={[
              ['CPU', s?.cpu === undefined ? '—' : `${s.cpu.toFixed(1)} %`],
              ['Memory', `${bytes(s?.memory)}${s?.memoryLimit ? ` of ${bytes(s.memoryLimit)}` : ''}`],
              ['Processes', String(s?.pids ?? '—')],
              ['Network', `${bytes(s?.rx)} in, ${bytes(s?.tx)} out`],
            ]}
          />
        )}
      </Loaded>
      <Loaded query={top}>
        {(t) => (
          <Table.ScrollContainer minWidth={560} mt="md">
            <Table>
              <Table.Thead>
                <Table.Tr>
                  {t.Titles.map((title) => (
                    <Table.Th key={title}>{title}</Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {t.Processes.map((p, i) => (
                  <Table.Tr key={i}>
                    {p.map((v, j) => (
                      <Table.Td key={j} className={j === p.length - 1 ? 'mono' : undefined}>
                        {v}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
    </>
  );
}

export default function ContainerPage() {
  const { id = '' } = useParams();
  const [params, setParam] = useUrlState({ tab: 'overview' });
  const container = useContainer(id);
  const services = useServices();
  const labels = container.data?.Config.Labels ?? {};
  const service = services.data?.find((s) => s.ID === labels['com.docker.swarm.service.id']);
  // An exec is an operator's, on what their role or team may change (the API checks it too).
  const mayExec = useCan('deploy', { labels: service?.Spec.Labels }) && !!service;
  const requested = params.get('tab');
  const tab = TABS.find((t) => t === requested && (t !== 'console' || mayExec)) ?? 'overview';
  const setTab = (v: string | null) => setParam('tab', v);

  return (
    <Loaded query={container}>
      {(c) => {
        const name = `${c.Node.Name}/${c.Name.replace(/^\//, '')}`;
        return (
          <Page
            title={
              <Group gap="sm">
                <Text span inherit ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                  {name}
                </Text>{' '}
                <ContainerStateBadge state={c.State.Status} />
              </Group>
            }
          >
            <Tabs value={tab} onChange={setTab} keepMounted={false}>
              <Tabs.List>
                <Tabs.Tab value="overview">Overview</Tabs.Tab>
                <Tabs.Tab value="logs">Logs</Tabs.Tab>
                <Tabs.Tab value="processes">Processes</Tabs.Tab>
                {mayExec && <Tabs.Tab value="console">Console</Tabs.Tab>}
                <Tabs.Tab value="inspect">Inspect</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="overview" pt="md">
                <Overview c={c} />
              </Tabs.Panel>
              <Tabs.Panel value="logs" pt="md">
                <LogView sources={[{ path: `/containers/${c.Id}/logs`, mux: !c.Config.Tty }]} taskName={() => c.Name.replace(/^\//, '')} nodeName={() => c.Node.Name} fileName={`${c.Name.replace(/^\//, '')}.log`} />
              </Tabs.Panel>
              <Tabs.Panel value="processes" pt="md">
                {c.State.Running ? <Processes id={c.Id} /> : <Text c="dimmed">The container is not running: it has no processes.</Text>}
              </Tabs.Panel>
              {mayExec && (
                <Tabs.Panel value="console" pt="md">
                  {c.State.Running ? (
                    <Suspense fallback={<Loader aria-label="Loading the console" />}>
                      <ExecConsole containerId={c.Id} />
                    </Suspense>
                  ) : (
                    <Text c="dimmed">The container is not running: start a console in one of the service&apos;s running containers.</Text>
                  )}
                </Tabs.Panel>
              )}
              <Tabs.Panel value="inspect" pt="md">
                <Code block>{JSON.stringify(c, null, 2)}</Code>
              </Tabs.Panel>
            </Tabs>
          </Page>
        );
      }}
    </Loaded>
  );
}
