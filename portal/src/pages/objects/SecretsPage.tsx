import { DataObjectsPage } from './DataObjectsPage';

export default function SecretsPage() {
  return <DataObjectsPage kind="secret" />;
}
