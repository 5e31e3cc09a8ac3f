import { Button, Menu } from '@mantine/core';
import { useUpdateNode } from '../../api/mutations';
import type { Node } from '../../api/types';
import { notifyError } from '../../components/notify';

const CHOICES: Array<{ value: Node['Spec']['Availability']; label: string }> = [
  { value: 'active', label: 'Activate' },
  { value: 'pause', label: 'Pause (no new tasks)' },
  { value: 'drain', label: 'Drain (move tasks away)' },
];

export function AvailabilityMenu({ node }: { node: Node }) {
  const update = useUpdateNode();
  return (
    <Menu position="bottom-end">
      <Menu.Target>
        <Button size="xs" variant="default" loading={update.isPending} aria-label={`${node.Spec.Availability}: availability of ${node.Description.Hostname}`}>
          {node.Spec.Availability}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {CHOICES.filter((c) => c.value !== node.Spec.Availability).map((c) => (
          <Menu.Item key={c.value} onClick={() => update.mutate({ node, spec: { ...node.Spec, Availability: c.value } }, { onError: notifyError })}>
            {c.label}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
