// A project's policies: its quota and use (a bar; system administrators set it), tag retention
// (rules, schedule, runs: developers and up) and tag immutability (maintainers and up).

import { useEffect, useState } from 'react';
import { Badge, Button, Card, Group, NumberInput, Progress, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { api } from '../../api/client';
import { projectPath, useImmutability, useQuota, useRegistryChange, useRetention, useRetentionRuns } from '../../api/registry';
import type { ProjectRights } from '../../api/registry-access';
import type { ImmutabilityRule, RegistryProject, RetentionPolicy, RetentionRule, RetentionRun } from '../../api/registry-types';
import { Loaded } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago, bytes } from '../../components/time';
import { quotaUse } from './refs';

const MIB = 1024 * 1024;
const size = (n: number): string => (n > 0 ? bytes(n) : '0 B');

function QuotaCard({ project, system }: { project: string; system: boolean }) {
  const quota = useQuota(project);
  const [mib, setMib] = useState<number | string>('');
  const set = useRegistryChange((quotaBytes: number) => api.put(`${projectPath(project)}/quota`, { quotaBytes }));
  return (
    <Card withBorder aria-labelledby="quota-title">
      <Title order={2} size="h4" id="quota-title" mb="sm">
        Quota
      </Title>
      <Loaded query={quota}>
        {(q) => {
          const share = quotaUse(q);
          return (
            <Stack gap="xs">
              <Text size="sm">
                {size(q.usedBytes)} used{q.quotaBytes >= 0 ? ` of ${size(q.quotaBytes)}` : ', no quota'} · {q.manifests} manifests, {q.blobs} blobs
              </Text>
              {share !== undefined && <Progress value={share} color={share > 90 ? 'red' : share > 70 ? 'orange' : 'blue'} aria-label={`Quota of ${project} used: ${Math.round(share)}%`} />}
              {system && (
                <form onSubmit={(e) => (e.preventDefault(), set.mutate(mib === '' ? -1 : Math.round(Number(mib) * MIB), { onError: notifyError, onSuccess: () => notifyDone('Quota set') }))}>
                  <Group align="end" gap="xs">
                    <NumberInput label="Quota in MiB" description="Empty: no quota" min={0} value={mib} onChange={setMib} w={180} />
                    <Button type="submit" variant="default" loading={set.isPending}>
                      Set quota
                    </Button>
                  </Group>
                </form>
              )}
            </Stack>
          );
        }}
      </Loaded>
    </Card>
  );
}

const KEEP = [
  { value: 'latestPushed', label: 'the latest pushed' },
  { value: 'pushedWithinDays', label: 'those pushed within days' },
  { value: 'matching', label: 'all matching' },
];

function RuleRow({ rule, onChange, onRemove, index }: { rule: RetentionRule; onChange: (r: RetentionRule) => void; onRemove: () => void; index: number }) {
  const n = index + 1;
  return (
    <Group align="end" gap="xs">
      <TextInput label={`Rule ${n}: repositories`} value={rule.Repositories} onChange={(e) => onChange({ ...rule, Repositories: e.currentTarget.value })} w={160} />
      <TextInput label="Tags" value={rule.Tags} onChange={(e) => onChange({ ...rule, Tags: e.currentTarget.value })} w={120} />
      <Select label="Keep" data={KEEP} value={rule.Keep} allowDeselect={false} onChange={(v) => v && onChange({ Repositories: rule.Repositories, Tags: rule.Tags, Keep: v as RetentionRule['Keep'], ...(v === 'latestPushed' && { Count: 10 }), ...(v === 'pushedWithinDays' && { Days: 7 }) })} w={220} />
      {rule.Keep === 'latestPushed' && <NumberInput label="Count" min={1} max={10000} value={rule.Count} onChange={(v) => onChange({ ...rule, Count: Number(v) })} w={100} />}
      {rule.Keep === 'pushedWithinDays' && <NumberInput label="Days" min={1} max={36500} value={rule.Days} onChange={(v) => onChange({ ...rule, Days: Number(v) })} w={100} />}
      <Button variant="subtle" color="red" onClick={onRemove} aria-label={`Remove rule ${n}`}>
        Remove
      </Button>
    </Group>
  );
}

function RunTable({ runs }: { runs: RetentionRun[] }) {
  if (runs.length === 0) return <Text c="dimmed">No runs yet.</Text>;
  return (
    <Table.ScrollContainer minWidth={520}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Started</Table.Th>
            <Table.Th>Trigger</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Deleted</Table.Th>
            <Table.Th>Kept</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runs.slice(0, 10).map((r) => (
            <Table.Tr key={r.Id}>
              <Table.Td>{ago(r.StartedAt)}</Table.Td>
              <Table.Td>
                {r.Trigger}
                {r.DryRun ? ' (dry run)' : ''}
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={r.Status === 'succeeded' ? 'green' : 'red'}>
                  {r.Status}
                </Badge>
                {r.Errors[0] && <Text size="xs">{r.Errors[0].Message}</Text>}
              </Table.Td>
              <Table.Td>{r.Deleted.map((t) => `${t.Repository}:${t.Tag}`).join(', ') || 'none'}</Table.Td>
              <Table.Td>{r.Kept.length}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function RetentionCard({ project }: { project: string }) {
  const policy = useRetention(project);
  const runs = useRetentionRuns(project);
  const [draft, setDraft] = useState<RetentionPolicy>({ Rules: [] });
  const [cron, setCron] = useState('');
  useEffect(() => {
    if (!policy.data) return;
    setDraft(policy.data);
    setCron(policy.data.Schedule && 'Cron' in policy.data.Schedule ? policy.data.Schedule.Cron : '');
  }, [policy.data]);
  const save = useRegistryChange((p: RetentionPolicy) => api.put(`${projectPath(project)}/retention`, p));
  const run = useRegistryChange((dryRun: boolean) => api.post<RetentionRun>(`${projectPath(project)}/retention/run?dryRun=${dryRun}`));
  const setRule = (i: number, r: RetentionRule) => setDraft({ ...draft, Rules: draft.Rules.map((x, j) => (j === i ? r : x)) });
  const submit = () => save.mutate({ Rules: draft.Rules, ...(cron.trim() ? { Schedule: { Cron: cron.trim() } } : draft.Schedule && 'IntervalSeconds' in draft.Schedule ? { Schedule: draft.Schedule } : {}) }, { onError: notifyError, onSuccess: () => notifyDone('Retention policy saved') });
  return (
    <Card withBorder aria-labelledby="retention-title">
      <Title order={2} size="h4" id="retention-title" mb="xs">
        Tag retention
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        A run keeps the tags some rule keeps (and immutable ones) and deletes the rest of the repositories the rules match. Patterns are globs: ** spans /.
      </Text>
      <Loaded query={policy}>
        {() => (
          <form onSubmit={(e) => (e.preventDefault(), submit())}>
            <Stack gap="xs">
              {draft.Rules.length === 0 && <Text c="dimmed">No rules: runs delete nothing.</Text>}
              {draft.Rules.map((r, i) => (
                <RuleRow key={i} index={i} rule={r} onChange={(x) => setRule(i, x)} onRemove={() => setDraft({ ...draft, Rules: draft.Rules.filter((_, j) => j !== i) })} />
              ))}
              <TextInput label="Schedule (cron, UTC)" description='Empty: on demand only; e.g. "0 0 3 * * *"' value={cron} onChange={(e) => setCron(e.currentTarget.value)} w={260} />
              <Group gap="xs">
                <Button variant="default" onClick={() => setDraft({ ...draft, Rules: [...draft.Rules, { Repositories: '**', Tags: '**', Keep: 'latestPushed', Count: 10 }] })}>
                  Add rule
                </Button>
                <Button type="submit" loading={save.isPending}>
                  Save policy
                </Button>
                <Button variant="default" loading={run.isPending} onClick={() => run.mutate(true, { onError: notifyError, onSuccess: (r) => notifyDone(`Dry run: ${r.Deleted.length} tags would go`) })}>
                  Dry run
                </Button>
                <Button variant="default" color="red" loading={run.isPending} onClick={() => run.mutate(false, { onError: notifyError, onSuccess: (r) => notifyDone(`${r.Deleted.length} tags deleted`) })}>
                  Run now
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Loaded>
      <Title order={3} size="h5" mt="md" mb="xs">
        Runs
      </Title>
      <Loaded query={runs}>{(list) => <RunTable runs={list} />}</Loaded>
    </Card>
  );
}

function ImmutabilityCard({ project }: { project: string }) {
  const rules = useImmutability(project);
  const [draft, setDraft] = useState<ImmutabilityRule[]>([]);
  useEffect(() => void (rules.data && setDraft(rules.data.Rules)), [rules.data]);
  const save = useRegistryChange((Rules: ImmutabilityRule[]) => api.put(`${projectPath(project)}/immutability`, { Rules }));
  return (
    <Card withBorder aria-labelledby="immutability-title">
      <Title order={2} size="h4" id="immutability-title" mb="xs">
        Tag immutability
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        A matching tag is pushed once, then never moved to another digest nor deleted.
      </Text>
      <Loaded query={rules}>
        {() => (
          <form onSubmit={(e) => (e.preventDefault(), save.mutate(draft, { onError: notifyError, onSuccess: () => notifyDone('Immutability rules saved') }))}>
            <Stack gap="xs">
              {draft.length === 0 && <Text c="dimmed">No rules: every tag may move.</Text>}
              {draft.map((r, i) => (
                <Group key={i} align="end" gap="xs">
                  <TextInput label={`Rule ${i + 1}: repositories`} value={r.Repositories} onChange={(e) => setDraft(draft.map((x, j) => (j === i ? { ...x, Repositories: e.currentTarget.value } : x)))} w={180} />
                  <TextInput label="Tags" value={r.Tags} onChange={(e) => setDraft(draft.map((x, j) => (j === i ? { ...x, Tags: e.currentTarget.value } : x)))} w={140} />
                  <Button variant="subtle" color="red" aria-label={`Remove immutability rule ${i + 1}`} onClick={() => setDraft(draft.filter((_, j) => j !== i))}>
                    Remove
                  </Button>
                </Group>
              ))}
              <Group gap="xs">
                <Button variant="default" onClick={() => setDraft([...draft, { Repositories: '**', Tags: 'v*' }])}>
                  Add rule
                </Button>
                <Button type="submit" loading={save.isPending}>
                  Save rules
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Loaded>
    </Card>
  );
}

export function ProjectPolicies({ project, rights }: { project: RegistryProject; rights: ProjectRights }) {
  return (
    <Stack>
      <QuotaCard project={project.Name} system={rights.system} />
      {rights.retention && <RetentionCard project={project.Name} />}
      {rights.maintain && <ImmutabilityCard project={project.Name} />}
    </Stack>
  );
}
