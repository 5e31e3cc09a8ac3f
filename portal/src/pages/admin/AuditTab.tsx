// The audit log (`berth audit ls`): who changed what, from where, and how it ended. Filters and
// the page are the URL (?user=&action=&object=&since=&until=&before=), 50 entries a page; each
// entry opens to its changes field by field (secret data never appears: the API redacts it).

import { Fragment, useState } from 'react';
import { Autocomplete, Badge, Button, Code, Group, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useAudit } from '../../api/admin';
import type { AuditEntry } from '../../api/admin-types';
import { Loaded } from '../../components/Page';
import { AUDIT_FILTERS, auditQuery, PAGE_SIZE, shownValue, withFilters, type AuditFilter } from './audit-query';

const ACTIONS = ['service', 'secret', 'config', 'network', 'node', 'swarm', 'user', 'team', 'token', 'oidc', 'container', 'exec', 'repository', 'client-certificate', 'registry-credential'];
const LABELS: Record<AuditFilter, { label: string; placeholder: string }> = {
  user: { label: 'User', placeholder: 'alice' },
  action: { label: 'Action', placeholder: 'service.update or service' },
  object: { label: 'Object', placeholder: 'name or ID prefix' },
  since: { label: 'Since', placeholder: '2h or 2026-12-01T09:00:00Z' },
  until: { label: 'Until', placeholder: 'the same forms' },
};

function Filters() {
  const [params, setParams] = useSearchParams();
  const [f, setF] = useState(() => Object.fromEntries(AUDIT_FILTERS.map((k) => [k, params.get(k) ?? ''])) as Record<AuditFilter, string>);
  const field = (k: AuditFilter) => ({ label: LABELS[k].label, placeholder: LABELS[k].placeholder, value: f[k] });
  return (
    <form onSubmit={(e) => (e.preventDefault(), setParams(withFilters(f)))}>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }}>
        {AUDIT_FILTERS.map((k) =>
          k === 'action' ? (
            <Autocomplete key={k} {...field(k)} data={ACTIONS} onChange={(v) => setF((o) => ({ ...o, action: v }))} />
          ) : (
            <TextInput key={k} {...field(k)} onChange={(e) => setF((o) => ({ ...o, [k]: e.currentTarget.value }))} />
          ),
        )}
      </SimpleGrid>
      <Group mt="sm">
        <Button type="submit">Filter</Button>
        <Button
          variant="default"
          onClick={() => {
            setF(Object.fromEntries(AUDIT_FILTERS.map((k) => [k, ''])) as Record<AuditFilter, string>);
            setParams(new URLSearchParams());
          }}
        >
          Clear
        </Button>
      </Group>
    </form>
  );
}

function Details({ e }: { e: AuditEntry }) {
  return (
    <Stack gap="xs">
      <Text size="sm" className="mono">
        {e.Method} {e.Path}
      </Text>
      {e.Error && (
        <Text size="sm" c="red">
          {e.Error}
        </Text>
      )}
      {e.Command && <Code>{e.Command.join(' ')}</Code>}
      {e.Object?.ID && (
        <Text size="sm">
          {e.Object.Kind} <span className="mono">{e.Object.ID}</span>
          {e.Object.Node && ` on ${e.Object.Node.Name}`}
        </Text>
      )}
      {(e.Changes ?? []).length > 0 && (
        <Table.ScrollContainer minWidth={480}>
          <Table withTableBorder fz="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Before</Table.Th>
                <Table.Th>After</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {e.Changes!.map((c) => (
                <Table.Tr key={c.Path}>
                  <Table.Td className="mono">{c.Path}</Table.Td>
                  <Table.Td className="mono" style={{ whiteSpace: 'pre-wrap' }}>
                    {shownValue(c.Old)}
                  </Table.Td>
                  <Table.Td className="mono" style={{ whiteSpace: 'pre-wrap' }}>
                    {shownValue(c.New)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

export default function AuditTab() {
  const [params, setParams] = useSearchParams();
  const entries = useAudit(auditQuery(params));
  const [open, setOpen] = useState<string>();
  const page = (before: string | undefined) =>
    setParams((p) => {
      if (before) p.set('before', before);
      else p.delete('before');
      return p;
    });

  return (
    <Stack>
      <Filters key={params.toString()} />
      <Loaded query={entries}>
        {(list) => (
          <>
            {list.length === 0 ? (
              <Text c="dimmed">No entries{params.get('before') ? ' older than these' : ' match'}.</Text>
            ) : (
              <Table.ScrollContainer minWidth={760}>
                <Table highlightOnHover aria-label="Audit entries">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Time</Table.Th>
                      <Table.Th>User</Table.Th>
                      <Table.Th>Source</Table.Th>
                      <Table.Th>Action</Table.Th>
                      <Table.Th>Object</Table.Th>
                      <Table.Th>Result</Table.Th>
                      <Table.Th aria-label="Details" />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {list.map((e) => (
                      <Fragment key={e.ID}>
                        <Table.Tr>
                          <Table.Td>{new Date(e.Time).toLocaleString()}</Table.Td>
                          <Table.Td>
                            {e.User}{' '}
                            <Text span size="xs" c="dimmed">
                              {e.Auth}
                            </Text>
                          </Table.Td>
                          <Table.Td>{e.Source}</Table.Td>
                          <Table.Td className="mono">{e.Action}</Table.Td>
                          <Table.Td>{e.Object ? (e.Object.Name ?? e.Object.ID?.slice(0, 12)) : ''}</Table.Td>
                          <Table.Td>
                            <Badge variant="light" color={e.Status < 300 ? 'green' : e.Status < 500 ? 'orange' : 'red'}>
                              {e.Status}
                            </Badge>
                          </Table.Td>
                          <Table.Td>
                            <Button size="xs" variant="subtle" aria-expanded={open === e.ID} aria-label={`Details of ${e.Action} at ${e.Time}`} onClick={() => setOpen(open === e.ID ? undefined : e.ID)}>
                              Details
                            </Button>
                          </Table.Td>
                        </Table.Tr>
                        {open === e.ID && (
                          <Table.Tr>
                            <Table.Td colSpan={7}>
                              <Details e={e} />
                            </Table.Td>
                          </Table.Tr>
                        )}
                      </Fragment>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            <Group>
              {params.get('before') && (
                <Button variant="default" onClick={() => page(undefined)}>
                  Newest
                </Button>
              )}
              {list.length === PAGE_SIZE && (
                <Button variant="default" onClick={() => page(list[list.length - 1]!.ID)}>
                  Older
                </Button>
              )}
            </Group>
          </>
        )}
      </Loaded>
    </Stack>
  );
}
