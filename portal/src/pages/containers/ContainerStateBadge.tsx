import { Badge } from '@mantine/core';

export function ContainerStateBadge({ state }: { state: string }) {
  const color = state === 'running' ? 'green' : state === 'exited' || state === 'dead' ? 'gray' : 'orange';
  return (
    // Never cut to "RUNN…" by a narrow table column.
    <Badge color={color} variant="light" miw="max-content">
      {state}
    </Badge>
  );
}
