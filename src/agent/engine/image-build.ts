// Builds a tiny busybox image offline (no registry is needed): the build context is made in
// memory from the host's static busybox (Debian's busybox-static) and sent to the engine's
// build API. Tests and `berth up --demo` run it; `httpd -f -p 8080` serves from it.

import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { pack } from 'tar-stream';
import { UnavailableError } from '../../types/index.js';
import { followProgress } from './progress.js';

export const DEMO_IMAGE = 'localhost/berth-demo:1';
const BUSYBOX = '/bin/busybox';

const CONTAINERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
  'CMD ["/bin/sh"]',
  '',
].join('\n');

/** buildBusyboxImage builds `tag` unless the engine already has it; throws the build's error. */
export async function buildBusyboxImage(docker: Dockerode, tag: string): Promise<void> {
  if (await hasImage(docker, tag)) return;
  let busybox: Buffer;
  try {
    busybox = await readFile(BUSYBOX);
  } catch (err) {
    throw new UnavailableError(
      `cannot build ${tag}: ${BUSYBOX} is missing (${(err as Error).message}); install busybox-static (apt-get install -y busybox-static)`,
    );
  }
  const stream = await docker.buildImage(Readable.from(await buildContext(busybox)), {
    t: tag,
    dockerfile: 'Containerfile',
    rm: true,
    forcerm: true,
  });
  try {
    await followProgress(stream);
  } catch (err) {
    throw new UnavailableError(`building ${tag} failed: ${(err as Error).message}`);
  }
  // Some engines report a failed step only by not producing the image.
  if (!(await hasImage(docker, tag))) throw new UnavailableError(`building ${tag} finished but the image is missing`);
}

/** The context is about 1 MB, so it is made whole in memory and sent with a length. */
async function buildContext(busybox: Buffer): Promise<Buffer> {
  const tar = pack();
  tar.entry({ name: 'Containerfile', mode: 0o644 }, CONTAINERFILE);
  tar.entry({ name: 'busybox', mode: 0o755 }, busybox);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function hasImage(docker: Dockerode, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}
