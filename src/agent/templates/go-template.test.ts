import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemplateError, TemplateStruct, renderTemplate, type TemplateFunctions } from './go-template.js';

const data = new TemplateStruct([
  ['Service', new TemplateStruct([['ID', 'svc1'], ['Name', 'web'], ['Labels', new Map([['tier', 'front'], ['app', 'shop']])]])],
  ['Node', new TemplateStruct([['ID', 'node1'], ['Hostname', 'h1'], ['Platform', new TemplateStruct([['Architecture', 'x86_64'], ['OS', 'linux']])]])],
  ['Task', new TemplateStruct([['ID', 'task1'], ['Name', 'web.2.task1'], ['Slot', '2']])],
]);

const funcs: TemplateFunctions = {
  env: { min: 1, max: 1, call: ([n]) => ({ HOME: '/root', EMPTY: '' })[n as string] ?? '' },
  secret: {
    min: 1,
    max: 1,
    call: ([t]) => {
      if (t === 'db') return 'hunter2';
      throw new Error(`secret target ${String(t)} not found`);
    },
  },
};

const render = (src: string): string => renderTemplate(src, data, funcs);

function fails(src: string, line: number, reason: string | RegExp): void {
  assert.throws(
    () => render(src),
    (err: unknown) => {
      assert.ok(err instanceof TemplateError, `expected TemplateError, got ${String(err)}`);
      assert.equal(err.line, line, `line of ${JSON.stringify(src)}: ${err.message}`);
      if (typeof reason === 'string') assert.equal(err.reason, reason);
      else assert.match(err.reason, reason);
      assert.equal(err.message, `line ${err.line}: ${err.reason}`);
      return true;
    },
  );
}

test('fields, map keys and Go printing of maps and structs', () => {
  assert.equal(render('plain text, no actions\n'), 'plain text, no actions\n');
  assert.equal(render('{{.Service.Name}}-{{.Task.Slot}}@{{.Node.Hostname}}'), 'web-2@h1');
  assert.equal(render('{{ .Node.Platform.OS }}/{{.Node.Platform.Architecture}}'), 'linux/x86_64');
  assert.equal(render('{{.Service.Labels.tier}}'), 'front');
  assert.equal(render('{{.Service.Labels}}'), 'map[app:shop tier:front]', 'keys sorted, as Go prints maps');
  assert.equal(render('{{.Node.Platform}}'), '{x86_64 linux}');
  assert.equal(render('{{.Task.ID}} {{.Task.Name}} {{.Service.ID}} {{.Node.ID}}'), 'task1 web.2.task1 svc1 node1');
  assert.equal(render('{{"a\\tb\\x41\\u00e9\\101"}}|{{`raw\\n`}}|{{42}}|{{true}}|{{\'a\'}}'), 'a\tbAéA|raw\\n|42|true|97');
});

test('functions, arguments, pipelines and parentheses', () => {
  assert.equal(render('{{env "HOME"}}|{{env "MISSING"}}|{{env "EMPTY"}}'), '/root||');
  assert.equal(render('{{secret "db"}}'), 'hunter2');
  assert.equal(render('{{index .Service.Labels "tier"}}|{{index .Service.Labels "nope"}}'), 'front|', 'index gives "" for a missing key');
  assert.equal(render('{{"db" | secret}}'), 'hunter2');
  assert.equal(render('{{join "," .Service.Name .Task.Slot}}'), 'web,2');
  assert.equal(render('{{print .Service.Name "-" .Task.Slot}}|{{print 1 2 "x" 3}}'), 'web-2|1 2x3');
  assert.equal(render('{{printf "%s.%s %d%% %q" .Service.Name .Task.Slot 7 "x"}}'), 'web.2 7% "x"');
  assert.equal(render('{{printf "%s"}}|{{printf "a" 1}}'), '%!s(MISSING)|a%!(EXTRA int=1)');
  assert.equal(render('{{len .Service.Labels}} {{len "héllo"}}'), '2 6', 'len counts bytes, as Go');
  assert.equal(render('{{println "a" 1}}'), 'a 1\n');
  assert.equal(render('{{print (index .Service.Labels "app") "/" (env "HOME")}}'), 'shop//root');
  assert.equal(render('{{.Service.Name | printf "%s!"}}'), 'web!');
});

test('trim markers and comments', () => {
  assert.equal(render('a  \n {{- .Task.Slot -}} \n\t b'), 'a2b');
  assert.equal(render('a {{- .Task.Slot}} b'), 'a2 b');
  assert.equal(render('a {{.Task.Slot -}}  b'), 'a 2b');
  assert.equal(render('x{{/* a comment\nover lines */}}y'), 'xy');
  assert.equal(render('x \n{{- /* trimmed */ -}}\n y'), 'xy');
  assert.equal(render('{{-3}}'), '-3', 'a dash without a space is a number');
  assert.equal(render('{{ .Task.Slot }}{{"}}"}}'), '2}}');
});

test('errors name the line and the reason, as Go does', () => {
  fails('line1\nline2 {{nope "x"}}', 2, 'function "nope" not defined');
  fails('a\n\n{{.Service.Nmae}}', 3, "at <.Service.Nmae>: can't evaluate field Nmae in .Service: its fields are ID, Name, Labels");
  fails('{{.Bogus}}', 1, "at <.Bogus>: can't evaluate field Bogus in the template data: its fields are Service, Node, Task");
  fails('{{.Service.Labels.missing}}', 1, 'at <.Service.Labels.missing>: map has no entry for key "missing"');
  fails('{{.Service.Name.X}}', 1, "at <.Service.Name.X>: can't evaluate field X in type string");
  fails('\n{{secret "other"}}', 2, 'error calling secret: secret target other not found');
  fails('{{env}}', 1, 'wrong number of args for env: want 1 got 0');
  fails('{{env "A" "B"}}', 1, 'wrong number of args for env: want 1 got 2');
  fails('{{join "," 3}}', 1, 'error calling join: argument 2 must be a string, not int');
  fails('{{.Service.Name "x"}}', 1, "can't give argument to non-function .Service.Name");
  fails('ok\n{{.Task.Slot', 2, 'unclosed action: add }}');
  fails('{{}}', 1, 'missing value for command');
  fails('{{ | env}}', 1, 'missing value for command');
  fails('{{"abc}}', 1, 'unterminated quoted string');
  fails('{{/* open', 1, 'unclosed comment');
  fails('{{if .Task.Slot}}x{{end}}', 1, /^\{\{if\}\} is not supported in Berth's templates/);
  fails('{{range .Service.Labels}}{{end}}', 1, /^\{\{range\}\} is not supported/);
  fails('{{$x := 1}}', 1, /^variables \(\$x\) are not supported/);
  fails('{{print (env "A"}}', 1, 'unclosed left paren');
  fails('{{printf "%x" 1}}', 1, /printf verb %x is not supported/);
  fails('{{index .Service.Name "a"}}', 1, "error calling index: can't index item of type string");
  fails('{{nil}}', 1, 'nil is not a command');
  fails('{{.Task.Slot) }}', 1, 'unexpected ")" in action');
  // A multi-line action reports the line its error is on.
  fails('{{print\n  .Task.Slot\n  "x}}', 3, 'unterminated quoted string');
});
