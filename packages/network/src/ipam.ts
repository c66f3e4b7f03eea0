import { readFile } from 'node:fs/promises';
import { CError, invalidArgument } from '@c/errors';
import { writeFileAtomic, KeyedMutex } from './atomic';
import { formatIpv4, formatSubnet, parseIpv4, parseSubnet, subnetContains, subnetSize, type Ipv4Subnet } from './ipv4';

/** The on-disk form of one network's address leases. */
export interface IpamFile {
  version: 1;
  subnet: string;
  gateway: string;
  /** address → owner (an endpoint id). */
  leases: Record<string, string>;
}

/**
 * Address leases of one subnet, persisted after every change (temp file + rename, no fsync), so a daemon restart
 * finds the same addresses in use. Hands out the lowest free host address; the network address, the
 * broadcast address and the gateway are never leased.
 */
export class Ipam {
  private readonly subnet: Ipv4Subnet;
  private readonly gateway: number;
  private readonly leases = new Map<number, string>();
  private readonly lock = new KeyedMutex();

  private constructor(private readonly path: string, file: IpamFile) {
    this.subnet = parseSubnet(file.subnet);
    this.gateway = parseIpv4(file.gateway);
    for (const [address, owner] of Object.entries(file.leases)) this.leases.set(parseIpv4(address), owner);
  }

  /** Open the lease file at `path`, creating it for `subnet`/`gateway` when it does not exist. */
  static async open(path: string, subnet: string, gateway: string): Promise<Ipam> {
    let file: IpamFile;
    try {
      file = parseLeaseFile(await readFile(path, 'utf8'), subnet, gateway);
      if (file.subnet !== subnet || file.gateway !== gateway) {
        throw new CError('CONFLICT', `lease file ${path} is for ${file.subnet} (gateway ${file.gateway}), not ${subnet} (gateway ${gateway})`, {
          hint: 'remove the network and create it again',
        });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      file = { version: 1, subnet, gateway, leases: {} };
      const gw = parseIpv4(gateway);
      if (!subnetContains(parseSubnet(subnet), gw)) {
        throw invalidArgument(`gateway ${gateway} is outside the subnet ${subnet}`, { hint: 'pick a gateway inside the subnet' });
      }
      await writeFileAtomic(path, JSON.stringify(file));
    }
    return new Ipam(path, file);
  }

  /** Lease an address to `owner` and persist: `preferred` when given (must be free and inside the subnet), else the lowest free one. */
  async allocate(owner: string, preferred?: string): Promise<string> {
    const address = this.reserve(owner, preferred);
    try {
      await this.flush();
    } catch (error) {
      this.leases.delete(parseIpv4(address));
      throw error;
    }
    return address;
  }

  /**
   * Lease in memory only; `flush` persists. Lets a caller overlap the disk write with other work, as long as it
   * awaits `flush` before reporting success.
   */
  reserve(owner: string, preferred?: string): string {
    const address = preferred === undefined ? this.lowestFree() : this.checkPreferred(preferred);
    this.leases.set(address, owner);
    return formatIpv4(address);
  }

  /** Give back every address held by `owner` and persist. Returns the released addresses (none is fine: release is idempotent). */
  async release(owner: string): Promise<string[]> {
    const released = this.forget(owner);
    if (released.length > 0) await this.flush();
    return released;
  }

  /** Drop `owner`'s leases in memory only; `flush` persists. */
  forget(owner: string): string[] {
    const released: string[] = [];
    for (const [address, holder] of this.leases) {
      if (holder === owner) {
        this.leases.delete(address);
        released.push(formatIpv4(address));
      }
    }
    return released;
  }

  /**
   * Drop the leases of every owner not in `owners` (memory only; `flush` persists) and return the released
   * addresses. Leases are written without fsync, so after a crash the file may hold owners that never got an
   * endpoint, or miss some: the caller reconciles it with the endpoints it knows are alive.
   */
  retainOnly(owners: ReadonlySet<string>): string[] {
    const released: string[] = [];
    for (const [address, holder] of this.leases) {
      if (!owners.has(holder)) {
        this.leases.delete(address);
        released.push(formatIpv4(address));
      }
    }
    return released;
  }

  /** The address `owner` holds, if any. */
  addressOf(owner: string): string | undefined {
    for (const [address, holder] of this.leases) if (holder === owner) return formatIpv4(address);
    return undefined;
  }

  /** Write the current leases (serialised: the last flush writes the newest state). */
  flush(): Promise<void> {
    return this.lock.run('ipam', () => this.persist());
  }

  /** address → owner, sorted by address. */
  list(): [string, string][] {
    return [...this.leases.entries()].sort((a, b) => a[0] - b[0]).map(([address, owner]) => [formatIpv4(address), owner]);
  }

  private isReserved(address: number): boolean {
    const last = this.subnet.base + subnetSize(this.subnet) - 1;
    return address === this.subnet.base || address === last || address === this.gateway;
  }

  private lowestFree(): number {
    const end = this.subnet.base + subnetSize(this.subnet);
    for (let address = this.subnet.base + 1; address < end; address++) {
      if (!this.isReserved(address) && !this.leases.has(address)) return address;
    }
    throw new CError('LIMIT_EXCEEDED', `no free address left in ${formatSubnet(this.subnet)} (${this.leases.size} leased)`, {
      hint: 'disconnect containers from the network or use a larger subnet',
    });
  }

  private checkPreferred(text: string): number {
    const address = parseIpv4(text);
    if (!subnetContains(this.subnet, address) || this.isReserved(address)) {
      throw invalidArgument(`address ${text} is not a usable host address of ${formatSubnet(this.subnet)}`, {
        hint: 'pick an address inside the subnet other than the network, broadcast and gateway addresses',
      });
    }
    const holder = this.leases.get(address);
    if (holder !== undefined) {
      throw new CError('CONFLICT', `address ${text} is already in use on ${formatSubnet(this.subnet)} (by ${holder.slice(0, 12)})`, {
        hint: 'pick another address or let c choose one',
      });
    }
    return address;
  }

  private persist(): Promise<void> {
    const leases: Record<string, string> = {};
    for (const [address, owner] of this.list()) leases[address] = owner;
    const file: IpamFile = { version: 1, subnet: formatSubnet(this.subnet), gateway: formatIpv4(this.gateway), leases };
    // No fsync: leases describe endpoints that do not survive a host crash, and the start path must not wait for
    // the disk (see retainOnly for the reconciliation after a crash).
    return writeFileAtomic(this.path, JSON.stringify(file), { durable: false });
  }
}

/**
 * The lease file; an empty or torn one (a host crash before the unsynced write reached the disk) reads as no
 * leases: no container survived that crash.
 */
function parseLeaseFile(text: string, subnet: string, gateway: string): IpamFile {
  try {
    const file = JSON.parse(text) as IpamFile;
    if (typeof file === 'object' && file !== null && typeof file.leases === 'object') return file;
  } catch {
    // fall through
  }
  return { version: 1, subnet, gateway, leases: {} };
}
