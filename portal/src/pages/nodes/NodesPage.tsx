// Every node: state, availability, role and engine; filters in the URL (?state=, ?q=); an
// administrator drains, pauses or activates a node from its row.

import { useMemo } from 'react';
import { Anchor, Badge, Group, SegmentedControl, Table, TextInput } from '@mantine/core';
import { Link } from 'react-router';
import { useUrlState } from '../../components/url';
import { useNodes } from '../../api/queries';
import type { Node } from '../../api/types';
import { Loaded, Page } from '../../components/Page';
import { NodeStateBadge } from '../../components/status';
import { AvailabilityMenu } from './AvailabilityMenu';
import { useCan } from '../../app/who';

const STATES = ['all', 'ready', 'down'] as const;

function matches(n: Node, state: string, availability: string, q: string): boolean {
  if (state === 'ready' && n.Status.State !== 'ready') return false;
  if (state === 'down' && n.Status.State === 'ready') return false;
  if (availability === 'inactive' && n.Spec.Availability === 'active') return false;
  return !q || n.Description.Hostname.includes(q) || n.ID.startsWith(q) || Object.entries(n.Spec.Labels ?? {}).some(([k, v]) => `${k}=${v}`.includes(q));
}

export default function NodesPage() {
  const nodes = useNodes();
  const [params, set] = useUrlState({ state: 'all' });
  const admin = useCan('administer');
  const state = params.get('state') ?? 'all';
  const q = params.get('q') ?? '';
  const availability = params.get('availability') ?? '';
  const shown = useMemo(() => (nodes.data ?? []).filter((n) => matches(n, state, availability, q)).sort((a, b) => a.Description.Hostname.localeCompare(b.Description.Hostname)), [nodes.data, state, availability, q]);

  return (
    <Page title="Nodes">
      <Group>
        <TextInput aria-label="Search nodes" placeholder="Name, ID or label" value={q} onChange={(e) => set('q', e.currentTarget.value)} w={260} />
        <SegmentedControl aria-label="State" value={state} onChange={(v) => set('state', v)} data={STATES.map((s) => ({ value: s, label: s }))} />
      </Group>
      <Loaded query={nodes}>
        {() => (
          <Table.ScrollContainer minWidth={640}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Hostname</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Availability</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Address</Table.Th>
                  <Table.Th>Engine</Table.Th>
                  {admin && <Table.Th aria-label="Actions" />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {shown.map((n) => (
                  <Table.Tr key={n.ID}>
                    <Table.Td>
                      <Anchor component={Link} to={`/nodes/${n.ID}`}>
                        {n.Description.Hostname}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <NodeStateBadge node={n} />
                    </Table.Td>
                    <Table.Td>{n.Spec.Availability}</Table.Td>
                    <Table.Td>
                      {n.Spec.Role}
                      {n.ManagerStatus?.Leader && (
                        <Badge ml={6} size="xs" variant="outline">
                          leader
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{n.Status.Addr}</Table.Td>
                    <Table.Td>{n.Description.Engine?.EngineVersion}</Table.Td>
                    {admin && (
                      <Table.Td>
                        <AvailabilityMenu node={n} />
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
    </Page>
  );
}
