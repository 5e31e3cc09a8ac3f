// A Vite plugin: `virtual:compose-schema` is the Compose Specification's schema (the server's
// copy, src/stacks/compose/compose-spec.json) compiled ahead of time by ajv into plain code. The
// editor validates as you type under the portal's CSP, which allows no eval (ajv compiles with
// new Function), and ajv's compiler stays out of the browser: only its small runtime helpers ship.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import type { Plugin } from 'vite';

const ID = 'virtual:compose-schema';
const SCHEMA = fileURLToPath(new URL('../src/stacks/compose/compose-spec.json', import.meta.url));

export function composeSchema(): Plugin {
  return {
    name: 'berth-compose-schema',
    resolveId: (id) => (id === ID ? `\0${ID}` : undefined),
    load(id) {
      if (id !== `\0${ID}`) return undefined;
      this.addWatchFile(SCHEMA);
      const { $schema: _draft, ...schema } = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
      // The server's options (src/stacks/compose/schema.ts): the same errors in both places.
      const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { source: true, esm: true } });
      return standaloneCode(ajv, ajv.compile(schema));
    },
  };
}
