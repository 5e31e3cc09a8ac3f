// A compose file to the objects of a stack, as `docker stack deploy` makes them (docker/cli
// stack/loader and compose/convert): read, forbidden keys refused, interpolated with the deploy's
// variables, checked against the Compose Specification, then converted. Networks are those the
// services use (STACK_default for a service without any); every secret and config the file
// declares is the stack's, unless external.

import type { ConfigSpec, SecretSpec, ServiceSpec } from '../../types/index.js';
import { isObj } from '../../common/is-object.js';
import { interpolate, type Variables } from './interpolate.js';
import { checkForbidden, checkStackKeys } from './rules.js';
import { checkSchema } from './schema.js';
import { convertService, isExternal, objectName, withStackLabel, type StackFile } from './service.js';
import { parseCompose, type Dict } from './source.js';
import { clean, dict, fail, labels, str } from './values.js';

/** A network to create if the stack does not have it yet, as a POST /networks/create body. */
export interface NetworkCreate {
  Name: string;
  Driver?: string;
  Options?: Record<string, string>;
  Internal?: boolean;
  Attachable?: boolean;
  Labels: Record<string, string>;
  IPAM?: { Driver?: string; Config?: { Subnet: string }[] };
}

export interface StackObjects {
  networks: NetworkCreate[];
  /** Networks declared external: they must exist. */
  externalNetworks: string[];
  secrets: SecretSpec[];
  configs: ConfigSpec[];
  services: ServiceSpec[];
  /** What the docker CLI would print about keys it ignores. */
  warnings: string[];
}

export function convertCompose(namespace: string, text: string, vars: Variables): StackObjects {
  const source = parseCompose(text);
  checkForbidden(source.dict);
  const file = interpolate(source.dict, vars) as Dict;
  checkSchema(file, source);
  const warnings = checkStackKeys(file);
  const f: StackFile = { namespace, networks: dict(file.networks), volumes: dict(file.volumes), secrets: dict(file.secrets), configs: dict(file.configs), vars };
  const services: ServiceSpec[] = [];
  const used = new Set<string>();
  for (const [name, s] of Object.entries(dict(file.services))) {
    const { spec, networks } = convertService(f, name, dict(s));
    services.push(spec);
    for (const n of networks) used.add(n);
  }
  const networks: NetworkCreate[] = [];
  const externalNetworks: string[] = [];
  for (const key of [...used].sort()) {
    const n = dict(f.networks[key]);
    const at = ['networks', key];
    const name = objectName(f, 'networks', key);
    if (isExternal(n.external, [...at, 'external'])) {
      externalNetworks.push(name);
      continue;
    }
    const ipam = dict(n.ipam);
    const subnets = Array.isArray(ipam.config) ? ipam.config.map((c, i) => ({ Subnet: str(dict(c).subnet, [...at, 'ipam', 'config', i, 'subnet']) ?? fail([...at, 'ipam', 'config', i], 'subnet is required') })) : [];
    networks.push(
      clean({
        Name: name,
        Driver: str(n.driver, [...at, 'driver']),
        Options: n.driver_opts === undefined ? undefined : labels(n.driver_opts, [...at, 'driver_opts']),
        Internal: n.internal === undefined ? undefined : n.internal === true,
        Attachable: n.attachable === undefined ? undefined : n.attachable === true,
        Labels: withStackLabel(f, labels(n.labels, [...at, 'labels'])),
        IPAM: ipam.driver === undefined && subnets.length === 0 ? undefined : clean({ Driver: str(ipam.driver, [...at, 'ipam', 'driver']), Config: subnets.length ? subnets : undefined }),
      }),
    );
  }
  return { networks, externalNetworks, secrets: dataObjects(f, 'secrets'), configs: dataObjects(f, 'configs'), services, warnings };
}

/** The file's own secrets or configs, their data from content (configs) or a deploy variable (environment). */
function dataObjects(f: StackFile, kind: 'secrets' | 'configs'): (SecretSpec & ConfigSpec)[] {
  const out: (SecretSpec & ConfigSpec)[] = [];
  for (const [key, value] of Object.entries(f[kind])) {
    const at = [kind, key];
    const o = isObj(value) ? value : {};
    if (isExternal(o.external, [...at, 'external'])) continue;
    const env = str(o.environment, [...at, 'environment']);
    const content = str(o.content, [...at, 'content']);
    let data: string;
    if (content !== undefined) data = content;
    else if (env !== undefined) data = Object.hasOwn(f.vars, env) ? f.vars[env]! : fail([...at, 'environment'], `variable ${env} is not set: send it in Env`);
    else fail(at, `give its value in ${kind === 'configs' ? 'content or ' : ''}environment (a variable sent in Env), or declare it external: true`);
    const template = str(o.template_driver, [...at, 'template_driver']);
    const driver = str(o.driver, [...at, 'driver']);
    out.push(
      clean({
        Name: objectName(f, kind, key),
        Labels: withStackLabel(f, labels(o.labels, [...at, 'labels'])),
        Data: Buffer.from(data, 'utf8').toString('base64'),
        Templating: template === undefined ? undefined : { Name: template },
        Driver: driver === undefined ? undefined : { Name: driver },
      }),
    );
  }
  return out;
}
