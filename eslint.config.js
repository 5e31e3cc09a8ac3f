// Lint, including the import graph: a subsystem imports shared types, common helpers, the
// store API and its own folder, nothing else. Composition roots (manager, cli) wire the rest.
import tseslint from 'typescript-eslint';

const SUBSYSTEMS = ['types', 'common', 'store', 'ca', 'audit', 'access', 'users', 'scheduler', 'orchestrator', 'allocator', 'dispatcher', 'agent', 'api', 'registry', 'portal', 'stacks', 'manager', 'cli'];
const ALLOWED = {
  types: [],
  common: ['types'],
  store: ['types', 'common'],
  ca: ['types', 'common', 'store'],
  audit: ['types', 'common', 'store'],
  access: ['types', 'common', 'store', 'users'],
  users: ['types', 'common', 'store'],
  scheduler: ['types', 'common', 'store'],
  orchestrator: ['types', 'common', 'store'],
  allocator: ['types', 'common', 'store'],
  dispatcher: ['types', 'common', 'store'],
  agent: ['types', 'common'],
  api: ['types', 'common', 'store'],
  registry: ['types', 'common', 'store', 'users'],
  portal: ['types', 'common'],
  stacks: ['types', 'common', 'store'],
  manager: ['types', 'common', 'store', 'ca', 'audit', 'access', 'users', 'scheduler', 'orchestrator', 'allocator', 'dispatcher', 'api', 'portal', 'stacks'],
  cli: SUBSYSTEMS,
};

const graphRules = Object.entries(ALLOWED).map(([folder, allowed]) => {
  const forbidden = SUBSYSTEMS.filter((s) => s !== folder && !allowed.includes(s));
  return {
    files: [`src/${folder}/**/*.ts`],
    // Tests may compose several subsystems; the graph binds production code.
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': forbidden.length === 0 ? 'off' : ['error', {
        patterns: [{
          // Any depth: src/registry/auth/x.ts importing `../../agent/` is refused as a top-level file's
          // `../agent/` is. So a subsystem's own subfolders must not take a subsystem's name.
          regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
          message: `src/${folder} may import only ${['its own folder', ...allowed].join(', ')} (see docs/architecture.md).`,
        }],
      }],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
      }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...graphRules,
);
