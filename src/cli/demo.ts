// `berth up --demo`: a small web service on the offline-built busybox image, created through
// Berth's own Docker-compatible API, so a fresh machine shows a converging service at once.

import Dockerode from 'dockerode';
import { DEMO_IMAGE } from '../agent/index.js';
const DEMO_SERVICE = 'web';

export async function startDemo(socketPath: string): Promise<void> {
  const docker = new Dockerode({ socketPath });
  const existing = await docker.listServices({ filters: JSON.stringify({ name: [DEMO_SERVICE] }) });
  if (!existing.some((s) => s.Spec?.Name === DEMO_SERVICE)) {
    await docker.createService({
      Name: DEMO_SERVICE,
      Mode: { Replicated: { Replicas: 3 } },
      TaskTemplate: { ContainerSpec: { Image: DEMO_IMAGE, Args: ['httpd', '-f', '-p', '8080'] } },
    });
  }
  process.stdout.write(`Demo: service "${DEMO_SERVICE}" (3 replicas of ${DEMO_IMAGE}, httpd on :8080) is converging; watch it with: docker service ps ${DEMO_SERVICE}\n`);
}
