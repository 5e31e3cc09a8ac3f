// A page's title and actions, and the loading and error states every page shares.

import type { ReactNode } from 'react';
import { Alert, Group, Loader, Stack, Title } from '@mantine/core';

export function Page({ title, actions, children }: { title: ReactNode; actions?: ReactNode; children: ReactNode }) {
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={1} size="h2">
          {title}
        </Title>
        {actions && <Group gap="xs">{actions}</Group>}
      </Group>
      {children}
    </Stack>
  );
}

/** Loaded renders its children once the data is there, else a spinner or the API's error. */
export function Loaded<T>({ query, children }: { query: { data: T | undefined; error: Error | null; isPending: boolean }; children: (data: T) => ReactNode }) {
  if (query.error)
    return (
      <Alert color="red" role="alert" title="Could not load">
        {query.error.message}
      </Alert>
    );
  if (query.data === undefined) return <Loader aria-label="Loading" />;
  return <>{children(query.data)}</>;
}
