// Builds OCI image layouts on disk (image-spec "image-layout": oci-layout, index.json, blobs/),
// so skopeo can copy made-up images from `oci:DIR:REF` to a registry without any network.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A layout under construction: every blob written goes to blobs/sha256/. */
export class OciLayout {
  constructor(readonly dir: string) {}

  async blob(mediaType: string, content: Buffer, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
    const digest = sha256(content);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice(7)), content);
    return { mediaType, digest, size: content.length, ...extra };
  }

  /** image writes a gzipped layer per entry of `files` (one file each), a config and a manifest. */
  async image(arch: string, files: Array<Record<string, string>>): Promise<Descriptor> {
    const layers: Descriptor[] = [];
    const diffIds: string[] = [];
    for (const layerFiles of files) {
      const tar = await tarOf(layerFiles);
      diffIds.push(sha256(tar));
      layers.push(await this.blob('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(tar)));
    }
    const config = await this.blob(
      'application/vnd.oci.image.config.v1+json',
      Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: diffIds } })),
    );
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers }));
    return this.blob(OCI_MANIFEST, manifest, { platform: { architecture: arch, os: 'linux' } });
  }

  /** finish writes oci-layout and an index.json naming `top` as `ref`. */
  async finish(ref: string, top: Descriptor): Promise<void> {
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const entry = { ...top, annotations: { 'org.opencontainers.image.ref.name': ref } };
    delete entry.platform;
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry] }));
  }
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const tar = pack();
  for (const [name, content] of Object.entries(files)) tar.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
