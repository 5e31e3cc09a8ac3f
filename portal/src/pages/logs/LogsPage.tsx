// One merged, live view of a whole stack's or several services' logs (portainer#335): pick a
// stack or services; the view follows them all, ordered by time, with the filters of LogView.
// ?stack=NAME or ?service=ID&service=ID make it a link.

import { useCallback, useMemo } from 'react';
import { Group, MultiSelect, Select, Text } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { byId, useNodes, useServices, useTasks } from '../../api/queries';
import { Page } from '../../components/Page';
import { LogView } from '../../components/logs/LogView';
import { shortId } from '../../components/time';

const STACK_LABEL = 'com.docker.stack.namespace';

export default function LogsPage() {
  const [params, setParams] = useSearchParams();
  const services = useServices();
  const nodes = useNodes();
  const stack = params.get('stack');
  const picked = params.getAll('service');
  const all = services.data ?? [];
  const stacks = useMemo(() => [...new Set(all.map((s) => s.Spec.Labels?.[STACK_LABEL]).filter((s): s is string => !!s))].sort(), [all]);
  const chosen = useMemo(() => all.filter((s) => (stack ? s.Spec.Labels?.[STACK_LABEL] === stack : picked.includes(s.ID))).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name)), [all, stack, picked.join(',')]);
  const ids = chosen.map((s) => s.ID);
  const tasks = useTasks({ service: ids }, ids.length > 0);
  const serviceById = useMemo(() => byId(all), [all]);
  const taskById = useMemo(() => byId(tasks.data), [tasks.data]);
  const nodeById = useMemo(() => byId(nodes.data), [nodes.data]);
  const taskName = useCallback(
    (id: string) => {
      const t = taskById.get(id);
      const s = t && serviceById.get(t.ServiceID);
      return t && s ? `${s.Spec.Name}.${t.Slot ?? shortId(t.NodeID ?? '')}` : shortId(id);
    },
    [taskById, serviceById],
  );
  const nodeName = useCallback((id: string) => nodeById.get(id)?.Description.Hostname ?? shortId(id), [nodeById]);

  const choose = (next: { stack?: string | null; services?: string[] }) =>
    setParams(
      (p) => {
        for (const k of ['stack', 'service', 'task', 'node', 'q']) p.delete(k);
        if (next.stack) p.set('stack', next.stack);
        for (const s of next.services ?? []) p.append('service', s);
        return p;
      },
      { replace: true },
    );

  return (
    <Page title="Logs">
      <Group align="end">
        <Select label="Stack" placeholder="Choose a stack" data={stacks} value={stack} onChange={(v) => choose({ stack: v })} clearable searchable w={220} />
        <MultiSelect
          label="Services"
          placeholder={stack ? 'the whole stack' : 'Choose services'}
          data={all.map((s) => ({ value: s.ID, label: s.Spec.Name }))}
          value={stack ? [] : picked}
          onChange={(v) => choose({ services: v })}
          disabled={!!stack}
          searchable
          w={360}
        />
      </Group>
      {chosen.length === 0 ? (
        <Text c="dimmed">Choose a stack or services to follow their logs together.</Text>
      ) : (
        <LogView
          key={ids.join(',')}
          sources={chosen.map((s) => ({ path: `/services/${s.ID}/logs`, mux: !s.Spec.TaskTemplate.ContainerSpec.TTY }))}
          taskName={taskName}
          nodeName={nodeName}
          fileName={`${stack ?? chosen.map((s) => s.Spec.Name).join('+')}.log`}
        />
      )}
    </Page>
  );
}
