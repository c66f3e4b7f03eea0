import { readFileSync } from 'node:fs';
import { CError } from '@c/errors';
import { defaultRoute, delLink, getLink, linkIndexOf, linkUp, linkUpByIndex, newAddress, newVeth } from './codec';
import { NetlinkSocket, closeFd, openNetns } from './socket';

export interface NetlinkVethSpec {
  netnsPath: string;
  hostName: string;
  containerName: string;
  bridge: string;
  address: string;
  prefixLength: number;
  mac: string;
  mtu: number;
  gateway?: string;
}

/** Index of the loopback interface in every network namespace. */
const LOOPBACK_INDEX = 1;

/**
 * The container-attach hot path over rtnetlink: no process spawns. One request batch in the daemon's namespace
 * (veth + peer placed in the container + enslave + up + hairpin), one in the container's (address, up, route).
 */
export class NetlinkLinks {
  private host: NetlinkSocket | undefined;

  constructor(private readonly sysfs = '/sys/class/net') {}

  attachVeth(spec: NetlinkVethSpec): void {
    const masterIndex = this.indexOf(spec.bridge);
    const netnsFd = openNetns(spec.netnsPath);
    try {
      const host = this.hostSocket();
      host.transact(`create veth ${spec.hostName} on ${spec.bridge} with peer ${spec.containerName} in ${spec.netnsPath}`, [
        newVeth(host.nextSeq(), { hostName: spec.hostName, peerName: spec.containerName, mtu: spec.mtu, peerMac: spec.mac, peerNetnsFd: netnsFd, masterIndex }),
        linkUp(host.nextSeq(), spec.hostName, true),
      ]);
      try {
        this.configureInside(netnsFd, spec);
      } catch (error) {
        this.deleteSync(spec.hostName);
        throw error;
      }
    } finally {
      closeFd(netnsFd);
    }
  }

  /** Delete a link by name (the veth peer goes with it). Off the event loop: the kernel waits for RCU here. */
  async deleteLink(name: string): Promise<void> {
    const socket = NetlinkSocket.open();
    try {
      await socket.transactAsync(`delete link ${name}`, [delLink(socket.nextSeq(), name)]);
    } finally {
      socket.close();
    }
  }

  close(): void {
    this.host?.close();
    this.host = undefined;
  }

  private configureInside(netnsFd: number, spec: NetlinkVethSpec): void {
    const inside = NetlinkSocket.openIn(netnsFd);
    try {
      const [link] = inside.transact(`look up ${spec.containerName} in ${spec.netnsPath}`, [getLink(inside.nextSeq(), spec.containerName)]);
      if (link === undefined) throw new CError('INTERNAL', `no reply for ${spec.containerName} in ${spec.netnsPath}`);
      const index = linkIndexOf(link);
      const requests = [
        newAddress(inside.nextSeq(), index, spec.address, spec.prefixLength),
        linkUpByIndex(inside.nextSeq(), index),
        linkUpByIndex(inside.nextSeq(), LOOPBACK_INDEX),
      ];
      if (spec.gateway !== undefined) requests.push(defaultRoute(inside.nextSeq(), index, spec.gateway));
      inside.transact(`configure ${spec.containerName} (${spec.address}/${spec.prefixLength}) in ${spec.netnsPath}`, requests);
    } finally {
      inside.close();
    }
  }

  private deleteSync(name: string): void {
    try {
      const host = this.hostSocket();
      host.transact(`delete link ${name}`, [delLink(host.nextSeq(), name)]);
    } catch {
      // Best effort while unwinding another failure.
    }
  }

  private hostSocket(): NetlinkSocket {
    this.host ??= NetlinkSocket.open();
    return this.host;
  }

  private indexOf(name: string): number {
    try {
      return Number(readFileSync(`${this.sysfs}/${name}/ifindex`, 'utf8').trim());
    } catch {
      throw new CError('NOT_FOUND', `bridge ${name} does not exist`, { hint: 'the network was removed or its bridge deleted by hand; recreate the network' });
    }
  }
}
