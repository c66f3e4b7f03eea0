import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Host facts as Docker reports them. Read once at start-up: none of them change while the daemon runs. */
export interface HostFacts {
  hostname: string;
  kernelVersion: string;
  /** `Debian GNU/Linux 12 (bookworm)` (PRETTY_NAME of os-release). */
  operatingSystem: string;
  /** `12` (VERSION_ID). */
  osVersion: string;
  /** uname machine: `x86_64`, `aarch64` (Docker's `Architecture` in /info). */
  architecture: string;
  /** GOARCH naming: `amd64`, `arm64` (Docker's `Arch` in /version). */
  goArch: string;
  ncpu: number;
  memTotal: number;
  /** `2` on a pure cgroup v2 host, `1` on v1 and hybrid hosts. */
  cgroupVersion: '1' | '2';
}

/** Parses os-release text (`KEY=value`, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const raw = match[2] ?? '';
    fields[match[1] ?? ''] = raw.replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function goArch(nodeArch: string): string {
  return GO_ARCH[nodeArch] ?? nodeArch;
}

export function readHostFacts(): HostFacts {
  let release: Record<string, string> = {};
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      release = parseOsRelease(readFileSync(path, 'utf8'));
      break;
    } catch {
      // Try the next location; a host without os-release reports "Linux".
    }
  }
  return {
    hostname: os.hostname(),
    kernelVersion: os.release(),
    operatingSystem: release.PRETTY_NAME ?? 'Linux',
    osVersion: release.VERSION_ID ?? '',
    architecture: os.machine(),
    goArch: goArch(process.arch),
    ncpu: os.availableParallelism(),
    memTotal: os.totalmem(),
    // cgroup.controllers exists at the root only when /sys/fs/cgroup itself is the unified (v2) hierarchy.
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
  };
}
