// One's own account: password (`berth user passwd`), personal access tokens and sessions (`berth
// token create|ls|revoke`; a new token is shown once, with a copy button), and one's teams. An
// administrator's token list holds everyone's (?user= narrows it, ?kind=session shows sessions).

import { useMemo, useState } from 'react';
import { Alert, Badge, Button, Card, Group, Modal, PasswordInput, SegmentedControl, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useUrlState } from '../../components/url';
import { useCreateToken, useRevokeToken, useSetPassword, useTokens } from '../../api/admin';
import type { ApiToken, ClusterRole } from '../../api/admin-types';
import { currentSession } from '../../api/session';
import { useCan, useWho } from '../../app/who';
import { Confirm, ShownOnce } from '../../components/Confirm';
import { Loaded, Page } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago } from '../../components/time';
import { Refused } from '../../components/Refused';

const ROLES: ClusterRole[] = ['viewer', 'operator', 'admin'];

function PasswordCard() {
  const who = useWho();
  const change = useSetPassword();
  const [old, setOld] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string>();
  const submit = () => {
    setError(undefined);
    if (next !== again) return setError('The new password and its repetition differ.');
    change.mutate(
      { name: who.User, Password: next, OldPassword: old },
      { onError: (err) => setError(err.message), onSuccess: () => (setOld(''), setNext(''), setAgain(''), notifyDone('Your password was changed')) },
    );
  };
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Password
      </Title>
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack maw={420}>
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <PasswordInput label="Current password" autoComplete="current-password" value={old} onChange={(e) => setOld(e.currentTarget.value)} required />
          <PasswordInput label="New password" description="8 to 128 characters with upper- and lower-case letters and a digit" autoComplete="new-password" value={next} onChange={(e) => setNext(e.currentTarget.value)} required />
          <PasswordInput label="Repeat the new password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.currentTarget.value)} required />
          <Group>
            <Button type="submit" loading={change.isPending}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function CreateToken({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (secret: string) => void }) {
  const who = useWho();
  const create = useCreateToken();
  const [name, setName] = useState('');
  const [role, setRole] = useState<string | null>(null);
  const [expires, setExpires] = useState('720h');
  const [error, setError] = useState<string>();
  // A token is never more than its user: offer only roles up to one's own.
  const roles = ROLES.slice(0, ROLES.indexOf(who.Role) + 1);
  const close = () => (setName(''), setRole(null), setExpires('720h'), setError(undefined), onClose());
  const submit = () =>
    create.mutate(
      { Name: name.trim(), ExpiresIn: expires.trim(), ...(role && { Role: role as ClusterRole }) },
      { onError: (err) => setError(err.message), onSuccess: (t) => (close(), onCreated(t.Token)) },
    );
  return (
    <Modal opened={opened} onClose={close} title="Create a token">
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack>
          <Refused message={error} />
          <TextInput label="Name" placeholder="ci-deploy" value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
          {roles.length > 0 && <Select label="Role" description="At most your own" placeholder={`as yours (${who.Role})`} data={roles} value={role} onChange={setRole} clearable />}
          <TextInput label="Expires in" description="A duration, at most 8784h (a year)" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} required />
          <Group justify="end">
            <Button type="submit" loading={create.isPending}>
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function TokensCard() {
  const tokens = useTokens();
  const revoke = useRevokeToken();
  const admin = useCan('administer');
  const [params, set] = useUrlState();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const [revoking, setRevoking] = useState<ApiToken>();
  const kind = params.get('kind') === 'session' ? 'session' : 'token';
  const user = params.get('user') ?? '';
  // The session this page runs on: revoking it is logging out.
  const mine = /^berth_([0-9a-z]+)_/.exec(currentSession()?.Token ?? '')?.[1];
  const shown = useMemo(() => (tokens.data ?? []).filter((t) => t.Kind === kind && (!user || t.User === user)), [tokens.data, kind, user]);

  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {admin ? 'Tokens and sessions of every user' : 'Your tokens and sessions'}
        </Title>
        <Button onClick={() => setCreating(true)}>Create token</Button>
      </Group>
      <Group mb="sm">
        <SegmentedControl
          aria-label="Kind"
          value={kind}
          onChange={(v) => set('kind', v === 'session' ? v : '')}
          data={[
            { value: 'token', label: 'Tokens' },
            { value: 'session', label: 'Sessions' },
          ]}
        />
        {admin && <TextInput aria-label="Only this user's" placeholder="User" value={user} onChange={(e) => set('user', e.currentTarget.value)} w={200} />}
      </Group>
      <Loaded query={tokens}>
        {() =>
          shown.length === 0 ? (
            <Text c="dimmed">None.</Text>
          ) : (
            <Table.ScrollContainer minWidth={560}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    {admin && <Table.Th>User</Table.Th>}
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th aria-label="Actions" />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {shown.map((t) => (
                    <Table.Tr key={t.ID}>
                      <Table.Td>
                        {t.Name}{' '}
                        {t.ID === mine && (
                          <Badge size="xs" variant="outline">
                            this session
                          </Badge>
                        )}
                      </Table.Td>
                      {admin && <Table.Td>{t.User}</Table.Td>}
                      <Table.Td>{t.Role || 'as its user'}</Table.Td>
                      <Table.Td>{ago(t.CreatedAt)}</Table.Td>
                      <Table.Td>{t.ExpiresAt ? ago(t.ExpiresAt) : 'never'}</Table.Td>
                      <Table.Td>
                        {t.ID !== mine && (
                          <Button size="xs" variant="subtle" color="red" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.Kind} ${t.Name} of ${t.User}`}>
                            Revoke
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </Loaded>
      <CreateToken opened={creating} onClose={() => setCreating(false)} onCreated={setSecret} />
      <ShownOnce
        title="Your new token"
        value={secret}
        onClose={() => setSecret(undefined)}
        warning={
          <>
            Copy it now: it is not shown again. Send it as <span className="mono">Authorization: Bearer TOKEN</span> (the docker CLI: <span className="mono">HttpHeaders</span> in its config.json).
          </>
        }
      />
      <Confirm
        title={`Revoke ${revoking?.Kind ?? ''} ${revoking?.Name ?? ''}?`}
        opened={!!revoking}
        busy={revoke.isPending}
        confirmLabel="Revoke"
        onClose={() => setRevoking(undefined)}
        onConfirm={() => revoke.mutate(revoking!.ID, { onError: notifyError, onSuccess: () => (notifyDone(`${revoking!.Name} revoked`), setRevoking(undefined)) })}
      >
        <Text>Its next request fails. This cannot be undone: make a new one if it is still needed.</Text>
      </Confirm>
    </Card>
  );
}

function TeamsCard() {
  const who = useWho();
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Your teams
      </Title>
      {who.Teams.length === 0 ? (
        <Text c="dimmed">You are in no team.</Text>
      ) : (
        <Table.ScrollContainer minWidth={360}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Team</Table.Th>
                <Table.Th>Your role</Table.Th>
                <Table.Th>Stacks</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {who.Teams.map((t) => (
                <Table.Tr key={t.Team}>
                  <Table.Td>{t.Team}</Table.Td>
                  <Table.Td>{t.Role}</Table.Td>
                  <Table.Td>{t.Stacks.join(', ')}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

export default function AccountPage() {
  const who = useWho();
  return (
    <Page title={`Your account: ${who.User}`}>
      <Text c="dimmed">
        Role {who.Role || 'none (you act through your teams)'}, signed in with a {who.Auth}.
      </Text>
      <PasswordCard />
      <TokensCard />
      <TeamsCard />
    </Page>
  );
}
