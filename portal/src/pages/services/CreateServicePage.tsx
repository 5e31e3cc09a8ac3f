import { useNavigate } from 'react-router';
import { useCreateService } from '../../api/mutations';
import { Page } from '../../components/Page';
import { notifyDone } from '../../components/notify';
import { EMPTY } from './form/spec';
import { ServiceFormView } from './form/ServiceFormView';

export default function CreateServicePage() {
  const create = useCreateService();
  const navigate = useNavigate();
  return (
    <Page title="Create a service">
      <ServiceFormView
        initial={EMPTY}
        submitLabel="Create"
        onSubmit={async (spec) => {
          const { ID } = await create.mutateAsync(spec);
          notifyDone(`${spec.Name || 'the service'} created`);
          void navigate(`/services/${ID}`);
        }}
      />
    </Page>
  );
}
