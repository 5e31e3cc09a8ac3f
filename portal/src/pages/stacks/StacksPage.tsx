// Every stack the user may see — Berth's (with their compose file) and the docker CLI's (found by
// their namespace label) — with services and running/desired tasks. ?q= filters by name.

import { Anchor, Badge, Button, Table, Text, TextInput } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { useStacks } from '../../api/stacks';
import { useCan } from '../../app/who';
import { Loaded, Page } from '../../components/Page';
import { ago } from '../../components/time';

export default function StacksPage() {
  const stacks = useStacks();
  const mayDeploy = useCan('deploy');
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  return (
    <Page
      title="Stacks"
      actions={
        mayDeploy && (
          <Button component={Link} to="/stacks/new">
            Deploy stack
          </Button>
        )
      }
    >
      <TextInput aria-label="Search stacks" placeholder="Name" value={q} onChange={(e) => setParams(e.currentTarget.value ? { q: e.currentTarget.value } : {}, { replace: true })} w={260} />
      <Loaded query={stacks}>
        {(all) => {
          const shown = all.filter((s) => s.Name.includes(q));
          return (
            <>
              <Text size="sm" c="dimmed">
                {shown.length === all.length ? `${all.length} stacks` : `${shown.length} of ${all.length} stacks`}
              </Text>
              <Table.ScrollContainer minWidth={620}>
                <Table highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Services</Table.Th>
                      <Table.Th>Tasks</Table.Th>
                      <Table.Th>Deployed by</Table.Th>
                      <Table.Th>Version</Table.Th>
                      <Table.Th>Updated</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {shown.map((s) => (
                      <Table.Tr key={s.Name}>
                        <Table.Td>
                          <Anchor component={Link} to={`/stacks/${encodeURIComponent(s.Name)}`}>
                            {s.Name}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{s.Services}</Table.Td>
                        <Table.Td>
                          <Badge variant="dot" color={s.RunningTasks >= s.DesiredTasks ? 'green' : 'yellow'}>
                            {s.RunningTasks}/{s.DesiredTasks}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{s.HasCompose ? 'Berth' : 'docker CLI'}</Table.Td>
                        <Table.Td>{s.StackVersion ?? ''}</Table.Td>
                        <Table.Td>{s.UpdatedAt ? ago(s.UpdatedAt) : ''}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
