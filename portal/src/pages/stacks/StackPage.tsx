// One stack: its services with replicas (each a link to its page, with its logs), its networks,
// secrets and configs, and its compose file when Berth deployed it; update and remove for those
// who may deploy it. The whole stack's services are one link away (/services?stack=NAME).

import { useState } from 'react';
import { Anchor, Badge, Button, Code, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import { useRemoveStack, useStack, type StackDetail } from '../../api/stacks';
import { useCan } from '../../app/who';
import { notifyDone, notifyError } from '../../components/notify';
import { Loaded, Page } from '../../components/Page';
import { ago } from '../../components/time';

export default function StackPage() {
  const name = useParams().name!;
  const stack = useStack(name);
  const mayDeploy = useCan('deploy', { labels: { 'com.docker.stack.namespace': name } });
  return (
    <Page title={`Stack ${name}`} actions={mayDeploy && stack.data && <StackActions stack={stack.data} />}>
      <Loaded query={stack}>{(s) => <StackView stack={s} />}</Loaded>
    </Page>
  );
}

function StackActions({ stack }: { stack: StackDetail }) {
  const [removing, setRemoving] = useState(false);
  const remove = useRemoveStack();
  const navigate = useNavigate();
  return (
    <>
      <Button variant="default" component={Link} to={`/stacks/${encodeURIComponent(stack.Name)}/edit`}>
        Update
      </Button>
      <Button variant="default" onClick={() => setRemoving(true)}>
        Remove
      </Button>
      <Modal opened={removing} onClose={() => setRemoving(false)} title={`Remove stack ${stack.Name}?`} closeButtonProps={{ 'aria-label': 'Close' }}>
        <Stack>
          <Text>
            Its {stack.Services} services stop and go, then its networks, secrets and configs, as <Code>docker stack rm</Code> does.
          </Text>
          <Group justify="end">
            <Button variant="default" onClick={() => setRemoving(false)}>
              Cancel
            </Button>
            <Button
              color="red.9"
              loading={remove.isPending}
              onClick={() => remove.mutate(stack.Name, { onError: notifyError, onSuccess: () => (notifyDone(`Stack ${stack.Name} removed`), void navigate('/stacks')) })}
            >
              Remove stack
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function StackView({ stack }: { stack: StackDetail }) {
  const o = stack.Objects;
  return (
    <Stack gap="lg">
      <Text size="sm" c="dimmed">
        {stack.HasCompose ? `Deployed by Berth, version ${stack.StackVersion}, ${ago(stack.UpdatedAt)}` : 'Deployed by the docker CLI: Berth has no compose file for it'} ·{' '}
        <Anchor component={Link} to={`/services?stack=${encodeURIComponent(stack.Name)}`} size="sm" underline="always">
          its services in the service list
        </Anchor>
      </Text>
      <section aria-labelledby="stack-services">
        <Title order={2} size="h4" id="stack-services" mb="xs">
          Services
        </Title>
        <Table.ScrollContainer minWidth={560}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Mode</Table.Th>
                <Table.Th>Replicas</Table.Th>
                <Table.Th>Image</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {o.Services.map((s) => (
                <Table.Tr key={s.ID}>
                  <Table.Td>
                    <Anchor component={Link} to={`/services/${s.ID}`}>
                      {s.Name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{s.Mode}</Table.Td>
                  <Table.Td>
                    <Badge variant="dot" color={s.RunningTasks >= s.DesiredTasks ? 'green' : 'yellow'}>
                      {s.RunningTasks}/{s.DesiredTasks}
                    </Badge>
                  </Table.Td>
                  <Table.Td className="mono">{s.Image}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </section>
      <Group gap="xl" align="start">
        {(['Networks', 'Secrets', 'Configs'] as const).map((kind) => (
          <section key={kind} aria-labelledby={`stack-${kind}`}>
            <Title order={2} size="h4" id={`stack-${kind}`} mb="xs">
              {kind}
            </Title>
            <Text size="sm" className="mono">
              {o[kind].length ? o[kind].join(', ') : 'none'}
            </Text>
          </section>
        ))}
      </Group>
      {stack.Compose !== undefined && (
        <section aria-labelledby="stack-compose">
          <Title order={2} size="h4" id="stack-compose" mb="xs">
            Compose file
          </Title>
          <Code block>{stack.Compose}</Code>
        </section>
      )}
    </Stack>
  );
}
