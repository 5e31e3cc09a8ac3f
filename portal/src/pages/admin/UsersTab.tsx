// Users of the directory (`berth user ls|create|update|rm|passwd`): role, enable/disable, reset
// password, remove. One's own account is changed on the account page: the API refuses to let an
// administrator demote, disable or remove themselves, so those are not offered. Search: ?q=.

import { useMemo, useState } from 'react';
import { Badge, Button, Group, Menu, Modal, PasswordInput, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useUrlState } from '../../components/url';
import { useCreateUser, useRemoveUser, useSetPassword, useUpdateUser, useUsers } from '../../api/admin';
import type { ClusterRole, DirectoryUser } from '../../api/admin-types';
import { useWho } from '../../app/who';
import { Confirm } from '../../components/Confirm';
import { Loaded } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { ago } from '../../components/time';
import { Refused } from '../../components/Refused';

// A Select's option needs a value: the API's '' (no cluster role) is this one.
const NONE = 'none';
const roleOf = (v: string | null): ClusterRole => (!v || v === NONE ? '' : (v as ClusterRole));
const ROLE_CHOICES = [
  { value: NONE, label: 'none (teams only)' },
  { value: 'viewer', label: 'viewer' },
  { value: 'operator', label: 'operator' },
  { value: 'admin', label: 'admin' },
];
const PASSWORD_RULE = '8 to 128 characters with upper- and lower-case letters and a digit';

function CreateUser({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const create = useCreateUser();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<string>('viewer');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const close = () => (setName(''), setEmail(''), setRole('viewer'), setPassword(''), setError(undefined), onClose());
  const submit = () =>
    create.mutate(
      { Name: name.trim(), Role: roleOf(role), Password: password, ...(email.trim() && { Email: email.trim() }) },
      { onError: (err) => setError(err.message), onSuccess: (u) => (notifyDone(`user ${u.Name} created`), close()) },
    );
  return (
    <Modal opened={opened} onClose={close} title="Create a user">
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack>
          <Refused message={error} />
          <TextInput label="Name" description="Lower-case letters, digits, '.', '_' or '-'" value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
          <TextInput label="Email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <Select label="Role" data={ROLE_CHOICES} value={role} onChange={(v) => setRole(v ?? NONE)} allowDeselect={false} />
          <PasswordInput label="Password" description={PASSWORD_RULE} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required />
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

function ResetPassword({ user, onClose }: { user: DirectoryUser | undefined; onClose: () => void }) {
  const reset = useSetPassword();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const close = () => (setPassword(''), setError(undefined), onClose());
  return (
    <Modal opened={!!user} onClose={close} title={`New password for ${user?.Name ?? ''}`}>
      <form onSubmit={(e) => (e.preventDefault(), reset.mutate({ name: user!.Name, Password: password }, { onError: (err) => setError(err.message), onSuccess: () => (notifyDone(`${user!.Name}'s password was reset`), close()) }))}>
        <Stack>
          <Refused message={error} />
          <PasswordInput label="New password" description={PASSWORD_RULE} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required data-autofocus />
          <Group justify="end">
            <Button type="submit" loading={reset.isPending}>
              Set password
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export default function UsersTab() {
  const users = useUsers();
  const update = useUpdateUser();
  const remove = useRemoveUser();
  const who = useWho();
  const [params, set] = useUrlState();
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<DirectoryUser>();
  const [removing, setRemoving] = useState<DirectoryUser>();
  const q = params.get('q') ?? '';
  const shown = useMemo(() => (users.data ?? []).filter((u) => !q || u.Name.includes(q) || u.Email.includes(q)), [users.data, q]);
  const change = (u: DirectoryUser, c: { Role?: ClusterRole; Disabled?: boolean }, done: string) => update.mutate({ name: u.Name, ...c }, { onError: notifyError, onSuccess: () => notifyDone(done) });

  return (
    <Stack>
      <Group justify="space-between">
        <TextInput aria-label="Search users" placeholder="Name or email" value={q} onChange={(e) => set('q', e.currentTarget.value)} w={260} />
        <Button onClick={() => setCreating(true)}>Create user</Button>
      </Group>
      <Loaded query={users}>
        {() => (
          <Table.ScrollContainer minWidth={720}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Sign-in</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th aria-label="Actions" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {shown.map((u) => {
                  const me = u.Name === who.User;
                  return (
                    <Table.Tr key={u.ID}>
                      <Table.Td>{u.Name}</Table.Td>
                      <Table.Td>{u.Email}</Table.Td>
                      <Table.Td>
                        {me ? (
                          u.Role || 'none'
                        ) : (
                          <Select aria-label={`Role of ${u.Name}`} size="xs" w={170} data={ROLE_CHOICES} value={u.Role || NONE} allowDeselect={false} onChange={(v) => change(u, { Role: roleOf(v) }, `${u.Name} is now ${roleOf(v) || 'without a cluster role'}`)} />
                        )}
                      </Table.Td>
                      <Table.Td>{u.Source === 'oidc' ? 'single sign-on' : 'password'}</Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={u.Disabled ? 'gray' : 'green'}>
                          {u.Disabled ? 'disabled' : 'active'}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{ago(u.CreatedAt)}</Table.Td>
                      <Table.Td>
                        {!me && (
                          <Menu position="bottom-end">
                            <Menu.Target>
                              <Button size="xs" variant="default" aria-label={`More actions for ${u.Name}`}>
                                More
                              </Button>
                            </Menu.Target>
                            <Menu.Dropdown>
                              <Menu.Item onClick={() => change(u, { Disabled: !u.Disabled }, `${u.Name} ${u.Disabled ? 'enabled' : 'disabled'}`)}>{u.Disabled ? 'Enable' : 'Disable (stops their sessions, tokens and certificates)'}</Menu.Item>
                              {u.Source === 'local' && <Menu.Item onClick={() => setResetting(u)}>Reset password</Menu.Item>}
                              <Menu.Divider />
                              <Menu.Item color="red" onClick={() => setRemoving(u)}>
                                Remove
                              </Menu.Item>
                            </Menu.Dropdown>
                          </Menu>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Loaded>
      {shown.length === 0 && users.data && <Text c="dimmed">No user matches.</Text>}
      <CreateUser opened={creating} onClose={() => setCreating(false)} />
      <ResetPassword user={resetting} onClose={() => setResetting(undefined)} />
      <Confirm
        title={`Remove user ${removing?.Name ?? ''}?`}
        opened={!!removing}
        busy={remove.isPending}
        confirmLabel="Remove"
        onClose={() => setRemoving(undefined)}
        onConfirm={() => remove.mutate(removing!.Name, { onError: notifyError, onSuccess: () => (notifyDone(`user ${removing!.Name} removed`), setRemoving(undefined)) })}
      >
        <Text>Their tokens and team memberships go with them and their certificates are revoked: a later user of that name inherits nothing.</Text>
      </Confirm>
    </Stack>
  );
}
