// The compose schema's validator, compiled at build time (portal/compose-schema.ts).
declare module 'virtual:compose-schema' {
  import type { Validate } from './diagnose';
  const validate: Validate;
  export default validate;
}
