// Every service the user may see: replicas as running/desired, update state, image and ports.
// Filters live in the URL (?q=, ?health=, ?stack=) so a dashboard count links to its list.

import { useMemo } from 'react';
import { Anchor, Button, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { Link } from 'react-router';
import { useUrlState } from '../../components/url';
import { useServices } from '../../api/queries';
import type { Service } from '../../api/types';
import { Loaded, Page } from '../../components/Page';
import { Pager, usePage } from '../../components/Pager';
import { HealthBadge, mode, replicas, serviceHealth } from '../../components/status';
import { ago } from '../../components/time';
import { useCan } from '../../app/who';
import { useImageUpdates } from '../../api/registry';
import { UpdateAvailable } from './UpdateAvailable';

const HEALTH = [
  { value: 'converged', label: 'Converged' },
  { value: 'updating', label: 'Updating' },
  { value: 'starting', label: 'Short of replicas' },
  { value: 'failing', label: 'Update paused' },
];

export const stackOf = (s: Service) => s.Spec.Labels?.['com.docker.stack.namespace'];

function ports(s: Service): string {
  return (s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports ?? []).map((p) => `${p.PublishedPort ?? ''}→${p.TargetPort}/${p.Protocol ?? 'tcp'}`).join(', ');
}

export default function ServicesPage() {
  const services = useServices();
  const [params, set] = useUrlState();
  const mayCreate = useCan('deploy');
  const updates = useImageUpdates().data;
  const updateOf = useMemo(() => new Map((updates ?? []).map((u) => [u.ServiceID, u])), [updates]);
  const q = params.get('q') ?? '';
  const health = params.get('health');
  const stack = params.get('stack');
  const shown = useMemo(
    () =>
      (services.data ?? [])
        .filter((s) => (!q || s.Spec.Name.includes(q) || s.Spec.TaskTemplate.ContainerSpec.Image.includes(q)) && (!health || serviceHealth(s) === health) && (!stack || stackOf(s) === stack))
        .sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name, undefined, { numeric: true })),
    [services.data, q, health, stack],
  );
  const paged = usePage(shown);

  return (
    <Page
      title="Services"
      actions={
        mayCreate && (
          <Button component={Link} to="/services/new">
            Create service
          </Button>
        )
      }
    >
      <Group>
        <TextInput aria-label="Search services" placeholder="Name or image" value={q} onChange={(e) => set('q', e.currentTarget.value)} w={260} />
        <Select aria-label="Status" placeholder="Any status" data={HEALTH} value={health} onChange={(v) => set('health', v)} clearable w={200} />
        {stack && (
          <Button variant="light" size="xs" onClick={() => set('stack', null)}>
            Stack {stack} ×
          </Button>
        )}
      </Group>
      <Loaded query={services}>
        {(all) => (
          <>
            <Text size="sm" c="dimmed">
              {shown.length === all.length ? `${all.length} services` : `${shown.length} of ${all.length} services`}
            </Text>
            <Table.ScrollContainer minWidth={720}>
              <Table highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Mode</Table.Th>
                    <Table.Th>Replicas</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Image</Table.Th>
                    <Table.Th>Ports</Table.Th>
                    <Table.Th>Updated</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {paged.rows.map((s) => (
                    <Table.Tr key={s.ID}>
                      <Table.Td>
                        <Anchor component={Link} to={`/services/${s.ID}`}>
                          {s.Spec.Name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{mode(s)}</Table.Td>
                      <Table.Td>{replicas(s)}</Table.Td>
                      <Table.Td>
                        <HealthBadge health={serviceHealth(s)} />
                      </Table.Td>
                      <Table.Td className="mono">
                        {s.Spec.TaskTemplate.ContainerSpec.Image.replace(/@sha256:[0-9a-f]+$/, '')} <UpdateAvailable service={s} update={updateOf.get(s.ID)} />
                      </Table.Td>
                      <Table.Td>{ports(s)}</Table.Td>
                      <Table.Td>{ago(s.UpdatedAt)}</Table.Td>
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
