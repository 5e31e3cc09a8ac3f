// Moving images between engines through a file (docker save / load), for hosts that must not
// pull: an image built once is given to every host.

import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { followProgress } from '../../../src/agent/engine/progress.js';

/** saveImage writes an image from an engine to a file (a docker-archive tar). */
export async function saveImage(docker: Dockerode, tag: string, file: string): Promise<void> {
  await pipeline(await docker.getImage(tag).get(), createWriteStream(file));
}

/** loadImage loads a file made by saveImage (or `podman save`, `docker save`) into an engine. */
export async function loadImage(docker: Dockerode, file: string): Promise<void> {
  await followProgress(await docker.loadImage(createReadStream(file)));
}
