// Every node's task containers, as `docker ps -a` through the manager lists them (named
// NODE/service.slot.task); filters and the page in the URL (?node=, ?service=, ?state=, ?q=, ?page=).

import { useMemo } from 'react';
import { Anchor, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { Link } from 'react-router';
import { useUrlState } from '../../components/url';
import { useContainers } from '../../api/containers';
import { useNodes, useServices } from '../../api/queries';
import { Loaded, Page } from '../../components/Page';
import { Pager, usePage } from '../../components/Pager';
import { ago } from '../../components/time';
import { ContainerStateBadge } from './ContainerStateBadge';
import { matches, rowOf } from './rows';

/** dockerd's container states (the `status` filter's values). */
const STATES = ['running', 'created', 'restarting', 'paused', 'exited', 'removing', 'dead'];

export default function ContainersPage() {
  const containers = useContainers();
  const nodes = useNodes();
  const services = useServices();
  const [params, set] = useUrlState();
  const filters = { node: params.get('node'), service: params.get('service'), state: params.get('state'), q: params.get('q') ?? '' };
  // A new filter starts at its first page.
  const rows = useMemo(() => (containers.data ?? []).map(rowOf), [containers.data]);
  const shown = useMemo(() => rows.filter((r) => matches(r, filters)).sort((a, b) => a.fullName.localeCompare(b.fullName, undefined, { numeric: true })), [rows, filters.node, filters.service, filters.state, filters.q]);
  const paged = usePage(shown);
  const nodeOptions = useMemo(() => (nodes.data ?? []).map((n) => ({ value: n.ID, label: n.Description.Hostname })).sort((a, b) => a.label.localeCompare(b.label)), [nodes.data]);
  const serviceOptions = useMemo(() => (services.data ?? []).map((s) => ({ value: s.ID, label: s.Spec.Name })).sort((a, b) => a.label.localeCompare(b.label)), [services.data]);

  return (
    <Page title="Containers">
      <Group>
        <TextInput aria-label="Search containers" placeholder="Name, image or ID" value={filters.q} onChange={(e) => set('q', e.currentTarget.value)} w={240} />
        <Select aria-label="Node" placeholder="All nodes" data={nodeOptions} value={filters.node} onChange={(v) => set('node', v)} clearable searchable w={180} />
        <Select aria-label="Service" placeholder="All services" data={serviceOptions} value={filters.service} onChange={(v) => set('service', v)} clearable searchable w={180} />
        <Select aria-label="State" placeholder="Any state" data={STATES} value={filters.state} onChange={(v) => set('state', v)} clearable w={150} />
      </Group>
      <Loaded query={containers}>
        {() => (
          <>
            <Text size="sm" c="dimmed">
              {shown.length === rows.length ? `${rows.length} containers` : `${shown.length} of ${rows.length} containers`}
            </Text>
            <Table.ScrollContainer minWidth={760}>
              <Table highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Service</Table.Th>
                    <Table.Th>Node</Table.Th>
                    <Table.Th>Image</Table.Th>
                    <Table.Th>Created</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {paged.rows.map((r) => (
                    <Table.Tr key={r.id}>
                      <Table.Td className="mono">
                        <Anchor component={Link} to={`/containers/${r.id}`} inherit>
                          {r.fullName}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <ContainerStateBadge state={r.state} />
                      </Table.Td>
                      <Table.Td>{r.status}</Table.Td>
                      <Table.Td>{r.serviceId ? <Anchor component={Link} to={`/services/${r.serviceId}`} inherit>{r.service}</Anchor> : ''}</Table.Td>
                      <Table.Td>{r.nodeId ? <Anchor component={Link} to={`/nodes/${r.nodeId}`} inherit>{r.node}</Anchor> : r.node}</Table.Td>
                      <Table.Td className="mono">{r.image}</Table.Td>
                      <Table.Td>{ago(new Date(r.created * 1000).toISOString())}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Pager {...paged} total={shown.length} />
          </>
        )}
      </Loaded>
    </Page>
  );
}
