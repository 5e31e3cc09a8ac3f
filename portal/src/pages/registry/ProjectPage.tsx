// One registry project: its repositories, members, robot accounts, policies (quota, retention,
// immutability) and webhooks in tabs (?tab=), each shown to those whose project role may see it,
// and visibility and deletion for its project admins.

import { useState } from 'react';
import { Badge, Button, Group, Modal, Stack, Tabs, Text } from '@mantine/core';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { projectPath, useProject, useRegistryChange } from '../../api/registry';
import { projectRights } from '../../api/registry-access';
import type { RegistryProject } from '../../api/registry-types';
import { Loaded, Page } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { useWho } from '../../app/who';
import { ProjectRepositories } from './ProjectRepositories';
import { ProjectMembers } from './ProjectMembers';
import { ProjectRobots } from './ProjectRobots';
import { ProjectPolicies } from './ProjectPolicies';
import { ProjectWebhooks } from './ProjectWebhooks';

function ProjectActions({ project }: { project: RegistryProject }) {
  const navigate = useNavigate();
  const [removing, setRemoving] = useState(false);
  const visibility = useRegistryChange((Public: boolean) => api.put(projectPath(project.Name), { Public }));
  const remove = useRegistryChange(() => api.delete(projectPath(project.Name)));
  return (
    <>
      <Button variant="default" loading={visibility.isPending} onClick={() => visibility.mutate(!project.Public, { onError: notifyError })}>
        Make {project.Public ? 'private' : 'public'}
      </Button>
      <Button variant="default" color="red" onClick={() => setRemoving(true)}>
        Delete project
      </Button>
      <Modal opened={removing} onClose={() => setRemoving(false)} title={`Delete project ${project.Name}?`}>
        <Stack>
          <Text>Only a project without repositories can be deleted; its robot accounts go with it.</Text>
          <Group justify="end">
            <Button variant="default" onClick={() => setRemoving(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() => remove.mutate(undefined, { onError: notifyError, onSuccess: () => (notifyDone(`Project ${project.Name} deleted`), void navigate('/registry')) })}
            >
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

export default function ProjectPage() {
  const { name = '' } = useParams();
  const project = useProject(name);
  const who = useWho();
  const [params, setParams] = useSearchParams();

  return (
    <Loaded query={project}>
      {(p) => {
        const rights = projectRights(who, p);
        const tabs = [
          rights.pull && { value: 'repositories', label: 'Repositories', panel: <ProjectRepositories project={p} rights={rights} /> },
          rights.seeMembers && { value: 'members', label: 'Members', panel: <ProjectMembers project={p} rights={rights} /> },
          rights.seeMembers && { value: 'robots', label: 'Robot accounts', panel: <ProjectRobots project={p} rights={rights} /> },
          rights.seeMembers && { value: 'policies', label: 'Policies', panel: <ProjectPolicies project={p} rights={rights} /> },
          rights.maintain && { value: 'webhooks', label: 'Webhooks', panel: <ProjectWebhooks project={p} rights={rights} /> },
        ].filter((t) => !!t);
        const tab = tabs.find((t) => t.value === params.get('tab'))?.value ?? tabs[0]?.value;
        return (
          <Page
            title={
              <Group gap="sm">
                {p.Name}
                <Badge variant="light" color={p.Public ? 'teal' : 'gray'}>
                  {p.Public ? 'public' : 'private'}
                </Badge>
              </Group>
            }
            actions={rights.administer && <ProjectActions project={p} />}
          >
            {p.CurrentUserRole && (
              <Text size="sm">
                <Text span c="dimmed">
                  Your role
                </Text>{' '}
                {p.CurrentUserRole}
              </Text>
            )}
            <Tabs value={tab} onChange={(v) => setParams(v && v !== tabs[0]?.value ? { tab: v } : {}, { replace: true })} keepMounted={false}>
              <Tabs.List>
                {tabs.map((t) => (
                  <Tabs.Tab key={t.value} value={t.value}>
                    {t.label}
                  </Tabs.Tab>
                ))}
              </Tabs.List>
              {tabs.map((t) => (
                <Tabs.Panel key={t.value} value={t.value} pt="md">
                  {t.panel}
                </Tabs.Panel>
              ))}
            </Tabs>
          </Page>
        );
      }}
    </Loaded>
  );
}
