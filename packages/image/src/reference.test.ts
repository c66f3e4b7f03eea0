import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import {
  type Reference,
  dockerReference,
  familiarName,
  familiarRepository,
  formatReference,
  formatRepository,
  isReference,
  isRegistryHost,
  isRepositoryPath,
  isTag,
  manifestReference,
  parseAnyReference,
  parseRawReference,
  parseReference,
  registryApiHost,
  splitRepositoryName,
  withDefaultTag,
  withDigest,
  withTag,
} from './reference';
import {
  DOCKER_REF_CASES,
  DOMAIN_CASES,
  FULL_NAME_CASES,
  IDENTIFIER_CASES,
  INVALID_NORMALIZED_NAMES,
  NORMALIZE_CASES,
  RAW_PARSE_CASES,
  REFERENCE_GRAMMAR_CASES,
  REPOSITORY_INFO_CASES,
  VALID_NORMALIZED_NAMES,
} from './testdata/reference-cases';

/** Runs `fn`, expecting a CError; returns it for further checks. */
function catchCError(fn: () => unknown): CError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CError);
    return error as CError;
  }
  throw new Error('expected a CError, but nothing was thrown');
}

/** The raw string form distribution prints (`domain/path:tag@digest`). */
function rawString(raw: { domain: string; path: string; tag?: string; digest?: string }): string {
  const name = raw.domain === '' ? raw.path : `${raw.domain}/${raw.path}`;
  return name + (raw.tag !== undefined ? `:${raw.tag}` : '') + (raw.digest !== undefined ? `@${raw.digest}` : '');
}

const SHA = `sha256:${'a'.repeat(64)}`;

describe('parseRawReference (distribution TestReferenceParse)', () => {
  it.each(RAW_PARSE_CASES)('$input', (tc) => {
    if (tc.err !== undefined) {
      const error = catchCError(() => parseRawReference(tc.input));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.details['reason']).toBe(tc.err);
      return;
    }
    const raw = parseRawReference(tc.input);
    expect(rawString(raw)).toBe(tc.input);
    const name = raw.domain === '' ? raw.path : `${raw.domain}/${raw.path}`;
    expect(name).toBe(tc.repository);
    expect(raw.domain).toBe(tc.domain ?? '');
    expect(raw.tag).toBe(tc.tag);
    expect(raw.digest).toBe(tc.digest);
  });
});

describe('reference grammar (distribution TestReferenceRegexp)', () => {
  it.each(REFERENCE_GRAMMAR_CASES)('$input', (tc) => {
    if (!tc.match) {
      expect(() => parseRawReference(tc.input)).toThrow(CError);
      return;
    }
    const raw = parseRawReference(tc.input);
    expect(raw.domain === '' ? raw.path : `${raw.domain}/${raw.path}`).toBe(tc.name);
    expect(raw.tag).toBe(tc.tag);
    expect(raw.digest).toBe(tc.digest);
  });
});

describe('splitRepositoryName (distribution TestFullNameRegexp, TestDomainAndPath, TestWithNameFailure)', () => {
  it.each(FULL_NAME_CASES)('$input', (tc) => {
    if (!tc.match) {
      expect(() => splitRepositoryName(tc.input)).toThrow(CError);
      return;
    }
    expect(splitRepositoryName(tc.input)).toEqual({ domain: tc.domain, path: tc.path });
  });

  it.each([
    ['test.com/foo', 'test.com', 'foo'],
    ['test_com/foo', '', 'test_com/foo'],
    ['test:8080/foo', 'test:8080', 'foo'],
    ['test.com:8080/foo', 'test.com:8080', 'foo'],
    ['test-com:8080/foo', 'test-com:8080', 'foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
  ])('splits %s into %s + %s', (input, domain, path) => {
    expect(splitRepositoryName(input)).toEqual({ domain, path });
  });

  it.each([
    ['', 'name-empty'],
    [':justtag', 'invalid-format'],
    [`@sha256:${'f'.repeat(64)}`, 'invalid-format'],
    [`validname@invaliddigest:${'f'.repeat(64)}`, 'invalid-format'],
    ['example.com/repo:tag', 'invalid-format'],
    [`example.com/${'a'.repeat(256)}`, 'name-too-long'],
    ['aa/asdf$$^/aa', 'invalid-format'],
  ])('refuses %s (%s)', (input, reason) => {
    expect(catchCError(() => splitRepositoryName(input)).details['reason']).toBe(reason);
  });
});

describe('isRegistryHost (distribution TestDomainRegexp)', () => {
  it.each(DOMAIN_CASES)('$input → $match', ({ input, match }) => {
    expect(isRegistryHost(input)).toBe(match);
  });
});

describe('parseReference: valid and invalid names (distribution TestValidateReferenceName/RemoteName)', () => {
  it.each(VALID_NORMALIZED_NAMES)('accepts %s', (input) => {
    expect(() => parseReference(input)).not.toThrow();
    expect(isReference(input)).toBe(true);
  });

  it.each(INVALID_NORMALIZED_NAMES)('refuses %s', (input) => {
    const error = catchCError(() => parseReference(input));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(input.slice(0, 50));
    expect(error.hint).toBeTruthy();
    expect(isReference(input)).toBe(false);
  });
});

describe('parseReference: normalization (distribution TestParseRepositoryInfo)', () => {
  const rows = REPOSITORY_INFO_CASES.flatMap((tc) =>
    [tc.familiarName, tc.fullName, tc.ambiguousName].filter((input) => input !== '').map((input) => ({ input, tc })),
  );
  it.each(rows)('$input', ({ input, tc }) => {
    const ref = parseReference(input);
    expect(ref.registry).toBe(tc.domain);
    expect(ref.repository).toBe(tc.remoteName);
    expect(formatReference(ref)).toBe(tc.fullName);
    expect(familiarName(ref)).toBe(tc.familiarName);
    expect(familiarRepository(ref)).toBe(tc.familiarName);
  });
});

describe('parseReference: full forms (distribution TestParseAnyReference, TestNormalizedSplitHostname)', () => {
  it.each(NORMALIZE_CASES)('$input → $full', ({ input, full }) => {
    const ref = parseReference(input);
    expect(formatReference(ref)).toBe(full);
    // The full form is a fixed point.
    expect(formatReference(parseReference(full))).toBe(full);
  });
});

describe('dockerReference (distribution TestParseDockerRef)', () => {
  it.each(DOCKER_REF_CASES)('$name: $input', ({ input, expected }) => {
    const recorded = formatReference(dockerReference(parseReference(input)));
    expect(recorded).toBe(expected);
    expect(() => parseRawReference(recorded)).not.toThrow();
  });
});

describe('image IDs (distribution TestIdentifierRegexp)', () => {
  it.each(IDENTIFIER_CASES)('$input', ({ input, isIdentifier }) => {
    let reason: unknown;
    try {
      parseReference(input);
    } catch (error) {
      reason = (error as CError).details['reason'];
    }
    if (isIdentifier) expect(reason).toBe('hex-identifier');
    else expect(reason).not.toBe('hex-identifier');
  });
});

describe('parseReference', () => {
  it('keeps both tag and digest (TestParseReferenceWithTagAndDigest), but resolves by the digest', () => {
    const short = 'busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
    const ref = parseReference(short);
    expect(ref).toEqual({
      registry: 'docker.io',
      repository: 'library/busybox',
      tag: 'latest',
      digest: 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa',
    });
    expect(formatReference(ref)).toBe(`docker.io/library/${short}`);
    expect(familiarName(ref)).toBe(short);
    expect(manifestReference(ref)).toBe(ref.digest);
  });

  it('adds no tag by itself; withDefaultTag adds latest only when neither tag nor digest is set', () => {
    const bare = parseReference('busybox');
    expect(bare.tag).toBeUndefined();
    expect(formatReference(withDefaultTag(bare))).toBe('docker.io/library/busybox:latest');
    expect(familiarName(withDefaultTag(bare))).toBe('busybox:latest');
    expect(withDefaultTag(parseReference('busybox:1.36')).tag).toBe('1.36');
    expect(withDefaultTag(parseReference(`busybox@${SHA}`))).toEqual({
      registry: 'docker.io',
      repository: 'library/busybox',
      digest: SHA,
    });
    // withDefaultTag does not mutate its argument.
    expect(bare.tag).toBeUndefined();
  });

  it('manifestReference: digest, else tag, else latest', () => {
    expect(manifestReference(parseReference('a'))).toBe('latest');
    expect(manifestReference(parseReference('a:v1'))).toBe('v1');
    expect(manifestReference(parseReference(`a:v1@${SHA}`))).toBe(SHA);
  });

  it('prints familiar names the way docker images does', () => {
    expect(familiarName(parseReference('localhost:5000/foo:bar'))).toBe('localhost:5000/foo:bar');
    expect(familiarName(parseReference('docker.io/library/ubuntu:22.04'))).toBe('ubuntu:22.04');
    expect(familiarName(parseReference('index.docker.io/user/app:1'))).toBe('user/app:1');
    expect(familiarName(parseReference('ghcr.io/owner/app'))).toBe('ghcr.io/owner/app');
    expect(formatRepository(parseReference('ubuntu:22.04'))).toBe('docker.io/library/ubuntu');
  });

  it('handles ports, nested paths and IPv6 registries', () => {
    expect(parseReference('registry.example.com:5000/team/sub/app:v1.2.3')).toEqual({
      registry: 'registry.example.com:5000',
      repository: 'team/sub/app',
      tag: 'v1.2.3',
    });
    expect(parseReference('[::1]:5000/app')).toEqual({ registry: '[::1]:5000', repository: 'app' });
    expect(parseReference('localhost/app')).toEqual({ registry: 'localhost', repository: 'app' });
    // A single component is a Hub official image even when it looks like a host.
    expect(parseReference('localhost:5000')).toEqual({ registry: 'docker.io', repository: 'library/localhost', tag: '5000' });
  });

  it('error messages name the input and say what is wrong', () => {
    const upper = catchCError(() => parseReference('docker.io/Library/Busybox'));
    expect(upper.message).toBe('invalid reference "docker.io/Library/Busybox": the repository name must be lowercase');
    expect(upper.details).toEqual({ reference: 'docker.io/Library/Busybox', reason: 'uppercase' });

    const digest = catchCError(() => parseReference('busybox@sha256:abcd'));
    expect(digest.message).toContain('"busybox@sha256:abcd"');
    // Only 4 hex digits: the grammar (32+ hex digits) already fails.
    expect(digest.details['reason']).toBe('invalid-format');

    const shortDigest = catchCError(() => parseReference(`busybox@sha256:${'a'.repeat(40)}`));
    expect(shortDigest.details['reason']).toBe('digest-invalid-length');

    const id = catchCError(() => parseReference('a'.repeat(64)));
    expect(id.details['reason']).toBe('hex-identifier');
    expect(id.hint).toContain('sha256:');
  });

  it('accepts tags of 128 characters and refuses 129', () => {
    expect(parseReference(`app:${'t'.repeat(128)}`).tag).toHaveLength(128);
    expect(catchCError(() => parseReference(`app:${'t'.repeat(129)}`)).details['reason']).toBe('invalid-format');
    expect(catchCError(() => parseReference('app:.tag')).details['reason']).toBe('invalid-format');
    expect(catchCError(() => parseReference('app:-tag')).details['reason']).toBe('invalid-format');
  });

  it('bounds repository paths at 255 characters, not counting the registry', () => {
    const path255 = `${'a'.repeat(100)}/${'b'.repeat(154)}`;
    expect(parseReference(`example.com/${path255}`).repository).toBe(path255);
    expect(catchCError(() => parseReference(`example.com/${path255}c`)).details['reason']).toBe('name-too-long');
    // On Docker Hub the implied library/ prefix counts.
    expect(catchCError(() => parseReference('a'.repeat(250))).details['reason']).toBe('name-too-long');
  });

  it('refuses very long input quickly (no pathological regex backtracking)', () => {
    // CPU time, not wall time: backtracking burns CPU, while a loaded machine only delays the clock on the wall.
    const start = process.cpuUsage();
    for (const input of [
      `${'a-'.repeat(600)}`,
      `${'a.'.repeat(400)}-/x`,
      `${'a'.repeat(500)}.${'b-'.repeat(200)}!/x`,
      `x/${'a__'.repeat(300)}$`,
    ]) {
      expect(isReference(input)).toBe(false);
    }
    const used = process.cpuUsage(start);
    expect((used.user + used.system) / 1000).toBeLessThan(500);
    expect(catchCError(() => parseReference('a'.repeat(2000))).details['reason']).toBe('input-too-long');
  });

  it('accepts sha512 digests and refuses other algorithms', () => {
    const sha512 = `sha512:${'c'.repeat(128)}`;
    expect(parseReference(`app@${sha512}`).digest).toBe(sha512);
    expect(catchCError(() => parseReference(`app@sha384:${'c'.repeat(96)}`)).details['reason']).toBe('digest-unsupported');
    expect(catchCError(() => parseReference(`app@sha256:${'C'.repeat(64)}`)).details['reason']).toBe('digest-invalid-format');
  });
});

describe('withTag / withDigest (distribution TestWithTag, TestWithDigest)', () => {
  const base: Reference = { registry: 'test.com:8000', repository: 'foo' };
  it('sets a validated tag, keeping a digest', () => {
    expect(formatReference(withTag(base, 'TAG5'))).toBe('test.com:8000/foo:TAG5');
    expect(formatReference(withTag(withDigest(base, SHA), 'TAG5'))).toBe(`test.com:8000/foo:TAG5@${SHA}`);
    expect(catchCError(() => withTag(base, '-foo')).details['reason']).toBe('tag-invalid-format');
  });
  it('sets a validated digest, keeping a tag', () => {
    expect(formatReference(withDigest(withTag(base, 'latest'), SHA))).toBe(`test.com:8000/foo:latest@${SHA}`);
    expect(catchCError(() => withDigest(base, 'foo')).details['reason']).toBe('digest-invalid-format');
    expect(catchCError(() => withDigest(base, 'sha256:abc')).details['reason']).toBe('digest-invalid-length');
  });
});

describe('registryApiHost and small predicates', () => {
  it('maps Docker Hub to registry-1.docker.io and leaves others alone', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('index.docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost(parseReference('busybox').registry)).toBe('registry-1.docker.io');
    expect(registryApiHost('localhost:5000')).toBe('localhost:5000');
    expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
  });
  it('isTag, isRepositoryPath', () => {
    expect(isTag('v1.0_rc-1')).toBe(true);
    expect(isTag('_x')).toBe(true);
    expect(isTag('.x')).toBe(false);
    expect(isTag('')).toBe(false);
    expect(isRepositoryPath('library/busybox')).toBe(true);
    expect(isRepositoryPath('Library/busybox')).toBe(false);
    expect(isRepositoryPath('a'.repeat(256))).toBe(false);
  });
});

describe('parseAnyReference (distribution TestParseAnyReference)', () => {
  const id = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
  it('takes 64 hex digits and bare digests as image IDs', () => {
    expect(parseAnyReference(id)).toEqual({ kind: 'digest', digest: `sha256:${id}` });
    expect(parseAnyReference(`sha256:${id}`)).toEqual({ kind: 'digest', digest: `sha256:${id}` });
  });
  it('parses everything else as a named reference', () => {
    expect(parseAnyReference(id.slice(0, 63))).toEqual({
      kind: 'named',
      reference: { registry: 'docker.io', repository: `library/${id.slice(0, 63)}` },
    });
    expect(parseAnyReference('redis:latest')).toEqual({
      kind: 'named',
      reference: { registry: 'docker.io', repository: 'library/redis', tag: 'latest' },
    });
    expect(() => parseAnyReference('Redis')).toThrow(CError);
  });
});

describe('canonical full names (distribution TestParseNamed)', () => {
  it.each([
    ['test.com/foo', true, 'test.com', 'foo'],
    ['test:8080/foo', true, 'test:8080', 'foo'],
    ['test_com/foo', false, 'docker.io', 'test_com/foo'],
    ['test.com', false, 'docker.io', 'library/test.com'],
    ['foo', false, 'docker.io', 'library/foo'],
    ['library/foo', false, 'docker.io', 'library/foo'],
    ['docker.io/library/foo', true, 'docker.io', 'library/foo'],
    // Ambiguous: the parser adds library/.
    ['docker.io/foo', false, 'docker.io', 'library/foo'],
  ])('%s is canonical: %s', (input, canonical, registry, repository) => {
    const ref = parseReference(input);
    expect(ref).toEqual({ registry, repository });
    expect(formatReference(ref) === input).toBe(canonical);
  });
});
