// Berth's user commands: `berth node ...` and `berth service ...`, clients of the manager's
// Engine-API-compatible HTTP API. The root program defines --host; see client.ts resolveHost.

import type { Command } from 'commander';
import { registerAuditCommands } from './audit.js';
import { registerCertCommands } from './cert.js';
import { registerDirectoryCommands } from './directory.js';
import { registerNodeCommands } from './node.js';
import { registerOidcCommands } from './oidc.js';
import { registerServiceCommands } from './service.js';

export function registerUserCommands(program: Command): void {
  registerNodeCommands(program);
  registerServiceCommands(program);
  registerCertCommands(program);
  registerAuditCommands(program);
  registerDirectoryCommands(program);
  registerOidcCommands(program);
}
