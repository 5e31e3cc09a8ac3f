// One repository (/registry/projects/NAME/repositories/REPO...): its artifacts with digest, size,
// push time, tags and the command that pulls each (with a copy button); maintainers delete tags.

import { useState } from 'react';
import { ActionIcon, Anchor, Badge, Breadcrumbs, Button, Code, CopyButton, Group, Modal, Stack, Table, Text, Tooltip } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import { projectPath, useArtifacts, useProject, useRegistryChange, useRegistryInfo } from '../../api/registry';
import { projectRights } from '../../api/registry-access';
import type { Artifact } from '../../api/registry-types';
import { Loaded, Page } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago, bytes } from '../../components/time';
import { useWho } from '../../app/who';
import { pullCommand, shortDigest } from './refs';

function Copy({ text, label }: { text: string; label: string }) {
  return (
    <CopyButton value={text}>
      {({ copied, copy }) => (
        <Button size="compact-xs" variant="default" onClick={copy} aria-label={label}>
          {copied ? 'Copied' : 'Copy'}
        </Button>
      )}
    </CopyButton>
  );
}

function ArtifactRow({ a, registry, repository, mayDelete, onDelete }: { a: Artifact; registry: string; repository: string; mayDelete: boolean; onDelete: (tag: string) => void }) {
  const command = pullCommand(registry, repository, { tag: a.Tags[0]?.Name, digest: a.Digest });
  return (
    <Table.Tr>
      <Table.Td>
        <Tooltip label={a.Digest}>
          <Text span className="mono" tabIndex={0} aria-label={`Digest ${a.Digest}`}>
            {shortDigest(a.Digest)}
          </Text>
        </Tooltip>
        {a.Children && (
          <Text size="xs" c="dimmed">
            index of {a.Children.map((c) => c.Platform ?? shortDigest(c.Digest)).join(', ')}
          </Text>
        )}
        {a.Subject && (
          <Text size="xs" c="dimmed">
            refers to {shortDigest(a.Subject)}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {a.Tags.length === 0 && <Text c="dimmed">untagged</Text>}
          {a.Tags.map((t) => (
            <Badge key={t.Name} variant="outline" color="gray" tt="none" rightSection={mayDelete && <CloseTag tag={t.Name} onDelete={onDelete} />}>
              {t.Name}
            </Badge>
          ))}
        </Group>
      </Table.Td>
      <Table.Td>{bytes(a.Size)}</Table.Td>
      <Table.Td>{ago(a.PushedAt)}</Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <Code className="mono">{command}</Code>
          <Copy text={command} label={`Copy the pull command of ${a.Tags[0]?.Name ?? shortDigest(a.Digest)}`} />
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

function CloseTag({ tag, onDelete }: { tag: string; onDelete: (tag: string) => void }) {
  return (
    <ActionIcon size="xs" variant="transparent" color="red" aria-label={`Delete tag ${tag}`} onClick={() => onDelete(tag)}>
      ×
    </ActionIcon>
  );
}

export default function RepositoryPage() {
  const { name: project = '', '*': repository = '' } = useParams();
  const who = useWho();
  const owner = useProject(project);
  const artifacts = useArtifacts(project, repository);
  const info = useRegistryInfo();
  const [deleting, setDeleting] = useState<string>();
  const remove = useRegistryChange((tag: string) => api.delete(`${projectPath(project)}/repositories/${encodeURIComponent(repository)}/tags/${encodeURIComponent(tag)}`));
  const mayDelete = !!owner.data && projectRights(who, owner.data).deleteTags;

  return (
    <Page title={repository}>
      <Breadcrumbs>
        <Anchor component={Link} to="/registry">
          Registry
        </Anchor>
        <Anchor component={Link} to={`/registry/projects/${encodeURIComponent(project)}`}>
          {project}
        </Anchor>
        <Text span>{repository}</Text>
      </Breadcrumbs>
      <Loaded query={artifacts}>
        {(list) => (
          <Table.ScrollContainer minWidth={860}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Digest</Table.Th>
                  <Table.Th>Tags</Table.Th>
                  <Table.Th>Size</Table.Th>
                  <Table.Th>Pushed</Table.Th>
                  <Table.Th>Pull command</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((a) => (
                  <ArtifactRow key={a.Digest} a={a} registry={info.data?.RegistryUrl ?? 'REGISTRY'} repository={repository} mayDelete={mayDelete} onDelete={setDeleting} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
      <Modal opened={deleting !== undefined} onClose={() => setDeleting(undefined)} title={`Delete tag ${deleting ?? ''}?`}>
        <Stack>
          <Text>
            The artifact stays, reachable by its digest and its other tags; garbage collection with “delete untagged” frees it once nothing tags it.
          </Text>
          <Group justify="end">
            <Button variant="default" onClick={() => setDeleting(undefined)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() => remove.mutate(deleting!, { onError: notifyError, onSuccess: () => (notifyDone(`Tag ${repository}:${deleting} deleted`), setDeleting(undefined)) })}
            >
              Delete tag
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Page>
  );
}
