// The frame of every signed-in page: header, navigation (a drawer on a phone), the live event
// stream, and the signed-in user (whoami), which pages read to offer only what the user may do.

import { useEffect, useSyncExternalStore } from 'react';
import { AppShell, Burger, Group, Menu, NavLink, ScrollArea, Text, UnstyledButton, Loader, Center } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { keys } from '../api/keys';
import { currentSession, onSessionChange, saveSession } from '../api/session';
import type { Whoami } from '../api/types';
import { can } from '../api/access';
import { events } from './queries';
import { WhoContext } from './who';

interface Section {
  to: string;
  label: string;
  admin?: boolean;
}

const SECTIONS: Section[] = [
  { to: '/', label: 'Dashboard' },
  { to: '/nodes', label: 'Nodes' },
  { to: '/services', label: 'Services' },
  { to: '/stacks', label: 'Stacks' },
  { to: '/logs', label: 'Logs' },
  { to: '/containers', label: 'Containers' },
  { to: '/secrets', label: 'Secrets' },
  { to: '/configs', label: 'Configs' },
  { to: '/networks', label: 'Networks' },
  { to: '/registry', label: 'Registry' },
  { to: '/admin', label: 'Administration', admin: true },
];

function useSession() {
  return useSyncExternalStore(onSessionChange, currentSession);
}

export function Shell() {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const [opened, { toggle, close }] = useDisclosure();
  const who = useQuery({ queryKey: keys.whoami(), queryFn: () => api.get<Whoami>('/berth/v1/whoami'), enabled: !!session, staleTime: Infinity });

  useEffect(() => {
    if (!session) return;
    events.start();
    return () => events.stop();
  }, [session?.Token]);
  useEffect(close, [location.pathname]);

  if (!session) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!who.data) return <Center h="100vh">{who.error ? <Text c="red">{who.error.message}</Text> : <Loader aria-label="Loading" />}</Center>;

  const logout = async () => {
    await api.post('/berth/v1/logout').catch(() => undefined);
    saveSession(undefined);
    void navigate('/login');
  };
  const active = (to: string) => (to === '/' ? location.pathname === '/' : location.pathname.startsWith(to));

  return (
    <WhoContext.Provider value={who.data}>
      <AppShell header={{ height: 52 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Group gap="sm">
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Navigation" />
              <Text component={Link} to="/" fw={700} size="lg">
                Berth
              </Text>
            </Group>
            <Menu position="bottom-end">
              <Menu.Target>
                <UnstyledButton aria-label={`Signed in as ${who.data.User}`}>
                  <Text size="sm">
                    {who.data.User} <Text span c="dimmed">({who.data.Role || 'team member'})</Text>
                  </Text>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item component={Link} to="/account">
                  Account and tokens
                </Menu.Item>
                <Menu.Item onClick={() => void logout()}>Log out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs" aria-label="Sections">
          <ScrollArea>
            {SECTIONS.filter((s) => !s.admin || can(who.data, 'administer')).map((s) => (
              <NavLink key={s.to} component={Link} to={s.to} label={s.label} active={active(s.to)} />
            ))}
          </ScrollArea>
        </AppShell.Navbar>
        <AppShell.Main>
          <Outlet />
        </AppShell.Main>
      </AppShell>
    </WhoContext.Provider>
  );
}
