import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import {
  compatiblePlatforms,
  formatPlatform,
  hostPlatform,
  isAttestationManifest,
  matchPlatform,
  normalizePlatform,
  parsePlatform,
  platformRank,
  selectManifest,
} from './platform';
import { ONLY_CASES } from './testdata/platform-cases';
import type { Descriptor, ImageIndex, Platform } from './types';

const host = hostPlatform();

describe('normalizePlatform (containerd normalizeArch, arm64 defaulting to v8)', () => {
  it.each<[Platform, Platform]>([
    [{ os: 'linux', architecture: 'x86_64' }, { os: 'linux', architecture: 'amd64' }],
    [{ os: 'linux', architecture: 'x86-64' }, { os: 'linux', architecture: 'amd64' }],
    [{ os: 'linux', architecture: 'amd64', variant: 'v1' }, { os: 'linux', architecture: 'amd64' }],
    [{ os: 'linux', architecture: 'amd64', variant: 'v3' }, { os: 'linux', architecture: 'amd64', variant: 'v3' }],
    [{ os: 'linux', architecture: 'i386', variant: 'x' }, { os: 'linux', architecture: '386' }],
    [{ os: 'linux', architecture: 'aarch64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    [{ os: 'linux', architecture: 'Aarch64', variant: '8' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8.0' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8.2' }, { os: 'linux', architecture: 'arm64', variant: 'v8.2' }],
    [{ os: 'linux', architecture: 'arm64', variant: '9.0' }, { os: 'linux', architecture: 'arm64', variant: 'v9' }],
    [{ os: 'linux', architecture: 'armhf' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
    [{ os: 'linux', architecture: 'armel' }, { os: 'linux', architecture: 'arm', variant: 'v6' }],
    [{ os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
    [{ os: 'linux', architecture: 'arm', variant: '7' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
    [{ os: 'linux', architecture: 'arm', variant: '6' }, { os: 'linux', architecture: 'arm', variant: 'v6' }],
    [{ os: 'linux', architecture: 'arm', variant: '5' }, { os: 'linux', architecture: 'arm', variant: 'v5' }],
    [{ os: 'Linux', architecture: 'S390X' }, { os: 'linux', architecture: 's390x' }],
    [{ os: 'macOS', architecture: 'arm64' }, { os: 'darwin', architecture: 'arm64', variant: 'v8' }],
    [
      { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1', 'os.features': ['b', 'a', 'b'] },
      { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1', 'os.features': ['a', 'b'] },
    ],
  ])('%j → %j', (input, expected) => {
    expect(normalizePlatform(input)).toEqual(expected);
    // Idempotent.
    expect(normalizePlatform(normalizePlatform(input))).toEqual(expected);
  });
});

describe('parsePlatform / formatPlatform', () => {
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64', 'linux/arm64/v8'],
    ['linux/arm64/v8', 'linux/arm64/v8'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['Linux/x86_64', 'linux/amd64'],
    ['linux/s390x', 'linux/s390x'],
    ['linux/riscv64', 'linux/riscv64'],
    ['windows/amd64', 'windows/amd64'],
    ['x86_64', `${host.os}/amd64`],
    ['Aarch64', `${host.os}/arm64/v8`],
    ['armel', `${host.os}/arm/v6`],
    ['i386', `${host.os}/386`],
    ['s390x', `${host.os}/s390x`],
    ['linux', formatPlatform({ ...host, os: 'linux' })],
    ['macOS', formatPlatform({ ...host, os: 'darwin' })],
  ])('%s → %s', (input, formatted) => {
    expect(formatPlatform(parsePlatform(input))).toBe(formatted);
  });

  it.each(['', '*', 'linux/*', 'linux/amd64/v2/extra', 'linux//amd64', 'linux/am d64', 'notanos', 'linux/arm64/'])(
    'refuses %j with INVALID_ARGUMENT',
    (input) => {
      try {
        parsePlatform(input);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CError);
        expect((error as CError).code).toBe('INVALID_ARGUMENT');
        expect((error as CError).message).toContain(`"${input}"`);
      }
    },
  );

  it('formats unknown platforms as "unknown"', () => {
    expect(formatPlatform({ os: '', architecture: '' })).toBe('unknown');
  });
});

describe('hostPlatform', () => {
  it('reports the platform of this process in OCI terms', () => {
    const expectedArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', s390x: 's390x', riscv64: 'riscv64' };
    expect(host.os).toBe(process.platform);
    const arch = expectedArch[process.arch];
    if (arch !== undefined) expect(host.architecture).toBe(arch);
    expect(normalizePlatform(host)).toEqual(host);
  });
});

describe('matchPlatform (containerd TestOnly)', () => {
  const rows = ONLY_CASES.flatMap((tc) => [
    ...tc.matches.map((candidate) => ({ wanted: tc.platform, candidate, expected: true })),
    ...tc.rejects.map((candidate) => ({ wanted: tc.platform, candidate, expected: false })),
  ]);
  it.each(rows)('$wanted runs $candidate: $expected', ({ wanted, candidate, expected }) => {
    expect(matchPlatform(parsePlatform(wanted), parsePlatform(candidate))).toBe(expected);
  });

  it('ranks the exact platform first and older variants after', () => {
    const wanted = parsePlatform('linux/arm64/v8.2');
    expect(platformRank(wanted, parsePlatform('linux/arm64/v8.2'))).toBe(0);
    expect(platformRank(wanted, parsePlatform('linux/arm64/v8.1'))).toBe(1);
    expect(platformRank(wanted, parsePlatform('linux/arm64'))).toBe(2);
    expect(platformRank(wanted, parsePlatform('linux/arm/v7'))).toBeGreaterThan(2);
    expect(platformRank(wanted, parsePlatform('linux/amd64'))).toBeUndefined();
    expect(compatiblePlatforms(parsePlatform('linux/amd64/v3')).map(formatPlatform)).toEqual([
      'linux/amd64/v3',
      'linux/amd64/v2',
      'linux/amd64',
      'linux/386',
    ]);
  });
});

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
function manifestFor(n: number, platform?: Platform, annotations?: Record<string, string>): Descriptor {
  const d: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(n), size: 100 + n };
  if (platform !== undefined) d.platform = platform;
  if (annotations !== undefined) d.annotations = annotations;
  return d;
}

/** Shaped like docker.io/library/busybox's index (with buildkit attestations). */
const INDEX: ImageIndex = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    manifestFor(1, { os: 'linux', architecture: 'amd64' }),
    manifestFor(2, { os: 'linux', architecture: 'arm', variant: 'v5' }),
    manifestFor(3, { os: 'linux', architecture: 'arm', variant: 'v6' }),
    manifestFor(4, { os: 'linux', architecture: 'arm', variant: 'v7' }),
    manifestFor(5, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    manifestFor(6, { os: 'linux', architecture: '386' }),
    manifestFor(7, { os: 'linux', architecture: 's390x' }),
    manifestFor(8, { os: 'unknown', architecture: 'unknown' }, {
      'vnd.docker.reference.digest': digest(1),
      'vnd.docker.reference.type': 'attestation-manifest',
    }),
  ],
};

describe('selectManifest', () => {
  it.each([
    ['linux/amd64', 1],
    ['linux/arm64', 5],
    ['linux/arm64/v8', 5],
    ['linux/arm/v7', 4],
    ['linux/arm/v6', 3],
    ['linux/arm/v5', 2],
    ['linux/386', 6],
    ['linux/s390x', 7],
    ['linux/amd64/v3', 1],
  ])('picks the manifest for %s', (wanted, n) => {
    expect(selectManifest(INDEX, parsePlatform(wanted)).digest).toBe(digest(n));
  });

  it('prefers the exact variant over an older compatible one, whatever the order', () => {
    const index: ImageIndex = {
      schemaVersion: 2,
      manifests: [
        manifestFor(1, { os: 'linux', architecture: 'arm', variant: 'v6' }),
        manifestFor(2, { os: 'linux', architecture: 'arm', variant: 'v7' }),
      ],
    };
    expect(selectManifest(index, parsePlatform('linux/arm/v7')).digest).toBe(digest(2));
    expect(selectManifest({ ...index, manifests: [...index.manifests].reverse() }, parsePlatform('linux/arm/v7')).digest).toBe(
      digest(2),
    );
  });

  it('falls back to a compatible older platform (386 on amd64) when nothing better exists', () => {
    const index: ImageIndex = { schemaVersion: 2, manifests: [manifestFor(6, { os: 'linux', architecture: '386' })] };
    expect(selectManifest(index, parsePlatform('linux/amd64')).digest).toBe(digest(6));
  });

  it('matches index entries written with non-canonical names (aarch64, x86_64)', () => {
    const index: ImageIndex = {
      schemaVersion: 2,
      manifests: [manifestFor(1, { os: 'linux', architecture: 'x86_64' }), manifestFor(2, { os: 'linux', architecture: 'aarch64' })],
    };
    expect(selectManifest(index, parsePlatform('linux/arm64/v8')).digest).toBe(digest(2));
    expect(selectManifest(index, parsePlatform('linux/amd64')).digest).toBe(digest(1));
  });

  it('never selects attestation manifests, even when asked for unknown/unknown', () => {
    expect(isAttestationManifest(INDEX.manifests[7] as Descriptor)).toBe(true);
    expect(isAttestationManifest(INDEX.manifests[0] as Descriptor)).toBe(false);
    expect(() => selectManifest(INDEX, { os: 'unknown', architecture: 'unknown' })).toThrow(CError);
  });

  it('throws NOT_FOUND listing the available platforms', () => {
    try {
      selectManifest(INDEX, parsePlatform('linux/riscv64'));
      expect.unreachable();
    } catch (error) {
      const e = error as CError;
      expect(e.code).toBe('NOT_FOUND');
      expect(e.message).toBe(
        'no manifest for platform linux/riscv64 in the image index; it has linux/amd64, linux/arm/v5, linux/arm/v6, linux/arm/v7, linux/arm64/v8, linux/386, linux/s390x',
      );
      expect(e.hint).toContain('--platform linux/amd64');
      expect(e.details['available']).toHaveLength(7);
    }
  });

  it('says so when an index has no platform-specific manifests at all', () => {
    try {
      selectManifest({ schemaVersion: 2, manifests: [manifestFor(1)] }, parsePlatform('linux/amd64'));
      expect.unreachable();
    } catch (error) {
      expect((error as CError).message).toContain('no platform-specific manifests');
    }
  });

  it('defaults to the host platform', () => {
    const index: ImageIndex = { schemaVersion: 2, manifests: [manifestFor(9, host)] };
    expect(selectManifest(index).digest).toBe(digest(9));
  });
});
