// The addresses of one network's subnet, in memory: which are taken (rebuilt from the objects
// that record them at every start), handed out next-fit like Swarm's serial IPAM, so an address
// just freed is not reused at once (peers may still hold it in their ARP and DNS caches).

import { contains, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../common/subnets.js';
import type { IPAMConfig } from '../types/index.js';

export class AddressPool {
  readonly subnet: Cidr;
  readonly #first: number;
  readonly #last: number;
  readonly #reserved = new Set<number>();
  readonly #used = new Set<number>();
  #usedInRange = 0;
  #cursor: number;

  constructor(config: IPAMConfig) {
    const subnet = parseCidr(config.Subnet ?? '');
    if (!subnet) throw new Error(`invalid subnet ${config.Subnet}`);
    this.subnet = subnet;
    const size = 2 ** (32 - subnet.bits);
    // Never the network address, the broadcast address or the gateway (every node's bridge holds it).
    this.#reserved.add(subnet.base).add(subnet.base + size - 1);
    const gateway = parseIPv4(config.Gateway ?? '');
    if (gateway !== undefined) this.#reserved.add(gateway);
    for (const aux of Object.values(config.AuxiliaryAddresses ?? {})) {
      const ip = parseIPv4(aux);
      if (ip !== undefined) this.#reserved.add(ip);
    }
    const range = config.IPRange ? parseCidr(config.IPRange) : undefined;
    const span = range ?? subnet;
    this.#first = span.base;
    this.#last = span.base + 2 ** (32 - span.bits) - 1;
    this.#cursor = this.#first;
  }

  get cidr(): string {
    return `${formatIPv4(this.subnet.base)}/${this.subnet.bits}`;
  }

  #inRange(ip: number): boolean {
    return ip >= this.#first && ip <= this.#last && !this.#reserved.has(ip);
  }

  get capacity(): number {
    let reserved = 0;
    for (const ip of this.#reserved) if (ip >= this.#first && ip <= this.#last) reserved++;
    return this.#last - this.#first + 1 - reserved;
  }

  /** take marks an address recorded in the store as used; false when it is not this subnet's or already taken. */
  take(address: string): boolean {
    const ip = parseIPv4(address.split('/')[0] ?? '');
    if (ip === undefined || !contains(this.subnet, ip) || this.#used.has(ip)) return false;
    this.#used.add(ip);
    if (this.#inRange(ip)) this.#usedInRange++;
    return true;
  }

  /** allocate hands out the next free address in CIDR form (10.0.1.5/24); undefined when none is left. */
  allocate(): string | undefined {
    if (this.#usedInRange >= this.capacity) return undefined;
    for (let i = 0, ip = this.#cursor; i <= this.#last - this.#first; i++, ip = ip >= this.#last ? this.#first : ip + 1) {
      if (!this.#inRange(ip) || this.#used.has(ip)) continue;
      this.#used.add(ip);
      this.#usedInRange++;
      this.#cursor = ip >= this.#last ? this.#first : ip + 1;
      return `${formatIPv4(ip)}/${this.subnet.bits}`;
    }
    return undefined;
  }

  /**
   * allocateBlock hands out an aligned block of 2^(32-bits) free addresses (CIDR) for a node's
   * plain containers, searched from the top of the range down so blocks and tasks' next-fit
   * addresses stay apart; undefined when no such block is free.
   */
  allocateBlock(bits: number): string | undefined {
    const size = 2 ** (32 - bits);
    for (let base = Math.floor((this.#last + 1 - size) / size) * size; base >= this.#first; base -= size) {
      if (!this.#blockFree(base, size)) continue;
      for (let ip = base; ip < base + size; ip++) this.#used.add(ip);
      this.#usedInRange += size;
      return `${formatIPv4(base)}/${bits}`;
    }
    return undefined;
  }

  /** takeBlock marks a block recorded in the store as used; false when any of it is not free. */
  takeBlock(cidr: string): boolean {
    const block = parseCidr(cidr);
    if (!block || !contains(this.subnet, block.base)) return false;
    const size = 2 ** (32 - block.bits);
    if (!this.#blockFree(block.base, size)) return false;
    for (let ip = block.base; ip < block.base + size; ip++) this.#used.add(ip);
    this.#usedInRange += size;
    return true;
  }

  releaseBlock(cidr: string): void {
    const block = parseCidr(cidr);
    if (!block) return;
    for (let ip = block.base; ip < block.base + 2 ** (32 - block.bits); ip++) this.release(`${formatIPv4(ip)}/32`);
  }

  #blockFree(base: number, size: number): boolean {
    if (base < this.#first || base + size - 1 > this.#last) return false;
    for (let ip = base; ip < base + size; ip++) if (!this.#inRange(ip) || this.#used.has(ip)) return false;
    return true;
  }

  release(address: string): void {
    const ip = parseIPv4(address.split('/')[0] ?? '');
    if (ip === undefined || !this.#used.delete(ip)) return;
    if (this.#inRange(ip)) this.#usedInRange--;
  }
}
