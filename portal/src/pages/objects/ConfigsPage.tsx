import { DataObjectsPage } from './DataObjectsPage';

export default function ConfigsPage() {
  return <DataObjectsPage kind="config" />;
}
