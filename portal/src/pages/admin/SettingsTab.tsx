// The swarm's settings, each through POST /swarm/update with the version read, as the docker CLI
// sends them: task history (`--task-history-limit`), heartbeat (`--dispatcher-heartbeat`), node
// certificate validity (`--cert-expiry`), root CA rotation (`docker swarm ca --rotate`: ForceRotate
// + 1), autolock (`--autolock`, its key shown once when turned on; `docker swarm unlock-key
// [--rotate]`). The nodes' certificates show when they expire.

import { useEffect, useState } from 'react';
import { Alert, Badge, Button, Card, Group, NumberInput, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { unlockKey, useUpdateSwarm } from '../../api/admin';
import { keys } from '../../api/keys';
import { useNodes, useSwarm } from '../../api/queries';
import type { Swarm } from '../../api/types';
import { Confirm, ShownOnce } from '../../components/Confirm';
import { Loaded } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago } from '../../components/time';
import { formatDuration, parseDuration } from '../services/form/units';
import { Refused } from '../../components/Refused';

function SettingsForm({ swarm }: { swarm: Swarm }) {
  const update = useUpdateSwarm();
  const spec = swarm.Spec;
  const [history, setHistory] = useState<number | string>(spec.Orchestration?.TaskHistoryRetentionLimit ?? 5);
  const [heartbeat, setHeartbeat] = useState(formatDuration(spec.Dispatcher?.HeartbeatPeriod));
  const [certExpiry, setCertExpiry] = useState(formatDuration(spec.CAConfig?.NodeCertExpiry));
  const [error, setError] = useState<string>();
  const submit = () => {
    setError(undefined);
    let next: Swarm['Spec'];
    try {
      next = {
        ...spec,
        Orchestration: { ...spec.Orchestration, TaskHistoryRetentionLimit: Number(history) },
        Dispatcher: { ...spec.Dispatcher, HeartbeatPeriod: parseDuration(heartbeat) ?? 0 },
        CAConfig: { ...spec.CAConfig, NodeCertExpiry: parseDuration(certExpiry) ?? 0 },
      };
    } catch (err) {
      return setError((err as Error).message);
    }
    update.mutate({ swarm, spec: next }, { onError: (err) => setError(err.message), onSuccess: () => notifyDone('Cluster settings saved') });
  };
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Settings
      </Title>
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack>
          <Refused message={error} />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput label="Task history limit" description="Ended tasks kept per slot (0 to 1000)" min={0} max={1000} value={history} onChange={setHistory} />
            <TextInput label="Heartbeat period" description="How often agents report (1s to 1h; down after 3 missed)" placeholder="5s" value={heartbeat} onChange={(e) => setHeartbeat(e.currentTarget.value)} />
            <TextInput label="Node certificate validity" description="What new node certificates last (at least 1h)" placeholder="2160h" value={certExpiry} onChange={(e) => setCertExpiry(e.currentTarget.value)} />
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={update.isPending}>
              Save settings
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function Certificates({ swarm }: { swarm: Swarm }) {
  const nodes = useNodes();
  const update = useUpdateSwarm();
  const queries = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const rotating = !!swarm.RootRotationInProgress;
  // The event stream has no event for the swarm object: while a rotation runs, it is read again
  // every 2 s until it ends, as `docker swarm ca --rotate` follows it.
  useEffect(() => {
    if (!rotating) return;
    const timer = setInterval(() => void queries.invalidateQueries({ queryKey: keys.swarm() }).then(() => queries.invalidateQueries({ queryKey: keys.nodes.all() })), 2000);
    return () => clearInterval(timer);
  }, [rotating, queries]);
  const rotate = () =>
    update.mutate(
      { swarm, spec: { ...swarm.Spec, CAConfig: { ...swarm.Spec.CAConfig, ForceRotate: (swarm.Spec.CAConfig?.ForceRotate ?? 0) + 1 } } },
      { onError: notifyError, onSuccess: () => (setConfirming(false), notifyDone('Root CA rotation started: every node renews its certificate')) },
    );
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Certificates
        </Title>
        {!rotating && (
          <Button variant="default" onClick={() => setConfirming(true)}>
            Rotate the root CA
          </Button>
        )}
      </Group>
      {rotating && (
        <Alert color="blue" mb="sm" role="status">
          A root CA rotation is under way: nodes marked "rotate" still have to renew. A node that is down holds it: bring it back or remove it.
        </Alert>
      )}
      <Loaded query={nodes}>
        {(list) => (
          <Table.ScrollContainer minWidth={480}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Node</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Certificate expires</Table.Th>
                  <Table.Th>State</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((n) => (
                  <Table.Tr key={n.ID}>
                    <Table.Td>{n.Description.Hostname}</Table.Td>
                    <Table.Td>{n.Spec.Role}</Table.Td>
                    <Table.Td>{n.Certificate ? `${new Date(n.Certificate.NotAfter).toLocaleString()} (${ago(n.Certificate.NotAfter)})` : '—'}</Table.Td>
                    <Table.Td>
                      {n.Certificate && (
                        <Badge variant="light" color={n.Certificate.State === 'rotate' ? 'blue' : 'green'}>
                          {n.Certificate.State}
                        </Badge>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
      <Confirm title="Rotate the root CA?" opened={confirming} busy={update.isPending} confirmLabel="Rotate" color="blue" onClose={() => setConfirming(false)} onConfirm={rotate}>
        <Text>
          A new root is made and every node renews onto it while tasks run on. Join tokens change at the end, and API client bundles other than the admin's must be issued again (berth cert client).
        </Text>
      </Confirm>
    </Card>
  );
}

function Autolock({ swarm }: { swarm: Swarm }) {
  const update = useUpdateSwarm();
  const [key, setKey] = useState<string>();
  const [asking, setAsking] = useState<'off' | 'rotate'>();
  const on = !!swarm.Spec.EncryptionConfig?.AutoLockManagers;
  const show = () => unlockKey().then(setKey, notifyError);
  const set = (lock: boolean, rotateUnlockKey = false) =>
    update.mutate(
      { swarm, spec: { ...swarm.Spec, EncryptionConfig: { AutoLockManagers: lock } }, rotateUnlockKey },
      { onError: notifyError, onSuccess: () => (setAsking(undefined), lock ? void show() : notifyDone('Autolock is off')) },
    );
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Autolock
      </Title>
      <Stack>
        <Text size="sm">
          With autolock the managers keep their keys sealed under an unlock key you hold: a manager that restarts waits for it (docker swarm unlock), and a copied disk yields no keys.
        </Text>
        <Switch label="Lock managers with an unlock key" checked={on} disabled={update.isPending} onChange={(e) => (e.currentTarget.checked ? set(true) : setAsking('off'))} />
        {on && (
          <Group>
            <Button variant="default" onClick={() => void show()}>
              Show the unlock key
            </Button>
            <Button variant="default" onClick={() => setAsking('rotate')}>
              Rotate the unlock key
            </Button>
          </Group>
        )}
      </Stack>
      <ShownOnce
        title="The unlock key"
        value={key}
        onClose={() => setKey(undefined)}
        warning="Keep it apart from the managers (a password manager): a locked manager starts only with it, and there is no other way back. After a rotation keep the old one too until every manager has re-sealed."
      />
      <Confirm
        title={asking === 'off' ? 'Turn autolock off?' : 'Rotate the unlock key?'}
        opened={!!asking}
        busy={update.isPending}
        confirmLabel={asking === 'off' ? 'Turn off' : 'Rotate'}
        color={asking === 'off' ? 'red' : 'blue'}
        onClose={() => setAsking(undefined)}
        onConfirm={() => (asking === 'off' ? set(false) : set(true, true))}
      >
        <Text>{asking === 'off' ? 'The managers write their keys back to disk in the clear.' : 'Every manager re-seals under a new key: only the new one unlocks from then on.'}</Text>
      </Confirm>
    </Card>
  );
}

export default function SettingsTab() {
  const swarm = useSwarm();
  return (
    <Loaded query={swarm}>
      {(s) => (
        <Stack>
          {/* Keyed by version: the form starts again from what was saved. */}
          <SettingsForm key={s.Version.Index} swarm={s} />
          <Certificates swarm={s} />
          <Autolock swarm={s} />
        </Stack>
      )}
    </Loaded>
  );
}
