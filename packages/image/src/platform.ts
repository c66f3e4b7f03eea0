/**
 * Platforms (`linux/arm64/v8`): parsing, normalization and matching, following containerd's platforms
 * package (normalizeArch, the compatibility vectors of `Only`), with one deliberate difference: arm64
 * normalizes to variant `v8` when none is given (containerd drops `v8` instead). Both spellings are
 * equal under either rule, and `linux/arm64/v8` is what `docker` prints.
 */
import { endianness } from 'node:os';
import { CError } from '@c/errors';
import type { Descriptor, ImageIndex, Platform } from './types';

const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl',
  'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos',
]);

const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips',
  'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x',
  'sparc', 'sparc64', 'wasm',
]);

const COMPONENT_RE = /^[A-Za-z0-9_.-]+$/;

/** The annotation buildkit puts on attestation manifests inside an index. */
export const ATTESTATION_ANNOTATION = 'vnd.docker.reference.type';
export const ATTESTATION_MANIFEST = 'attestation-manifest';

function normalizeOs(os: string): string {
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

function normalizeArchVariant(architecture: string, variant: string): { architecture: string; variant: string } {
  let arch = architecture.toLowerCase();
  let v = variant.toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (v === '' || v === '8' || v === 'v8.0') v = 'v8';
      else if (v === '9' || v === '9.0' || v === 'v9.0') v = 'v9';
      break;
    case 'armhf':
      arch = 'arm';
      v = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return { architecture: arch, variant: v };
}

/**
 * The canonical spelling of a platform: lowercase, `x86_64`/`x86-64` → amd64, `aarch64` → arm64 (variant
 * v8 by default), `armhf` → arm/v7, `armel` → arm/v6, arm → v7 by default, `i386` → 386, `macos` → darwin.
 * OS features are sorted and deduplicated.
 */
export function normalizePlatform(platform: Platform): Platform {
  const { architecture, variant } = normalizeArchVariant(platform.architecture, platform.variant ?? '');
  const result: Platform = { architecture, os: normalizeOs(platform.os) };
  if (variant !== '') result.variant = variant;
  if (platform['os.version'] !== undefined && platform['os.version'] !== '') {
    result['os.version'] = platform['os.version'];
  }
  const features = platform['os.features'];
  if (features !== undefined && features.length > 0) result['os.features'] = [...new Set(features)].sort();
  return result;
}

function invalidPlatform(specifier: string, problem: string): CError {
  return new CError('INVALID_ARGUMENT', `invalid platform "${specifier}": ${problem}`, {
    hint: 'a platform looks like linux/amd64, linux/arm64/v8 or linux/arm/v7',
    details: { platform: specifier },
  });
}

/**
 * Parses `os[/arch[/variant]]`, or a lone architecture (`arm64`, os = the host's) or a lone OS (`linux`,
 * arch = the host's), and normalizes the result.
 */
export function parsePlatform(specifier: string): Platform {
  if (specifier.includes('*')) throw invalidPlatform(specifier, 'wildcards are not supported');
  const parts = specifier.split('/');
  if (parts.length > 3) throw invalidPlatform(specifier, 'expected at most os/architecture/variant');
  parts.forEach((part, i) => {
    if (!COMPONENT_RE.test(part)) {
      const name = ['os', 'architecture', 'variant'][i] ?? 'component';
      throw invalidPlatform(specifier, `the ${name} "${part}" must be letters, digits, ".", "_" or "-"`);
    }
  });
  const [first = '', arch, variant] = parts;
  if (arch === undefined) {
    const host = hostPlatform();
    if (KNOWN_OS.has(normalizeOs(first))) {
      return normalizePlatform({ ...host, os: first });
    }
    const normalized = normalizePlatform({ os: host.os, architecture: first });
    if (KNOWN_ARCH.has(normalized.architecture)) return normalized;
    throw invalidPlatform(specifier, 'unknown operating system or architecture');
  }
  const platform: Platform = { os: first, architecture: arch };
  if (variant !== undefined) platform.variant = variant;
  return normalizePlatform(platform);
}

/** `os/arch[/variant]` of the normalized platform; `unknown` when os or architecture is missing. */
export function formatPlatform(platform: Platform): string {
  if (!platform.os || !platform.architecture) return 'unknown';
  const p = normalizePlatform(platform);
  return [p.os, p.architecture, p.variant].filter((part) => part !== undefined && part !== '').join('/');
}

/** The architecture names Node reports, in OCI terms. */
const NODE_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
  ppc: 'ppc',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** The platform this process runs on, from `process.platform` and `process.arch`. */
export function hostPlatform(): Platform {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  let architecture = NODE_ARCH[process.arch] ?? process.arch;
  // Node reports `ppc64` and `mips64el` for the little-endian ports too.
  if (process.arch === 'ppc64') architecture = endianness() === 'LE' ? 'ppc64le' : 'ppc64';
  if ((process.arch as string) === 'mips64el') architecture = 'mips64le';
  let variant: string | undefined;
  if (architecture === 'arm') {
    const armVersion = (process.config.variables as Record<string, unknown>)['arm_version'];
    if (typeof armVersion === 'string' && armVersion !== '') variant = `v${armVersion}`;
  }
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

/**
 * The platforms that can run on `wanted`, best first (containerd's `Only`): the platform itself, then older
 * variants of the same architecture (amd64 v3 → v2 → v1, arm v7 → v6 → v5, arm64 v8.2 → v8.1 → v8), then
 * the 32-bit relative (amd64 → 386, arm64 → arm v8 ... v5).
 */
export function compatiblePlatforms(wanted: Platform): Platform[] {
  const p = normalizePlatform(wanted);
  const base = { os: p.os };
  const withVariant = (architecture: string, variant: string): Platform =>
    variant === '' ? { ...base, architecture } : { ...base, architecture, variant };
  const variantNumber = (variant: string | undefined): number => Number.parseInt((variant ?? '').replace(/^v/, ''), 10);
  switch (p.architecture) {
    case 'amd64': {
      const result: Platform[] = [p];
      const level = variantNumber(p.variant);
      if (Number.isInteger(level) && level > 1) {
        for (let v = level - 1; v >= 1; v--) result.push(withVariant('amd64', v === 1 ? '' : `v${v}`));
      }
      result.push({ ...base, architecture: '386' });
      return result;
    }
    case 'arm': {
      const result: Platform[] = [p];
      const level = variantNumber(p.variant);
      if (Number.isInteger(level) && level > 5) {
        for (let v = level - 1; v >= 5; v--) result.push(withVariant('arm', `v${v}`));
      }
      return result;
    }
    case 'arm64': {
      const result: Platform[] = [];
      for (const variant of arm64VariantsDescending(p.variant ?? 'v8')) result.push(withVariant('arm64', variant));
      if (result.length === 0) result.push(p);
      for (let v = 8; v >= 5; v--) result.push(withVariant('arm', `v${v}`));
      return result;
    }
    default:
      return [p];
  }
}

/** `v9.2` → v9.2, v9.1, v9, v8.7, ..., v8; unknown variants yield nothing (containerd's table). */
function arm64VariantsDescending(variant: string): string[] {
  const match = /^v(8|9)(?:\.(\d))?$/.exec(variant);
  if (match === null) return [];
  const major = Number(match[1]);
  const minor = Number(match[2] ?? '0');
  const ranges: Array<[number, number]> = major === 9 ? [[9, minor], [8, Math.min(minor + 5, 9)]] : [[8, minor]];
  const result: string[] = [];
  for (const [maj, top] of ranges) {
    for (let m = top; m >= 0; m--) result.push(m === 0 ? `v${maj}` : `v${maj}.${m}`);
  }
  return result;
}

function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/**
 * How well `candidate` fits `wanted`: 0 for the same platform, higher for older variants and 32-bit
 * relatives, `undefined` when it cannot run there.
 */
export function platformRank(wanted: Platform, candidate: Platform): number | undefined {
  const normalized = normalizePlatform(candidate);
  const index = compatiblePlatforms(wanted).findIndex((p) => samePlatform(p, normalized));
  return index === -1 ? undefined : index;
}

/** True when an image for `candidate` runs on `wanted` (exactly, or as a compatible older variant). */
export function matchPlatform(wanted: Platform, candidate: Platform): boolean {
  return platformRank(wanted, candidate) !== undefined;
}

/** True for the attestation (provenance/SBOM) manifests buildkit adds to indexes: never an image to run. */
export function isAttestationManifest(descriptor: Descriptor): boolean {
  if (descriptor.annotations?.[ATTESTATION_ANNOTATION] === ATTESTATION_MANIFEST) return true;
  const platform = descriptor.platform;
  return platform !== undefined && platform.os === 'unknown' && platform.architecture === 'unknown';
}

/**
 * The manifest of `index` to run on `wanted` (default: the host): the best-ranked compatible platform, the
 * first listed among equals; attestation manifests are skipped. Throws `NOT_FOUND` listing the platforms
 * the index has when none fits.
 */
export function selectManifest(index: ImageIndex, wanted: Platform = hostPlatform()): Descriptor {
  let best: { descriptor: Descriptor; rank: number } | undefined;
  for (const descriptor of index.manifests) {
    if (isAttestationManifest(descriptor) || descriptor.platform === undefined) continue;
    const rank = platformRank(wanted, descriptor.platform);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { descriptor, rank };
  }
  if (best !== undefined) return best.descriptor;
  const available = [
    ...new Set(
      index.manifests
        .filter((d) => !isAttestationManifest(d) && d.platform !== undefined)
        .map((d) => formatPlatform(d.platform as Platform)),
    ),
  ];
  const wantedText = formatPlatform(wanted);
  throw new CError(
    'NOT_FOUND',
    `no manifest for platform ${wantedText} in the image index; it has ${
      available.length > 0 ? available.join(', ') : 'no platform-specific manifests'
    }`,
    {
      hint:
        available.length > 0
          ? `pick one of the listed platforms with --platform (e.g. --platform ${available[0]})`
          : 'the index lists no runnable image; check the reference',
      details: { platform: wantedText, available },
    },
  );
}
