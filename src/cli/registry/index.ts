// The registry's user commands: login/logout, users, projects, robot accounts and garbage
// collection, clients of the registry's admin API (/berth/v1/registry) on the registry's own port.

import type { Command } from 'commander';
import { registerGcCommands } from './gc.js';
import { registerLoginCommands } from './login.js';
import { registerProjectCommands } from './projects.js';
import { registerRobotCommands } from './robots.js';
import { registerUserCommands } from './users.js';

export function registerRegistryCommands(program: Command): void {
  registerLoginCommands(program);
  registerUserCommands(program);
  registerProjectCommands(program);
  registerRobotCommands(program);
  registerGcCommands(program);
}
