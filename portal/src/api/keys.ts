// One query-key factory per resource: pages read through these, and the event stream
// (events.ts) invalidates by the same prefixes, so a change anywhere refreshes what shows it.

export const keys = {
  whoami: () => ['whoami'] as const,
  info: () => ['info'] as const,
  swarm: () => ['swarm'] as const,
  nodes: {
    all: () => ['nodes'] as const,
    list: () => ['nodes', 'list'] as const,
    one: (id: string) => ['nodes', 'one', id] as const,
  },
  services: {
    all: () => ['services'] as const,
    list: () => ['services', 'list'] as const,
    one: (id: string) => ['services', 'one', id] as const,
  },
  tasks: {
    all: () => ['tasks'] as const,
    list: (filters: Record<string, string[] | undefined>) => ['tasks', 'list', filters] as const,
  },
  containers: {
    all: () => ['containers'] as const,
    list: () => ['containers', 'list'] as const,
    one: (id: string) => ['containers', 'one', id] as const,
  },
  secrets: { all: () => ['secrets'] as const },
  configs: { all: () => ['configs'] as const },
  networks: { all: () => ['networks'] as const },
  users: { all: () => ['users'] as const },
  teams: { all: () => ['teams'] as const },
  tokens: { all: () => ['tokens'] as const },
  oidc: () => ['oidc'] as const,
  audit: (query: string) => ['audit', query] as const,
  /** The registry admin API: every read under one prefix, refetched after any change through it. */
  registry: { all: () => ['registry'] as const, of: (...path: string[]) => ['registry', ...path] as const },
  imageUpdates: () => ['image-updates'] as const,
  stacks: { all: () => ['stacks'] as const, list: () => ['stacks', 'list'] as const, one: (name: string) => ['stacks', 'one', name] as const },
};

/** Which cached queries an event of this type makes stale. */
export function staleBy(type: string): ReadonlyArray<readonly string[]> {
  switch (type) {
    case 'service':
      // A service's replicas and update state show in the service list, its tasks' names and its stack; its image in the update check.
      return [keys.services.all(), keys.tasks.all(), keys.stacks.all(), keys.imageUpdates()];
    case 'task':
      // Running/desired counts (ServiceStatus) come with the services; a task's container starts and ends with it.
      return [keys.tasks.all(), keys.services.all(), keys.stacks.all(), keys.containers.all()];
    case 'node':
      return [keys.nodes.all(), keys.tasks.all()];
    case 'secret':
      return [keys.secrets.all()];
    case 'config':
      return [keys.configs.all()];
    case 'network':
      return [keys.networks.all()];
    default:
      return [];
  }
}
