// What an operator does to a service, each as the docker CLI does it: scale (`service scale`),
// update (the form), rollback (`service rollback`: rollback=previous), restart
// (`service update --force`: ForceUpdate + 1) and remove.

import { useState } from 'react';
import { Button, Group, Menu, Modal, NumberInput, Stack, Text } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useRemoveService, useUpdateService } from '../../api/mutations';
import type { Service } from '../../api/types';
import { notifyDone, notifyError } from '../../components/notify';

export function ServiceActions({ service }: { service: Service }) {
  const update = useUpdateService();
  const remove = useRemoveService();
  const navigate = useNavigate();
  const [scaling, setScaling] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [count, setCount] = useState<number | string>(service.Spec.Mode.Replicated?.Replicas ?? 1);
  const spec = service.Spec;
  const name = spec.Name;

  const scale = () =>
    update.mutate(
      { service, spec: { ...spec, Mode: { Replicated: { Replicas: Number(count) } } } },
      { onError: notifyError, onSuccess: () => (setScaling(false), notifyDone(`${name} scaled to ${count}`)) },
    );
  const restart = () =>
    update.mutate(
      { service, spec: { ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate.ForceUpdate ?? 0) + 1 } } },
      { onError: notifyError, onSuccess: () => notifyDone(`${name}: its tasks are being replaced`) },
    );
  const rollback = () => update.mutate({ service, spec, rollback: true }, { onError: notifyError, onSuccess: () => notifyDone(`${name} is rolling back`) });

  return (
    <>
      {spec.Mode.Replicated && (
        <Button variant="default" onClick={() => setScaling(true)}>
          Scale
        </Button>
      )}
      <Button variant="default" component={Link} to={`/services/${service.ID}/edit`}>
        Update
      </Button>
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="default" loading={update.isPending} aria-label="More actions">
            More
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item onClick={restart}>Restart tasks (force update)</Menu.Item>
          {service.PreviousSpec && <Menu.Item onClick={rollback}>Roll back to the previous spec</Menu.Item>}
          <Menu.Divider />
          <Menu.Item color="red" onClick={() => setRemoving(true)}>
            Remove
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={scaling} onClose={() => setScaling(false)} title={`Scale ${name}`}>
        <form onSubmit={(e) => (e.preventDefault(), scale())}>
          <Stack>
            <NumberInput label="Replicas" min={0} max={10000} value={count} onChange={setCount} data-autofocus />
            <Button type="submit" loading={update.isPending}>
              Scale
            </Button>
          </Stack>
        </form>
      </Modal>
      <Modal opened={removing} onClose={() => setRemoving(false)} title={`Remove ${name}?`}>
        <Stack>
          <Text>Its tasks stop and its containers are removed on every node.</Text>
          <Group justify="end">
            <Button variant="default" onClick={() => setRemoving(false)}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(service.ID, { onError: notifyError, onSuccess: () => (notifyDone(`${name} removed`), void navigate('/services')) })}>
              Remove
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
