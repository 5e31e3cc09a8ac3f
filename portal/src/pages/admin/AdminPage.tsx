// Administration, for administrators only (the navigation offers it to no one else): each tab is
// a URL (/admin/users, /admin/teams, /admin/audit, /admin/settings, /admin/oidc) and loads when
// opened.

import { lazy, Suspense } from 'react';
import { Alert, Loader, Tabs } from '@mantine/core';
import { useNavigate, useParams } from 'react-router';
import { useCan } from '../../app/who';
import { Page } from '../../components/Page';

const TABS = [
  { value: 'users', label: 'Users', Panel: lazy(() => import('./UsersTab')) },
  { value: 'teams', label: 'Teams', Panel: lazy(() => import('./TeamsTab')) },
  { value: 'audit', label: 'Audit log', Panel: lazy(() => import('./AuditTab')) },
  { value: 'settings', label: 'Cluster settings', Panel: lazy(() => import('./SettingsTab')) },
  { value: 'oidc', label: 'Single sign-on', Panel: lazy(() => import('./OidcTab')) },
];

export default function AdminPage() {
  const { tab = 'users' } = useParams();
  const navigate = useNavigate();
  const admin = useCan('administer');
  if (!admin)
    return (
      <Page title="Administration">
        <Alert color="yellow" role="alert">
          Administration takes the admin role: an administrator grants it (berth user update --role admin).
        </Alert>
      </Page>
    );
  return (
    <Page title="Administration">
      <Tabs value={tab} onChange={(v) => v && void navigate(`/admin/${v}`)} keepMounted={false}>
        <Tabs.List>
          {TABS.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {TABS.map(({ value, Panel }) => (
          <Tabs.Panel key={value} value={value} pt="md">
            <Suspense fallback={<Loader aria-label="Loading" />}>
              <Panel />
            </Suspense>
          </Tabs.Panel>
        ))}
      </Tabs>
      {!TABS.some((t) => t.value === tab) && (
        <Alert color="yellow" role="alert">
          No such page: pick one of the tabs.
        </Alert>
      )}
    </Page>
  );
}
