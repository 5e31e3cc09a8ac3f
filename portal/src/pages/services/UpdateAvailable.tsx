// "Update available" (portainer#3434): the service runs its registry tag pinned to a digest the
// tag has moved past in the cluster's registry. Those who may deploy the service update it to the
// tag's new digest, as `docker service update --image REPO:TAG` does (the manager resolved the digest).

import { Badge, Button, Group, Tooltip } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { keys } from '../../api/keys';
import { useUpdateService } from '../../api/mutations';
import type { ImageUpdate } from '../../api/registry-types';
import type { Service } from '../../api/types';
import { notifyDone, notifyError } from '../../components/notify';
import { useCan } from '../../app/who';

export function UpdateAvailable({ service, update }: { service: Service; update: ImageUpdate | undefined }) {
  const mayDeploy = useCan('deploy', { labels: service.Spec.Labels });
  const change = useUpdateService();
  const queries = useQueryClient();
  if (!update) return null;
  const spec = service.Spec;
  const apply = () =>
    change.mutate(
      { service, spec: { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...spec.TaskTemplate.ContainerSpec, Image: update.LatestImage } } } },
      {
        onError: notifyError,
        onSuccess: () => (notifyDone(`${spec.Name} is updating to ${update.LatestDigest.slice(0, 19)}`), void queries.invalidateQueries({ queryKey: keys.imageUpdates() })),
      },
    );
  return (
    <Group gap={6} wrap="nowrap" component="span">
      <Tooltip label={`The tag now points at ${update.LatestDigest}`}>
        <Badge color="grape" variant="light" tabIndex={0}>
          update available
        </Badge>
      </Tooltip>
      {mayDeploy && (
        <Button size="compact-xs" variant="light" color="grape" loading={change.isPending} onClick={apply} aria-label={`Update ${spec.Name} to the new digest`}>
          Update
        </Button>
      )}
    </Group>
  );
}
