// The dashboard's registry card: storage the user's projects use, and the quotas closest to full
// as bars. Without a registry beside the manager, it says so.

import { Anchor, Card, Group, Progress, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { ApiError } from '../../api/client';
import { useQuotas } from '../../api/registry';
import { bytes } from '../../components/time';
import { quotaUse } from './refs';

const SHOWN = 5;

export function RegistryCard() {
  const quotas = useQuotas();
  const list = quotas.data ?? [];
  const used = list.reduce((n, q) => n + q.usedBytes, 0);
  const fullest = [...list].sort((a, b) => (quotaUse(b) ?? -1) - (quotaUse(a) ?? -1) || b.usedBytes - a.usedBytes).slice(0, SHOWN);
  return (
    <Card withBorder aria-labelledby="registry-card">
      <Title order={2} size="h4" id="registry-card" mb="sm">
        <Anchor component={Link} to="/registry" inherit>
          Registry
        </Anchor>
      </Title>
      {quotas.error ? (
        <Text c="dimmed">{quotas.error instanceof ApiError && quotas.error.status === 404 ? 'No registry runs beside this manager.' : quotas.error.message}</Text>
      ) : (
        <Stack gap="xs">
          <Text size="sm">
            <Text span fw={700} fz={20}>
              {used > 0 ? bytes(used) : '0 B'}
            </Text>{' '}
            used by {list.length} {list.length === 1 ? 'project' : 'projects'} of yours
          </Text>
          {fullest.map((q) => {
            const share = quotaUse(q);
            return (
              <div key={q.project}>
                <Group justify="space-between" gap="xs">
                  <Anchor component={Link} to={`/registry/projects/${encodeURIComponent(q.project)}?tab=policies`} size="sm">
                    {q.project}
                  </Anchor>
                  <Text size="xs">{share === undefined ? `${q.usedBytes > 0 ? bytes(q.usedBytes) : '0 B'}, no quota` : `${Math.round(share)}% of ${bytes(q.quotaBytes)}`}</Text>
                </Group>
                {share !== undefined && <Progress value={share} size="sm" color={share > 90 ? 'red' : share > 70 ? 'orange' : 'blue'} aria-label={`Quota of ${q.project} used: ${Math.round(share)}%`} />}
              </div>
            );
          })}
        </Stack>
      )}
    </Card>
  );
}
