// Single sign-on through an OpenID Connect provider (`berth oidc set|show|rm`): the issuer, the
// client (its secret write-only: the API never returns it), scopes and claims; removing it ends
// its sessions.

import { useState } from 'react';
import { Button, Card, Code, Group, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useOidc, useRemoveOidc, useSaveOidc } from '../../api/admin';
import type { OidcSettings } from '../../api/admin-types';
import { Confirm } from '../../components/Confirm';
import { Loaded } from '../../components/Page';
import { notifyDone, notifyError } from '../../components/notify';
import { Refused } from '../../components/Refused';

const CALLBACK = '/berth/v1/oidc/callback';
const DEFAULTS = { Issuer: '', ClientId: '', Scopes: 'openid profile email groups', GroupsClaim: 'groups', UsernameClaim: 'preferred_username' };

function OidcForm({ current }: { current: OidcSettings | null }) {
  const save = useSaveOidc();
  const remove = useRemoveOidc();
  const [f, setF] = useState({ ...DEFAULTS, ...current });
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();
  const [removing, setRemoving] = useState(false);
  const text = (k: keyof typeof DEFAULTS) => ({ value: f[k], onChange: (e: { currentTarget: { value: string } }) => setF((o) => ({ ...o, [k]: e.currentTarget.value })) });
  const submit = () => {
    setError(undefined);
    const body = { Issuer: f.Issuer.trim(), ClientId: f.ClientId.trim(), Scopes: f.Scopes.trim(), GroupsClaim: f.GroupsClaim.trim(), UsernameClaim: f.UsernameClaim.trim(), ...(secret && { ClientSecret: secret }) };
    save.mutate(body, { onError: (err) => setError(err.message), onSuccess: () => (setSecret(''), notifyDone('Single sign-on saved: the provider answered')) });
  };
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          OpenID Connect provider
        </Title>
        {current && (
          <Button variant="subtle" color="red" onClick={() => setRemoving(true)}>
            Remove
          </Button>
        )}
      </Group>
      <form onSubmit={(e) => (e.preventDefault(), submit())}>
        <Stack>
          {!current && <Text c="dimmed">Not set: users sign in with their passwords only.</Text>}
          <Refused message={error} />
          <Text size="sm">
            Register this redirect URI with the provider (authorization code, refresh token and device code grants): <Code>{window.location.origin + (current?.RedirectPath ?? CALLBACK)}</Code>
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Issuer" description="https (http only on loopback); its discovery is checked on save" placeholder="https://sso.example.com/realms/main" required {...text('Issuer')} />
            <TextInput label="Client ID" required {...text('ClientId')} />
            <PasswordInput
              label="Client secret"
              description={current ? 'Write-only: leave empty to keep the current one (required when the issuer changes)' : 'Write-only: never shown again'}
              autoComplete="off"
              value={secret}
              onChange={(e) => setSecret(e.currentTarget.value)}
              required={!current}
            />
            <TextInput label="Scopes" description="Space-separated, with openid" {...text('Scopes')} />
            <TextInput label="Groups claim" description="Its groups give team roles" {...text('GroupsClaim')} />
            <TextInput label="Username claim" description="Names new users (else their email)" {...text('UsernameClaim')} />
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
      <Confirm
        title="Remove single sign-on?"
        opened={removing}
        busy={remove.isPending}
        confirmLabel="Remove"
        onClose={() => setRemoving(false)}
        onConfirm={() => remove.mutate(undefined, { onError: notifyError, onSuccess: () => (setRemoving(false), notifyDone('Single sign-on removed')) })}
      >
        <Text>Its sessions end now. Its users stay (remove them on the Users tab); they cannot sign in until it is set again.</Text>
      </Confirm>
    </Card>
  );
}

export default function OidcTab() {
  const oidc = useOidc();
  // Keyed by what is stored: after a save or removal the form starts from it.
  return <Loaded query={oidc}>{(current) => <OidcForm key={JSON.stringify(current)} current={current} />}</Loaded>;
}
