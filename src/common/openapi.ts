// The OpenAPI descriptions of Berth's own routes (docs/openapi/), which the manager API and the
// registry serve as they are, so a client reads the description of the listener it talks to.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../types/index.js';
import { packageRoot } from './package-root.js';

export type OpenApiDescription = 'manager' | 'registry-admin';

/** RFC 9512's media type for YAML. */
export const YAML_MEDIA_TYPE = 'application/yaml';

const cache = new Map<OpenApiDescription, string>();

/** openApiDescription reads docs/openapi/NAME.yaml once; a copy of Berth without docs/ gets a 404 that says so. */
export function openApiDescription(name: OpenApiDescription): string {
  let text = cache.get(name);
  if (text === undefined) {
    const root = packageRoot();
    try {
      if (!root) throw new Error('no package root');
      text = readFileSync(join(root.dir, 'docs', 'openapi', `${name}.yaml`), 'utf8');
    } catch {
      throw new NotFoundError(`the OpenAPI description docs/openapi/${name}.yaml is not installed with this copy of Berth`);
    }
    cache.set(name, text);
  }
  return text;
}
