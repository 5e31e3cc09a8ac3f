// The Engine routes' writes as a stack applies them (src/stacks' StackEngine): the same
// validation, reference and port checks, network allocation and secret rules as
// POST /services/create and the others, inside the stack's one transaction.

import type { ReadTx, Tx } from '../store/index.js';
import type { Config, ConfigSpec, Secret, SecretSpec, Service, ServiceSpec } from '../types/index.js';
import { addNetwork, removeNetwork } from './routes/networks.js';
import { addDataObject, removeDataObject } from './routes/secrets.js';
import { createService, nextService, removeService } from './routes/services.js';
import { serviceStatus } from './services/service-status.js';
import { CONFIG_KIND, SECRET_KIND, labelsOnlyUpdate, validateConfigSpec, validateSecretSpec } from './validate/validate-data-object.js';
import { validateNetworkCreate } from './validate/validate-network.js';
import { validateServiceSpec } from './validate/validate-service.js';

export const stackEngine = {
  validateService: validateServiceSpec,
  createService: (tx: Tx, spec: ServiceSpec): Service => createService(tx, spec, undefined),
  // A stack carries the service's pull login over from its current spec, as an update without X-Registry-Auth does.
  nextService: (tx: Tx, current: Service, spec: ServiceSpec): Service => nextService(tx, current, spec, undefined, current.Spec),
  removeService: (tx: Tx, service: Service): void => removeService(tx, service.ID),
  serviceStatus: (tx: ReadTx, service: Service) => serviceStatus(service, tx.tasks.byService(service.ID), (id) => tx.nodes.get(id)),
  validateNetwork: validateNetworkCreate,
  createNetwork: addNetwork,
  removeNetwork,
  validateSecret: validateSecretSpec,
  validateConfig: validateConfigSpec,
  labelsOnly: <S extends SecretSpec | ConfigSpec>(kind: 'secret' | 'config', current: S, requested: S): S => labelsOnlyUpdate(kind === 'secret' ? SECRET_KIND : CONFIG_KIND, current, requested),
  createSecret: (tx: Tx, spec: SecretSpec): Secret => addDataObject(tx.secrets, spec),
  createConfig: (tx: Tx, spec: ConfigSpec): Config => addDataObject(tx.configs, spec),
  removeSecret: (tx: Tx, secret: Secret): void => removeDataObject(tx, tx.secrets, 'secret', secret),
  removeConfig: (tx: Tx, config: Config): void => removeDataObject(tx, tx.configs, 'config', config),
};
