// Networks (`docker network ls|create|rm`): swarm-scoped overlays with their subnet, attachable,
// internal and encrypted flags. Team members see their teams' only (the API filters) and create
// for one of their teams. The search is ?q=.

import { useMemo, useState } from 'react';
import { Badge, Button, Checkbox, Group, Modal, SimpleGrid, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { useUrlState } from '../../components/url';
import { useNetworks, type Network } from '../../api/queries';
import { useCreateNetwork, useRemoveNetwork } from '../../api/objects';
import { can } from '../../api/access';
import { useCan, useWho } from '../../app/who';
import { Confirm } from '../../components/Confirm';
import { Loaded, Page } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago, shortId } from '../../components/time';
import { networkBody, type NetworkForm } from './build';
import { OwnerTeam, ownerOf, useDefaultTeam } from './OwnerTeam';
import { Refused } from '../../components/Refused';

function CreateNetwork({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateNetwork();
  const initialTeam = useDefaultTeam();
  const empty: NetworkForm = { name: '', driver: 'overlay', subnet: '', gateway: '', attachable: false, internal: false, encrypted: false, labels: '', team: initialTeam };
  const [f, setF] = useState(empty);
  const [error, setError] = useState<string>();
  const set = <K extends keyof NetworkForm>(k: K, v: NetworkForm[K]) => setF((old) => ({ ...old, [k]: v }));
  const text = (k: 'name' | 'driver' | 'subnet' | 'gateway' | 'labels') => ({ value: f[k], onChange: (e: { currentTarget: { value: string } }) => set(k, e.currentTarget.value) });
  const flag = (k: 'attachable' | 'internal' | 'encrypted') => ({ checked: f[k], onChange: (e: { currentTarget: { checked: boolean } }) => set(k, e.currentTarget.checked) });

  const close = () => (setF(empty), setError(undefined), onClose());
  const submit = () => {
    setError(undefined);
    let body;
    try {
      body = networkBody(f);
    } catch (err) {
      return setError((err as Error).message);
    }
    create.mutate(body, { onError: (err) => setError(err.message), onSuccess: () => (notifyDone(`network ${f.name.trim()} created`), close()) });
  };

  return (
    <Modal opened={opened} onClose={close} title="Create a network" size="lg">
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack>
          <Refused message={error} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Name" placeholder="backend" required data-autofocus {...text('name')} />
            <TextInput label="Driver" description="Swarm networks are overlays" {...text('driver')} />
            <TextInput label="Subnet" placeholder="automatic (e.g. 10.30.0.0/24)" {...text('subnet')} />
            <TextInput label="Gateway" placeholder="the subnet's first address" {...text('gateway')} />
          </SimpleGrid>
          <Group>
            <Checkbox label="Attachable (docker run --network)" {...flag('attachable')} />
            <Checkbox label="Internal (no outside access)" {...flag('internal')} />
            <Checkbox label="Encrypted (IPsec between nodes)" {...flag('encrypted')} />
          </Group>
          <Textarea label="Labels" description="KEY=VALUE, one per line" autosize minRows={1} {...text('labels')} />
          <OwnerTeam value={f.team} onChange={(t) => set('team', t)} />
          <Group justify="end">
            <Button type="submit" loading={create.isPending}>
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

const flags = (n: Network) => [n.Ingress && 'ingress', n.Attachable && 'attachable', n.Internal && 'internal', n.Options && 'encrypted' in n.Options && 'encrypted'].filter((x): x is string => !!x);

export default function NetworksPage() {
  const networks = useNetworks();
  const remove = useRemoveNetwork();
  const who = useWho();
  const mayCreate = useCan('deploy');
  const [params, set] = useUrlState();
  const [creating, setCreating] = useState(false);
  const [removing, setRemoving] = useState<Network>();
  const q = params.get('q') ?? '';
  const shown = useMemo(() => (networks.data ?? []).filter((n) => !q || n.Name.includes(q) || n.Id.startsWith(q)), [networks.data, q]);
  const removable = (n: Network) => can(who, 'deploy', { labels: n.Labels });
  const anyRemovable = shown.some(removable);

  return (
    <Page title="Networks" actions={mayCreate && <Button onClick={() => setCreating(true)}>Create network</Button>}>
      <TextInput
        aria-label="Search networks"
        placeholder="Name or ID"
        value={q}
        onChange={(e) => set('q', e.currentTarget.value)}
        w={260}
      />
      <Loaded query={networks}>
        {() => (
          <Table.ScrollContainer minWidth={720}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>ID</Table.Th>
                  <Table.Th>Driver</Table.Th>
                  <Table.Th>Subnet</Table.Th>
                  <Table.Th>Flags</Table.Th>
                  <Table.Th>Owner</Table.Th>
                  <Table.Th>Created</Table.Th>
                  {anyRemovable && <Table.Th aria-label="Actions" />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {shown.map((n) => (
                  <Table.Tr key={n.Id}>
                    <Table.Td>{n.Name}</Table.Td>
                    <Table.Td className="mono">{shortId(n.Id)}</Table.Td>
                    <Table.Td>{n.Driver}</Table.Td>
                    <Table.Td className="mono">{(n.IPAM?.Config ?? []).map((c) => c.Subnet).join(', ')}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {flags(n).map((f) => (
                          <Badge key={f} variant="light" size="sm">
                            {f}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>{ownerOf(n.Labels)}</Table.Td>
                    <Table.Td>{ago(n.Created)}</Table.Td>
                    {anyRemovable && (
                      <Table.Td>
                        {removable(n) && (
                          <Button size="xs" variant="subtle" color="red" onClick={() => setRemoving(n)} aria-label={`Remove network ${n.Name}`}>
                            Remove
                          </Button>
                        )}
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
      {mayCreate && <CreateNetwork opened={creating} onClose={() => setCreating(false)} />}
      <Confirm
        title={`Remove network ${removing?.Name ?? ''}?`}
        opened={!!removing}
        busy={remove.isPending}
        confirmLabel="Remove"
        onClose={() => setRemoving(undefined)}
        onConfirm={() => remove.mutate(removing!.Id, { onError: notifyError, onSuccess: () => (notifyDone(`network ${removing!.Name} removed`), setRemoving(undefined)) })}
      >
        <Text>Services that use it must leave it first: the API refuses to remove a network in use.</Text>
      </Confirm>
    </Page>
  );
}
