// Run histories kept in the storage driver (retention runs, garbage collection runs): one JSON
// object per run under a prefix, named so that names sort oldest first.

import type { StorageDriver } from '../storage/storage-driver.js';

/** putRecord writes `dir/name` and deletes the oldest records of `dir` beyond `keep`. */
export async function putRecord(driver: StorageDriver, dir: string, name: string, value: unknown, keep: number): Promise<void> {
  await driver.putContent(`${dir}/${name}`, Buffer.from(JSON.stringify(value)));
  const names = (await driver.list(dir)).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) await driver.delete(`${dir}/${old}`);
}
