// The registry's projects (Harbor's console): those the user can see, their visibility and the
// user's role; any user creates one (and is its project admin). A system administrator also
// reaches replication and garbage collection from here.

import { useMemo, useState } from 'react';
import { Anchor, Badge, Button, Checkbox, Code, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { REGISTRY, useProjects, useRegistryChange, useRegistryInfo } from '../../api/registry';
import { isRegistryAdmin } from '../../api/registry-access';
import type { RegistryProject } from '../../api/registry-types';
import { Loaded, Page } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago } from '../../components/time';
import { useWho } from '../../app/who';

function CreateProject({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [open, setOpen] = useState(false);
  const create = useRegistryChange((body: { Name: string; Public: boolean }) => api.post<RegistryProject>(`${REGISTRY}/projects`, body));
  const submit = () =>
    create.mutate(
      { Name: name, Public: open },
      { onError: notifyError, onSuccess: (p) => (notifyDone(`Project ${p.Name} created`), onClose(), void navigate(`/registry/projects/${encodeURIComponent(p.Name)}`)) },
    );
  return (
    <form onSubmit={(e) => (e.preventDefault(), submit())}>
      <Stack>
        <TextInput label="Name" description="Lowercase letters, digits and . _ -; repositories are NAME/..." value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
        <Checkbox label="Public: anyone may pull, even without logging in" checked={open} onChange={(e) => setOpen(e.currentTarget.checked)} />
        <Button type="submit" loading={create.isPending}>
          Create project
        </Button>
      </Stack>
    </form>
  );
}

export default function RegistryPage() {
  const projects = useProjects();
  const info = useRegistryInfo();
  const who = useWho();
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const q = params.get('q') ?? '';
  const shown = useMemo(() => (projects.data ?? []).filter((p) => p.Name.includes(q)), [projects.data, q]);
  const admin = isRegistryAdmin(who);

  return (
    <Page
      title="Registry"
      actions={
        <>
          {admin && (
            <>
              <Button variant="default" component={Link} to="/registry/replication">
                Replication
              </Button>
              <Button variant="default" component={Link} to="/registry/gc">
                Garbage collection
              </Button>
            </>
          )}
          {projects.data && <Button onClick={() => setCreating(true)}>Create project</Button>}
        </>
      }
    >
      {info.data && (
        <Text size="sm">
          Push and pull as <Code>{info.data.RegistryUrl}/PROJECT/NAME:TAG</Code> after <Code>docker login {info.data.RegistryUrl}</Code>.
        </Text>
      )}
      <TextInput aria-label="Search projects" placeholder="Project name" value={q} onChange={(e) => setParams(e.currentTarget.value ? { q: e.currentTarget.value } : {}, { replace: true })} w={260} />
      <Loaded query={projects}>
        {() => (
          <Table.ScrollContainer minWidth={560}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Project</Table.Th>
                  <Table.Th>Access</Table.Th>
                  <Table.Th>Your role</Table.Th>
                  <Table.Th>Members</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {shown.map((p) => (
                  <Table.Tr key={p.ID}>
                    <Table.Td>
                      <Anchor component={Link} to={`/registry/projects/${encodeURIComponent(p.Name)}`}>
                        {p.Name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={p.Public ? 'teal' : 'gray'}>
                        {p.Public ? 'public' : 'private'}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{p.CurrentUserRole ?? (admin ? 'system administrator' : '—')}</Table.Td>
                    <Table.Td>{p.Members.length + p.Teams.length}</Table.Td>
                    <Table.Td>{ago(p.CreatedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
      <Modal opened={creating} onClose={() => setCreating(false)} title="Create a project">
        <CreateProject onClose={() => setCreating(false)} />
      </Modal>
    </Page>
  );
}
