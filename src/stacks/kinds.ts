// The stack's store object: a compose file Berth deployed on the server (POST /berth/v1/stacks),
// the variables it was interpolated with and its deploy count. What the file made — services,
// networks, secrets, configs — are ordinary objects with the stack's namespace label, as the
// docker CLI makes them; stacks the CLI deployed have no stack object and are found by that label.

import { defineKind } from '../store/index.js';
import type { Meta } from '../types/index.js';

export interface StackSpec {
  /** The namespace: objects are named STACK_name and labelled com.docker.stack.namespace=STACK. */
  Name: string;
  /** The compose file as sent (YAML text). */
  Compose: string;
  /** Variables for ${VAR} interpolation and secrets' `environment:` (never the manager's own environment). */
  Env?: Record<string, string>;
}

export interface Stack extends Meta {
  Spec: StackSpec;
  /** 1 after the first deploy, one more for each deploy that changed the file, its variables or its objects. */
  StackVersion: number;
}

declare module '../store/index.js' {
  interface KindTypes {
    stack: { object: Stack; accessor: 'stacks'; named: true };
  }
}

// Sealed: the variables may carry secret values (a secret's `environment:`).
defineKind({ kind: 'stack', accessor: 'stacks', named: true, sealed: true });
