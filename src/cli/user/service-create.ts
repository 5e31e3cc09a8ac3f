// `berth service create [OPTIONS] IMAGE [COMMAND] [ARG...]`, as `docker service create`: build the
// spec from the options, create it, print the ID and, unless detached, watch it converge.

import { Command, Option } from 'commander';
import type { EndpointPortConfig, Labels } from '../../types/index.js';
import { arg, collect, contextOf, run, type Context } from './context.js';
import {
  parseConstraintOption,
  parseEnv,
  parseKeyValue,
  parseMount,
  parsePlacementPref,
  parsePublish,
  splitShellWords,
} from './option-parsers.js';
import { watchConvergence } from './progress-watch.js';
import { buildServiceSpec, type CreateOptions } from './service-spec.js';
import { parseCount, parseDurationNs, parseMemoryBytes, parseNanoCPUs } from '../../common/units.js';

interface CreateCommandOptions extends Omit<CreateOptions, 'publish'> {
  publish?: EndpointPortConfig[][];
  detach?: boolean;
  timeout: number;
}

const DEFAULT_TIMEOUT = '5m';

/** labels accumulates repeated key=value options into one map. */
function labels(text: string, previous: Labels | undefined): Labels {
  const [k, v] = arg(parseKeyValue)(text);
  return { ...previous, [k]: v };
}

export function registerServiceCreate(service: Command, program: Command): void {
  const duration = arg(parseDurationNs);
  const count = arg(parseCount);
  service
    .command('create')
    .description('Create a new service')
    .argument('<image>', 'image the tasks run')
    .argument('[command]', 'command to run (the container\'s Args; the image\'s entrypoint stays unless --entrypoint)')
    .argument('[arg...]', 'arguments of the command')
    // Options after IMAGE belong to the container's command, as with `docker service create`.
    .passThroughOptions()
    .option('--name <name>', 'service name')
    .addOption(new Option('--mode <mode>', 'service mode').choices(['replicated', 'global']))
    .option('--replicas <n>', 'number of tasks (replicated mode; default 1)', count)
    .option('--replicas-max-per-node <n>', 'maximum number of tasks per node', count)
    .option('-e, --env <KEY=value>', 'set an environment variable; repeatable', collect((t) => parseEnv(t)))
    .option('-l, --label <key=value>', 'service label; repeatable', labels)
    .option('--container-label <key=value>', 'container label; repeatable', labels)
    .option('--constraint <expr>', 'placement constraint, e.g. node.labels.zone==eu; repeatable', collect(parseConstraintOption))
    .option('--placement-pref <pref>', 'placement preference, e.g. spread=node.labels.zone; repeatable', collect(parsePlacementPref))
    .option('-p, --publish <port>', 'publish a port: published:target[/proto] or mode=host,target=80,published=8080; repeatable', collect(parsePublish))
    .option('--mount <mount>', 'attach a mount: type=bind|volume|tmpfs,source=..,target=..[,readonly]; repeatable', collect(parseMount))
    .option('--limit-cpu <cpus>', 'limit CPUs, e.g. 0.5', arg(parseNanoCPUs))
    .option('--limit-memory <bytes>', 'limit memory, e.g. 512M', arg(parseMemoryBytes))
    .option('--reserve-cpu <cpus>', 'reserve CPUs', arg(parseNanoCPUs))
    .option('--reserve-memory <bytes>', 'reserve memory', arg(parseMemoryBytes))
    .addOption(new Option('--restart-condition <condition>', 'restart when the task exits').choices(['none', 'on-failure', 'any']))
    .option('--restart-delay <duration>', 'delay between restart attempts (ns|us|ms|s|m|h)', duration)
    .option('--restart-max-attempts <n>', 'maximum number of restarts before giving up', count)
    .option('--restart-window <duration>', 'window used to evaluate the restart policy', duration)
    .option('--stop-grace-period <duration>', 'time to wait before force killing a container', duration)
    .option('--stop-signal <signal>', 'signal to stop the container')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('--hostname <name>', 'container hostname')
    .option('--entrypoint <command>', 'overwrite the default ENTRYPOINT of the image', arg(splitShellWords))
    .option('--health-cmd <command>', 'command to run to check health')
    .option('--health-interval <duration>', 'time between running the check', duration)
    .option('--health-retries <n>', 'consecutive failures needed to report unhealthy', count)
    .option('--health-timeout <duration>', 'maximum time to allow one check to run', duration)
    .option('--health-start-period <duration>', 'start period before failed checks count', duration)
    .option('--no-healthcheck', 'disable any container-specified HEALTHCHECK')
    .option('-d, --detach', 'exit immediately instead of waiting for the service to converge')
    .option('--timeout <duration>', 'give up waiting for convergence after this long', duration, parseDurationNs(DEFAULT_TIMEOUT))
    .action((image: string, command: string | undefined, args: string[], opts: CreateCommandOptions, cmd: Command) =>
      run(cmd, () => createService(contextOf(program), image, command === undefined ? [] : [command, ...args], opts)),
    );
}

async function createService(ctx: Context, image: string, args: string[], opts: CreateCommandOptions): Promise<void> {
  const spec = buildServiceSpec(image, args, { ...opts, publish: opts.publish?.flat() });
  const created = await ctx.client.createService(spec);
  for (const warning of [created.Warning, ...(created.Warnings ?? [])]) if (warning) ctx.err(`${warning}\n`);
  ctx.out(`${created.ID}\n`);
  if (!opts.detach) await watchConvergence(ctx, created.ID, { timeoutMs: opts.timeout / 1e6 });
}
