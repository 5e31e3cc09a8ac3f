// Which engine the agent drives, where Berth must do something differently on it (Podman runs
// no healthchecks without systemd; its DNS server restarts on every network change).

import type Dockerode from 'dockerode';

const podman = new WeakMap<Dockerode, Promise<boolean>>();

/** engineIsPodman: asked once per engine (`/version` names a Podman component). */
export function engineIsPodman(docker: Dockerode): Promise<boolean> {
  let answer = podman.get(docker);
  if (!answer) {
    answer = docker.version().then((v) => (v.Components ?? []).some((c) => /podman/i.test(c.Name)));
    // A failed ask is not remembered: the next caller asks again.
    answer.catch(() => podman.delete(docker));
    podman.set(docker, answer);
  }
  return answer;
}
