// The service form (create and update): every field of `docker service create` people use, in
// sections; the API's refusal shows beside the field it names.

import { useState } from 'react';
import { ActionIcon, Button, Checkbox, Fieldset, Group, MultiSelect, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useConfigs, useNetworks, useSecrets } from '../../../api/queries';
import type { ServiceSpec } from '../../../api/types';
import { ApiError } from '../../../api/client';
import { FieldError, fieldOf, toSpec, type Field, type MountRow, type PortRow, type ServiceForm } from './spec';
import { Refused } from '../../../components/Refused';

export interface ServiceFormProps {
  initial: ServiceForm;
  base?: ServiceSpec;
  submitLabel: string;
  editing?: boolean;
  onSubmit: (spec: ServiceSpec) => Promise<unknown>;
}

export function ServiceFormView({ initial, base, submitLabel, editing, onSubmit }: ServiceFormProps) {
  const [f, setF] = useState(initial);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [general, setGeneral] = useState<string>();
  const [busy, setBusy] = useState(false);
  const secrets = useSecrets();
  const configs = useConfigs();
  const networks = useNetworks();
  const set = <K extends Field>(k: K, v: ServiceForm[K]) => setF((old) => ({ ...old, [k]: v }));
  const text = (k: Field) => ({ value: f[k] as string, onChange: (e: { currentTarget: { value: string } }) => set(k, e.currentTarget.value as never), error: errors[k] });

  const submit = async () => {
    setErrors({});
    setGeneral(undefined);
    setBusy(true);
    try {
      await onSubmit(toSpec(f, { secrets: secrets.data ?? [], configs: configs.data ?? [] }, base));
    } catch (err) {
      const field = err instanceof FieldError ? err.field : err instanceof ApiError ? fieldOf(err.message) : undefined;
      if (field) setErrors({ [field]: (err as Error).message });
      else setGeneral((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const port = (i: number, p: Partial<PortRow>) => set('ports', f.ports.map((x, j) => (j === i ? { ...x, ...p } : x)));
  const mount = (i: number, m: Partial<MountRow>) => set('mounts', f.mounts.map((x, j) => (j === i ? { ...x, ...m } : x)));

  return (
    <form onSubmit={(e) => (e.preventDefault(), void submit())} noValidate>
      <Stack maw={880}>
        <Refused message={general} />
        <Fieldset legend="Service">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Name" placeholder="web" disabled={editing} {...text('name')} />
            <TextInput label="Image" placeholder="nginx:1.27" required {...text('image')} />
            <SegmentedControl
              aria-label="Mode"
              value={f.mode}
              onChange={(v) => set('mode', v as ServiceForm['mode'])}
              disabled={editing}
              data={[
                { value: 'replicated', label: 'Replicated' },
                { value: 'global', label: 'Global (one per node)' },
              ]}
            />
            {f.mode === 'replicated' && <NumberInput label="Replicas" min={0} max={10000} value={f.replicas} onChange={(v) => set('replicas', Number(v) || 0)} />}
          </SimpleGrid>
        </Fieldset>
        <Fieldset legend="Command and environment">
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="Command" description="Replaces the image's entrypoint" placeholder={`sh -c 'echo hello'`} {...text('command')} />
              <TextInput label="Arguments" description="Replace the image's command" {...text('args')} />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Textarea label="Environment" description="KEY=VALUE, one per line" autosize minRows={2} {...text('env')} />
              <Textarea label="Labels" description="KEY=VALUE, one per line" autosize minRows={2} {...text('labels')} />
            </SimpleGrid>
          </Stack>
        </Fieldset>
        <Fieldset legend="Ports">
          <Stack gap="xs">
            {f.ports.map((p, i) => (
              <Group key={i} gap="xs" align="end">
                <TextInput label="Published" placeholder="auto" w={100} value={p.published} onChange={(e) => port(i, { published: e.currentTarget.value })} />
                <TextInput label="Container port" w={120} value={p.target} onChange={(e) => port(i, { target: e.currentTarget.value })} />
                <Select label="Protocol" w={100} data={['tcp', 'udp', 'sctp']} value={p.protocol} onChange={(v) => port(i, { protocol: (v ?? 'tcp') as PortRow['protocol'] })} />
                <Select label="Mode" w={110} data={['ingress', 'host']} value={p.mode} onChange={(v) => port(i, { mode: (v ?? 'ingress') as PortRow['mode'] })} />
                <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove port ${i + 1}`} onClick={() => set('ports', f.ports.filter((_, j) => j !== i))}>
                  ×
                </ActionIcon>
              </Group>
            ))}
            {errors.ports && <Text c="red" size="sm" role="alert">{errors.ports}</Text>}
            <Button variant="default" size="xs" w="fit-content" onClick={() => set('ports', [...f.ports, { published: '', target: '', protocol: 'tcp', mode: 'ingress' }])}>
              Add port
            </Button>
          </Stack>
        </Fieldset>
        <Fieldset legend="Mounts">
          <Stack gap="xs">
            {f.mounts.map((m, i) => (
              <Group key={i} gap="xs" align="end">
                <Select label="Type" w={110} data={['volume', 'bind', 'tmpfs']} value={m.type} onChange={(v) => mount(i, { type: (v ?? 'volume') as MountRow['type'] })} />
                <TextInput label={m.type === 'bind' ? 'Host path' : 'Volume'} w={180} value={m.source} disabled={m.type === 'tmpfs'} onChange={(e) => mount(i, { source: e.currentTarget.value })} />
                <TextInput label="Path in container" w={180} value={m.target} onChange={(e) => mount(i, { target: e.currentTarget.value })} />
                <Checkbox label="Read-only" mb={8} checked={m.readOnly} onChange={(e) => mount(i, { readOnly: e.currentTarget.checked })} />
                <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove mount ${i + 1}`} onClick={() => set('mounts', f.mounts.filter((_, j) => j !== i))}>
                  ×
                </ActionIcon>
              </Group>
            ))}
            {errors.mounts && <Text c="red" size="sm" role="alert">{errors.mounts}</Text>}
            <Button variant="default" size="xs" w="fit-content" onClick={() => set('mounts', [...f.mounts, { type: 'volume', source: '', target: '', readOnly: false }])}>
              Add mount
            </Button>
          </Stack>
        </Fieldset>
        <Fieldset legend="Networks, secrets and configs">
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <MultiSelect label="Networks" data={(networks.data ?? []).filter((n) => n.Scope === 'swarm' && n.Name !== 'ingress').map((n) => n.Name)} value={f.networks} onChange={(v) => set('networks', v)} error={errors.networks} searchable />
            <MultiSelect label="Secrets" description="At /run/secrets/NAME" data={(secrets.data ?? []).map((s) => s.Spec.Name)} value={f.secrets} onChange={(v) => set('secrets', v)} error={errors.secrets} searchable />
            <MultiSelect label="Configs" description="At /NAME" data={(configs.data ?? []).map((c) => c.Spec.Name)} value={f.configs} onChange={(v) => set('configs', v)} error={errors.configs} searchable />
          </SimpleGrid>
        </Fieldset>
        <Fieldset legend="Placement and resources">
          <Stack>
            <Textarea label="Constraints" description="One per line, e.g. node.role==worker or node.labels.zone==east" autosize minRows={1} {...text('constraints')} />
            <SimpleGrid cols={{ base: 2, sm: 4 }}>
              <TextInput label="CPU limit" placeholder="0.5" {...text('cpuLimit')} />
              <TextInput label="Memory limit" placeholder="512M" {...text('memoryLimit')} />
              <TextInput label="CPU reservation" placeholder="0.25" {...text('cpuReservation')} />
              <TextInput label="Memory reservation" placeholder="256M" {...text('memoryReservation')} />
            </SimpleGrid>
          </Stack>
        </Fieldset>
        <Fieldset legend="Restart and update policy">
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Select label="Restart" data={[{ value: 'any', label: 'Always' }, { value: 'on-failure', label: 'On failure' }, { value: 'none', label: 'Never' }]} value={f.restartCondition} onChange={(v) => set('restartCondition', (v ?? 'any') as ServiceForm['restartCondition'])} error={errors.restartCondition} />
            <TextInput label="Restart delay" placeholder="5s" {...text('restartDelay')} />
            <TextInput label="Max attempts" placeholder="unlimited" {...text('restartMaxAttempts')} />
            <TextInput label="Update parallelism" {...text('updateParallelism')} />
            <TextInput label="Update delay" placeholder="0s" {...text('updateDelay')} />
            <Select label="On update failure" data={['pause', 'continue', 'rollback']} value={f.updateFailureAction} onChange={(v) => set('updateFailureAction', (v ?? 'pause') as ServiceForm['updateFailureAction'])} />
            <Select label="Update order" data={['stop-first', 'start-first']} value={f.updateOrder} onChange={(v) => set('updateOrder', (v ?? 'stop-first') as ServiceForm['updateOrder'])} />
          </SimpleGrid>
        </Fieldset>
        <Fieldset legend="Healthcheck">
          <SimpleGrid cols={{ base: 1, sm: 4 }}>
            <TextInput label="Health command" description="Run by a shell" placeholder="wget -q -O- localhost" {...text('healthCmd')} />
            <TextInput label="Interval" placeholder="30s" {...text('healthInterval')} />
            <TextInput label="Timeout" placeholder="30s" {...text('healthTimeout')} />
            <TextInput label="Retries" placeholder="3" {...text('healthRetries')} />
          </SimpleGrid>
        </Fieldset>
        <Group>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
