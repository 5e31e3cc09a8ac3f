// A project's repositories: how many artifacts and tags each holds and when a tag was last pushed.

import { Anchor, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useRepositories } from '../../api/registry';
import type { ProjectRights } from '../../api/registry-access';
import type { RegistryProject } from '../../api/registry-types';
import { Loaded } from '../../components/Page';
import { ago } from '../../components/time';
import { repositoryLink } from './refs';

export function ProjectRepositories({ project }: { project: RegistryProject; rights: ProjectRights }) {
  const repositories = useRepositories(project.Name);
  return (
    <Loaded query={repositories}>
      {(list) =>
        list.length === 0 ? (
          <Text c="dimmed">No repositories yet: push an image as {project.Name}/NAME:TAG.</Text>
        ) : (
          <Table.ScrollContainer minWidth={480}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Repository</Table.Th>
                  <Table.Th>Artifacts</Table.Th>
                  <Table.Th>Tags</Table.Th>
                  <Table.Th>Last push</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((r) => (
                  <Table.Tr key={r.Name}>
                    <Table.Td>
                      <Anchor component={Link} to={repositoryLink(project.Name, r.Name)}>
                        {r.Name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{r.Artifacts}</Table.Td>
                    <Table.Td>{r.Tags}</Table.Td>
                    <Table.Td>{ago(r.UpdatedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )
      }
    </Loaded>
  );
}
