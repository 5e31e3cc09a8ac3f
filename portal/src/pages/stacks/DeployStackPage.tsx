// Deploy a stack, or update one (/stacks/new, /stacks/:name/edit): the compose file in an editor
// that checks it against the Compose Specification as you type (marks with their line), a preview
// of what the server would change (its dry run: per object create/update/remove/unchanged, the
// changed fields of a service), then the deploy. The server converts the file, never the browser.

import { useDeferredValue, useMemo, useState } from 'react';
import { Alert, Anchor, Badge, Button, Code, Group, List, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import validate from 'virtual:compose-schema';
import { useDeployStack, useStack, type DeployResult, type StackChange } from '../../api/stacks';
import { notifyDone } from '../../components/notify';
import { Loaded, Page } from '../../components/Page';
import { ComposeEditor } from './ComposeEditor';
import { diagnose } from './diagnose';

const EXAMPLE = `services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
    deploy:
      replicas: 2
`;

export default function DeployStackPage() {
  const name = useParams().name;
  const stack = useStack(name);
  if (!name) return <DeployForm />;
  return (
    <Page title={`Update stack ${name}`}>
      <Loaded query={stack}>{(s) => <DeployForm name={name} compose={s.Compose} envNames={s.EnvNames ?? []} />}</Loaded>
    </Page>
  );
}

/** parseEnv reads KEY=VALUE lines; blank lines and # comments are skipped. */
function parseEnv(text: string): Record<string, string> | string {
  const env: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at < 1) return `Variables, line ${i + 1}: write KEY=VALUE`;
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

function DeployForm({ name, compose, envNames = [] }: { name?: string; compose?: string; envNames?: string[] }) {
  const [stackName, setStackName] = useState(name ?? '');
  const [text, setText] = useState(compose ?? (name ? '' : EXAMPLE));
  const [envText, setEnvText] = useState('');
  const [plan, setPlan] = useState<DeployResult | undefined>();
  const deploy = useDeployStack();
  const navigate = useNavigate();
  const checked = useDeferredValue(text);
  const marks = useMemo(() => diagnose(checked, validate), [checked]);
  const env = parseEnv(envText);
  const ready = stackName.trim() !== '' && text.trim() !== '' && marks.length === 0 && typeof env !== 'string' && checked === text;
  const request = { Name: stackName.trim(), Compose: text, ...(typeof env !== 'string' && (Object.keys(env).length > 0 || envNames.length === 0) && { Env: env }) };
  const edit = (t: string) => (setText(t), setPlan(undefined), deploy.reset());

  const form = (
    <Stack gap="md">
      {!name && <TextInput label="Stack name" description="Its objects are named NAME_service" required value={stackName} onChange={(e) => (setStackName(e.currentTarget.value), setPlan(undefined))} w={320} />}
      {name && compose === undefined && (
        <Alert color="blue" title="No compose file on the server">
          The docker CLI deployed this stack: Berth has no compose file for it. Paste one to deploy the stack from here; its services are updated in place.
        </Alert>
      )}
      <div>
        <Text size="sm" fw={500} aria-hidden>
          Compose file
        </Text>
        <ComposeEditor value={text} onChange={edit} diagnostics={marks} label="Compose file" describedBy="compose-problems" />
        <div id="compose-problems" aria-live="polite">
          {marks.length === 0 ? (
            <Text size="sm" c="dimmed">
              The file matches the Compose Specification.
            </Text>
          ) : (
            <List size="sm" fw={500} aria-label="Problems in the compose file">
              {marks.map((m) => (
                <List.Item key={`${m.from}:${m.message}`}>
                  Line {m.line}: {m.message}
                </List.Item>
              ))}
            </List>
          )}
        </div>
      </div>
      <Textarea
        label="Variables"
        description={envNames.length ? `KEY=VALUE per line, for \${KEY} in the file and secrets' environment. Left empty, the last deploy's are kept: ${envNames.join(', ')}` : "KEY=VALUE per line, for ${KEY} in the file and secrets' environment"}
        autosize
        minRows={2}
        value={envText}
        onChange={(e) => (setEnvText(e.currentTarget.value), setPlan(undefined))}
        error={typeof env === 'string' ? env : undefined}
        classNames={{ input: 'mono' }}
      />
      {deploy.error && (
        <Alert color="red" role="alert" title="Refused">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {deploy.error.message}
          </Text>
        </Alert>
      )}
      {plan && <PlanView plan={plan} />}
      <Group>
        <Button variant={plan ? 'default' : 'filled'} disabled={!ready} loading={deploy.isPending && !plan} onClick={() => deploy.mutate({ request, dryRun: true }, { onSuccess: setPlan })}>
          Preview changes
        </Button>
        {plan && (
          <Button
            disabled={!ready}
            loading={deploy.isPending}
            onClick={() =>
              deploy.mutate(
                { request, dryRun: false },
                { onSuccess: (r) => (notifyDone(`Stack ${r.Name} deployed (version ${r.StackVersion})`), void navigate(`/stacks/${encodeURIComponent(r.Name)}`)) },
              )
            }
          >
            Deploy
          </Button>
        )}
        <Anchor component={Link} to={name ? `/stacks/${encodeURIComponent(name)}` : '/stacks'} size="sm">
          Cancel
        </Anchor>
      </Group>
    </Stack>
  );
  return name ? form : <Page title="Deploy a stack">{form}</Page>;
}

const ACTION_COLOR: Record<StackChange['Action'], string> = { create: 'green', update: 'blue', remove: 'red', unchanged: 'gray' };

function PlanView({ plan }: { plan: DeployResult }) {
  const changed = plan.Changes.filter((c) => c.Action !== 'unchanged').length;
  return (
    <section aria-labelledby="plan-title">
      <Title order={2} size="h4" id="plan-title" mb="xs">
        Preview: {changed === 0 ? 'nothing changes' : `${changed} ${changed === 1 ? 'change' : 'changes'}`}
      </Title>
      {plan.Warnings.map((w) => (
        <Alert key={w} color="yellow" mb="xs" title="Warning">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {w}
          </Text>
        </Alert>
      ))}
      <Table.ScrollContainer minWidth={560}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Object</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Changed fields</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {plan.Changes.map((c) => (
              <Table.Tr key={`${c.Kind}/${c.Name}`}>
                <Table.Td>
                  {c.Kind} <span className="mono">{c.Name}</span>
                </Table.Td>
                <Table.Td>
                  <Badge variant="dot" color={ACTION_COLOR[c.Action]}>
                    {c.Action}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {(c.Fields ?? []).map((f) => (
                    <Text key={f.Field} size="sm">
                      <Code>{f.Field}</Code>: {JSON.stringify(f.Old) ?? '—'} → {JSON.stringify(f.New) ?? '—'}
                    </Text>
                  ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </section>
  );
}
