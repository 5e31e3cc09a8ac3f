import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { diagnose, type Validate } from './diagnose';

// The portal compiles the same schema ahead of time (portal/compose-schema.ts); node may compile it at run time.
const { $schema: _draft, ...schema } = JSON.parse(readFileSync(new URL('../../../../src/stacks/compose/compose-spec.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(schema) as unknown as Validate;

test('a valid file has no marks; an empty editor neither', () => {
  assert.deepEqual(diagnose('services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 2\n', validate), []);
  assert.deepEqual(diagnose('', validate), []);
});

test('schema errors are marked on their line with the field path', () => {
  const text = 'services:\n  web:\n    image: nginx\n    deploy:\n      replicas: [2]\n    bogus: 1\n';
  const marks = diagnose(text, validate);
  assert.deepEqual(
    marks.map((d) => [d.line, d.message]),
    [
      [5, 'services.web.deploy.replicas: must be an integer or a string'],
      [6, 'services.web.bogus: is not allowed here (the Compose Specification has no such key)'],
    ],
  );
  assert.equal(text.slice(marks[1]!.from, marks[1]!.to), 'bogus', 'an unknown key is marked itself');
});

test('YAML errors come first, with their line', () => {
  const [mark] = diagnose('services:\n  web:\n    image: nginx\n   ports: [1\n', validate);
  assert.ok(mark && mark.line >= 4, JSON.stringify(mark));
});
