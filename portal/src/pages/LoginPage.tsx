// Sign in with a directory user's password (POST /berth/v1/login), or through the cluster's
// OIDC provider when one is set: the provider sends the browser back to /ui/ with the session in
// the URL's fragment (never sent to a server), which this page keeps and clears from the address.

import { useEffect, useState } from 'react';
import { Alert, Button, Center, Divider, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useNavigate, useSearchParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { saveSession, type StoredSession } from '../api/session';

/** Only a path of the portal: a `next` that leaves it would make the login an open redirect. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));
  const oidc = useQuery({
    queryKey: ['oidc-available'],
    // The login route answers a redirect when a provider is set, 404 when none is.
    queryFn: async () => (await fetch('/berth/v1/oidc/login', { redirect: 'manual' })).type === 'opaqueredirect',
    staleTime: Infinity,
  });

  const signedIn = (s: StoredSession) => {
    queries.clear();
    saveSession(s);
    void navigate(next, { replace: true });
  };

  useEffect(() => {
    const fromProvider = new URLSearchParams(window.location.hash.slice(1)).get('session');
    if (!fromProvider) return;
    history.replaceState(null, '', window.location.pathname + window.location.search);
    try {
      signedIn(JSON.parse(atob(fromProvider.replace(/-/g, '+').replace(/_/g, '/'))) as StoredSession);
    } catch {
      setError('the single sign-on answer could not be read: try again');
    }
  }, []);

  const submit = async (form: FormData) => {
    setBusy(true);
    setError(undefined);
    try {
      signedIn(await api.post<StoredSession>('/berth/v1/login', { Username: form.get('username'), Password: form.get('password') }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={360} maw="100%" component="main">
        <form action={submit}>
          <Stack>
            <Title order={1} size="h2">
              Sign in to Berth
            </Title>
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <TextInput name="username" label="User name" autoComplete="username" required autoFocus />
            <PasswordInput name="password" label="Password" autoComplete="current-password" required />
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
            {oidc.data && (
              <>
                <Divider label="or" />
                <Button component="a" variant="default" href={`/berth/v1/oidc/login?next=${encodeURIComponent(next)}`}>
                  Sign in with single sign-on
                </Button>
              </>
            )}
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
