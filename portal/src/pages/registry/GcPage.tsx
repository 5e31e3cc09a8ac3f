// Garbage collection (system administrators): its settings, the last runs with what they freed,
// and a run started now (a dry run says what a run would free). A run in progress is followed
// until it ends.

import { useState } from 'react';
import { Anchor, Badge, Breadcrumbs, Button, Card, Checkbox, Group, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { startGc, useGc, useRegistryChange } from '../../api/registry';
import { Loaded, Page } from '../../components/Page';
import { notifyError } from '../../components/notify';
import { ago, bytes } from '../../components/time';

const STATUS_COLOR = { running: 'blue', succeeded: 'green', failed: 'red' } as const;

export default function GcPage() {
  const gc = useGc();
  const [dryRun, setDryRun] = useState(false);
  const [untagged, setUntagged] = useState(false);
  const start = useRegistryChange(startGc);
  return (
    <Page title="Garbage collection">
      <Breadcrumbs>
        <Anchor component={Link} to="/registry">
          Registry
        </Anchor>
        <Text span>Garbage collection</Text>
      </Breadcrumbs>
      <Loaded query={gc}>
        {(s) => (
          <>
            <Card withBorder aria-labelledby="gc-run-title">
              <Title order={2} size="h4" id="gc-run-title" mb="xs">
                Run
              </Title>
              <Text size="sm" mb="sm">
                Frees blobs no manifest references, older than the grace period ({s.graceSeconds / 60} minutes). Schedule:{' '}
                {s.cron ? `cron ${s.cron} (UTC)` : s.intervalSeconds > 0 ? `every ${s.intervalSeconds / 3600} hours` : 'on demand only'}.
              </Text>
              <Group>
                <Checkbox label="Dry run: only report" checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
                <Checkbox label="Also delete untagged manifests" checked={untagged} onChange={(e) => setUntagged(e.currentTarget.checked)} />
                <Button loading={start.isPending} disabled={s.running} onClick={() => start.mutate({ dryRun, deleteUntagged: untagged }, { onError: notifyError })}>
                  {s.running ? 'Running…' : 'Start a run'}
                </Button>
              </Group>
            </Card>
            <Card withBorder aria-labelledby="gc-runs-title">
              <Title order={2} size="h4" id="gc-runs-title" mb="sm">
                Last runs
              </Title>
              {s.runs.length === 0 ? (
                <Text c="dimmed">No runs yet.</Text>
              ) : (
                <Table.ScrollContainer minWidth={560}>
                  <Table>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Run</Table.Th>
                        <Table.Th>Started</Table.Th>
                        <Table.Th>Status</Table.Th>
                        <Table.Th>Freed</Table.Th>
                        <Table.Th>Deleted</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {s.runs.map((r) => (
                        <Table.Tr key={r.id}>
                          <Table.Td>
                            {r.id}
                            {r.dryRun ? ' (dry run)' : ''}
                          </Table.Td>
                          <Table.Td>{ago(r.startedAt)}</Table.Td>
                          <Table.Td>
                            <Badge variant="light" color={STATUS_COLOR[r.status]}>
                              {r.status}
                            </Badge>
                            {r.error && <Text size="xs">{r.error}</Text>}
                          </Table.Td>
                          <Table.Td>{r.bytesFreed > 0 ? bytes(r.bytesFreed) : '0 B'}</Table.Td>
                          <Table.Td>
                            {r.blobsDeleted} blobs, {r.manifestsDeleted} manifests
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
            </Card>
          </>
        )}
      </Loaded>
    </Page>
  );
}
