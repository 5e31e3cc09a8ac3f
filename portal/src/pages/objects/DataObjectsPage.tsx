// Secrets and configs (`docker secret|config ls|create|rm`): one page for both kinds. A secret's
// value is entered once and never shown (the API returns none); a config's data is shown. A
// config opens at ?show=ID; the search is ?q=. Team members see their teams' only (the API
// filters) and create for one of their teams.

import { useMemo, useState } from 'react';
import { Anchor, Button, Code, Group, Modal, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useConfigs, useSecrets, type NamedObject } from '../../api/queries';
import { useCreateData, useRemoveData, type DataKind } from '../../api/objects';
import { can } from '../../api/access';
import { useCan, useWho } from '../../app/who';
import { Confirm } from '../../components/Confirm';
import { Loaded, Page } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago, shortId } from '../../components/time';
import { decodeData, encodeData, labelsFor } from './build';
import { OwnerTeam, ownerOf, useDefaultTeam } from './OwnerTeam';
import { Refused } from '../../components/Refused';

const WORDS: Record<DataKind, { title: string; data: string; help: string }> = {
  secret: { title: 'Secrets', data: 'Value', help: 'Stored encrypted and given only to the services that use it: it is never shown again.' },
  config: { title: 'Configs', data: 'Content', help: 'Mounted as a file in the services that use it (at /NAME unless told).' },
};

function CreateData({ kind, opened, onClose }: { kind: DataKind; opened: boolean; onClose: () => void }) {
  const create = useCreateData(kind);
  const [name, setName] = useState('');
  const [data, setData] = useState('');
  const [labels, setLabels] = useState('');
  const initialTeam = useDefaultTeam();
  const [team, setTeam] = useState(initialTeam);
  const [error, setError] = useState<string>();

  // The value does not outlive the form.
  const close = () => (setName(''), setData(''), setLabels(''), setTeam(initialTeam), setError(undefined), onClose());
  const submit = () => {
    setError(undefined);
    let body;
    try {
      body = { Name: name.trim(), Data: encodeData(data), Labels: labelsFor(labels, team) };
    } catch (err) {
      return setError((err as Error).message);
    }
    create.mutate(body, { onError: (err) => setError(err.message), onSuccess: () => (notifyDone(`${kind} ${body.Name} created`), close()) });
  };

  return (
    <Modal opened={opened} onClose={close} title={`Create a ${kind}`} size="lg">
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack>
          <Refused message={error} />
          <TextInput label="Name" placeholder={kind === 'secret' ? 'db-password' : 'nginx.conf'} value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
          <Textarea
            label={WORDS[kind].data}
            description={WORDS[kind].help}
            autosize
            minRows={3}
            maxRows={12}
            value={data}
            onChange={(e) => setData(e.currentTarget.value)}
            autoComplete="off"
            spellCheck={false}
            className="mono"
          />
          <Textarea label="Labels" description="KEY=VALUE, one per line" autosize minRows={1} value={labels} onChange={(e) => setLabels(e.currentTarget.value)} />
          <OwnerTeam value={team} onChange={setTeam} />
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

function ConfigData({ config, onClose }: { config: NamedObject | undefined; onClose: () => void }) {
  const text = config?.Spec.Data === undefined ? '' : decodeData(config.Spec.Data);
  return (
    <Modal opened={!!config} onClose={onClose} title={`Config ${config?.Spec.Name ?? ''}`} size="xl">
      {text === undefined ? <Text c="dimmed">Binary data ({atob(config?.Spec.Data ?? '').length} bytes): not shown as text.</Text> : <Code block tabIndex={0} aria-label="Config data">{text || '(empty)'}</Code>}
    </Modal>
  );
}

export function DataObjectsPage({ kind }: { kind: DataKind }) {
  const list = (kind === 'secret' ? useSecrets : useConfigs)();
  const remove = useRemoveData(kind);
  const who = useWho();
  const mayCreate = useCan('deploy');
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const [removing, setRemoving] = useState<NamedObject>();
  const q = params.get('q') ?? '';
  const set = (k: string, v: string | null) => setParams((p) => (v ? p.set(k, v) : p.delete(k), p), { replace: k === 'q' });
  const shown = useMemo(() => (list.data ?? []).filter((o) => !q || o.Spec.Name.includes(q) || o.ID.startsWith(q)).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name)), [list.data, q]);
  const removable = (o: NamedObject) => can(who, 'deploy', { labels: o.Spec.Labels });
  const anyRemovable = shown.some(removable);

  return (
    <Page
      title={WORDS[kind].title}
      actions={
        mayCreate && (
          <Button onClick={() => setCreating(true)}>
            Create {kind}
          </Button>
        )
      }
    >
      <TextInput aria-label={`Search ${kind}s`} placeholder="Name or ID" value={q} onChange={(e) => set('q', e.currentTarget.value)} w={260} />
      <Loaded query={list}>
        {(all) =>
          all.length === 0 ? (
            <Text c="dimmed">No {kind}s yet.</Text>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>ID</Table.Th>
                    <Table.Th>Owner</Table.Th>
                    <Table.Th>Labels</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Updated</Table.Th>
                    {anyRemovable && <Table.Th aria-label="Actions" />}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {shown.map((o) => (
                    <Table.Tr key={o.ID}>
                      <Table.Td>
                        {kind === 'config' ? (
                          <Anchor component="button" type="button" onClick={() => set('show', o.ID)}>
                            {o.Spec.Name}
                          </Anchor>
                        ) : (
                          o.Spec.Name
                        )}
                      </Table.Td>
                      <Table.Td className="mono">{shortId(o.ID)}</Table.Td>
                      <Table.Td>{ownerOf(o.Spec.Labels)}</Table.Td>
                      <Table.Td className="mono">
                        {Object.entries(o.Spec.Labels ?? {})
                          .map(([k, v]) => `${k}=${v}`)
                          .join(', ')}
                      </Table.Td>
                      <Table.Td>{ago(o.CreatedAt)}</Table.Td>
                      <Table.Td>{ago(o.UpdatedAt)}</Table.Td>
                      {anyRemovable && (
                        <Table.Td>
                          {removable(o) && (
                            <Button size="xs" variant="subtle" color="red" onClick={() => setRemoving(o)} aria-label={`Remove ${kind} ${o.Spec.Name}`}>
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
          )
        }
      </Loaded>
      {mayCreate && <CreateData kind={kind} opened={creating} onClose={() => setCreating(false)} />}
      {kind === 'config' && <ConfigData config={list.data?.find((o) => o.ID === params.get('show'))} onClose={() => set('show', null)} />}
      <Confirm
        title={`Remove ${kind} ${removing?.Spec.Name ?? ''}?`}
        opened={!!removing}
        busy={remove.isPending}
        confirmLabel="Remove"
        onClose={() => setRemoving(undefined)}
        onConfirm={() => remove.mutate(removing!.ID, { onError: notifyError, onSuccess: () => (notifyDone(`${kind} ${removing!.Spec.Name} removed`), setRemoving(undefined)) })}
      >
        <Text>Services that use it must drop it first: the API refuses to remove a {kind} in use.</Text>
      </Confirm>
    </Page>
  );
}
