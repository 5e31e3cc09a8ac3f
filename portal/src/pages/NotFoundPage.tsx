import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <Stack>
      <Title order={1}>Not found</Title>
      <Text>
        No page here. <Anchor component={Link} to="/">Go to the dashboard</Anchor>.
      </Text>
    </Stack>
  );
}
