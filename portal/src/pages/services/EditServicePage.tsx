import { useNavigate, useParams } from 'react-router';
import { useUpdateService } from '../../api/mutations';
import { useService } from '../../api/queries';
import { Loaded, Page } from '../../components/Page';
import { notifyDone } from '../../components/notify';
import { fromSpec } from './form/spec';
import { ServiceFormView } from './form/ServiceFormView';

export default function EditServicePage() {
  const { id = '' } = useParams();
  // The spec as stored, not with defaults filled in: an update sends back only what was set.
  const service = useService(id, false);
  const update = useUpdateService();
  const navigate = useNavigate();
  return (
    <Loaded query={service}>
      {(s) => (
        <Page title={`Update ${s.Spec.Name}`}>
          <ServiceFormView
            initial={fromSpec(s.Spec)}
            base={s.Spec}
            editing
            submitLabel="Update"
            onSubmit={async (spec) => {
              await update.mutateAsync({ service: s, spec });
              notifyDone(`${s.Spec.Name} is updating`);
              void navigate(`/services/${s.ID}`);
            }}
          />
        </Page>
      )}
    </Loaded>
  );
}
