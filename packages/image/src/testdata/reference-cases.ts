/**
 * Test tables transcribed from distribution/reference (reference_test.go, normalize_test.go,
 * regexp_test.go at 0965666a6ade2e06035fe352e38344be1e68951a). They are facts about the grammar; each
 * entry keeps upstream's input and expectation. Errors map to our `ReferenceProblem` reasons:
 * ErrNameEmpty → name-empty, ErrReferenceInvalidFormat → invalid-format, ErrNameContainsUppercase →
 * uppercase, ErrNameTooLong → name-too-long, digest.ErrDigestInvalidLength → digest-invalid-length,
 * digest.ErrDigestUnsupported → digest-unsupported.
 */
import type { ReferenceProblem } from '../reference';

const F64 = 'f'.repeat(64);

/** TestReferenceParse: distribution's `Parse` (no normalization). `domain` '' means no host part. */
export const RAW_PARSE_CASES: Array<{
  input: string;
  err?: ReferenceProblem;
  repository?: string;
  domain?: string;
  tag?: string;
  digest?: string;
}> = [
  { input: 'test_com', repository: 'test_com' },
  { input: 'test.com:tag', repository: 'test.com', tag: 'tag' },
  { input: 'test.com:5000', repository: 'test.com', tag: '5000' },
  { input: 'test.com/repo:tag', domain: 'test.com', repository: 'test.com/repo', tag: 'tag' },
  { input: 'test:5000/repo', domain: 'test:5000', repository: 'test:5000/repo' },
  { input: 'test:5000/repo:tag', domain: 'test:5000', repository: 'test:5000/repo', tag: 'tag' },
  { input: `test:5000/repo@sha256:${F64}`, domain: 'test:5000', repository: 'test:5000/repo', digest: `sha256:${F64}` },
  {
    input: `test:5000/repo:tag@sha256:${F64}`,
    domain: 'test:5000',
    repository: 'test:5000/repo',
    tag: 'tag',
    digest: `sha256:${F64}`,
  },
  { input: '', err: 'name-empty' },
  { input: ':justtag', err: 'invalid-format' },
  { input: `@sha256:${F64}`, err: 'invalid-format' },
  { input: 'repo@sha256:ffffffffffffffffffffffffffffffffff', err: 'digest-invalid-length' },
  { input: `validname@invaliddigest:${F64}`, err: 'digest-unsupported' },
  // Upstream expects ErrDigestUnsupported only because its test binary does not link sha512; c supports
  // sha512, so this (valid) reference parses.
  { input: `validname@sha512:${'f'.repeat(128)}`, repository: 'validname', digest: `sha512:${'f'.repeat(128)}` },
  { input: 'Uppercase:tag', err: 'uppercase' },
  // Upstream FIXME: "Uppercase/lowercase:tag" is taken as domain "Uppercase" and passes; so does ours.
  { input: 'Uppercase/lowercase:tag', domain: 'Uppercase', repository: 'Uppercase/lowercase', tag: 'tag' },
  { input: 'test:5000/Uppercase/lowercase:tag', err: 'uppercase' },
  { input: 'lowercase:Uppercase', repository: 'lowercase', tag: 'Uppercase' },
  { input: `domain/${'a'.repeat(256)}:tag`, err: 'name-too-long' },
  {
    input: `${'a/'.repeat(127)}a:tag-puts-this-over-max`,
    domain: 'a',
    repository: `${'a/'.repeat(127)}a`,
    tag: 'tag-puts-this-over-max',
  },
  { input: 'aa/asdf$$^/aa', err: 'invalid-format' },
  { input: 'sub-dom1.foo.com/bar/baz/quux', domain: 'sub-dom1.foo.com', repository: 'sub-dom1.foo.com/bar/baz/quux' },
  {
    input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    domain: 'sub-dom1.foo.com',
    repository: 'sub-dom1.foo.com/bar/baz/quux',
    tag: 'some-long-tag',
  },
  {
    input: 'b.gcr.io/test.example.com/my-app:test.example.com',
    domain: 'b.gcr.io',
    repository: 'b.gcr.io/test.example.com/my-app',
    tag: 'test.example.com',
  },
  { input: 'xn--n3h.com/myimage:xn--n3h.com', domain: 'xn--n3h.com', repository: 'xn--n3h.com/myimage', tag: 'xn--n3h.com' },
  {
    input: `xn--7o8h.com/myimage:xn--7o8h.com@sha256:${F64}`,
    domain: 'xn--7o8h.com',
    repository: 'xn--7o8h.com/myimage',
    tag: 'xn--7o8h.com',
    digest: `sha256:${F64}`,
  },
  { input: 'foo_bar.com:8080', repository: 'foo_bar.com', tag: '8080' },
  { input: 'foo/foo_bar.com:8080', domain: 'foo', repository: 'foo/foo_bar.com', tag: '8080' },
  { input: '192.168.1.1', repository: '192.168.1.1' },
  { input: '192.168.1.1:tag', repository: '192.168.1.1', tag: 'tag' },
  { input: '192.168.1.1:5000', repository: '192.168.1.1', tag: '5000' },
  { input: '192.168.1.1/repo', domain: '192.168.1.1', repository: '192.168.1.1/repo' },
  { input: '192.168.1.1:5000/repo', domain: '192.168.1.1:5000', repository: '192.168.1.1:5000/repo' },
  { input: '192.168.1.1:5000/repo:5050', domain: '192.168.1.1:5000', repository: '192.168.1.1:5000/repo', tag: '5050' },
  { input: '[2001:db8::1]', err: 'invalid-format' },
  { input: '[2001:db8::1]:5000', err: 'invalid-format' },
  { input: '[2001:db8::1]:tag', err: 'invalid-format' },
  { input: '[2001:db8::1]/repo', domain: '[2001:db8::1]', repository: '[2001:db8::1]/repo' },
  {
    input: '[2001:db8:1:2:3:4:5:6]/repo:tag',
    domain: '[2001:db8:1:2:3:4:5:6]',
    repository: '[2001:db8:1:2:3:4:5:6]/repo',
    tag: 'tag',
  },
  { input: '[2001:db8::1]:5000/repo', domain: '[2001:db8::1]:5000', repository: '[2001:db8::1]:5000/repo' },
  { input: '[2001:db8::1]:5000/repo:tag', domain: '[2001:db8::1]:5000', repository: '[2001:db8::1]:5000/repo', tag: 'tag' },
  {
    input: `[2001:db8::1]:5000/repo@sha256:${F64}`,
    domain: '[2001:db8::1]:5000',
    repository: '[2001:db8::1]:5000/repo',
    digest: `sha256:${F64}`,
  },
  {
    input: `[2001:db8::1]:5000/repo:tag@sha256:${F64}`,
    domain: '[2001:db8::1]:5000',
    repository: '[2001:db8::1]:5000/repo',
    tag: 'tag',
    digest: `sha256:${F64}`,
  },
  { input: '[2001:db8::]:5000/repo', domain: '[2001:db8::]:5000', repository: '[2001:db8::]:5000/repo' },
  { input: '[::1]:5000/repo', domain: '[::1]:5000', repository: '[::1]:5000/repo' },
  { input: '[fe80::1%eth0]:5000/repo', err: 'invalid-format' },
  { input: '[fe80::1%@invalidzone]:5000/repo', err: 'invalid-format' },
  {
    input: `example.com/${'a'.repeat(255)}:tag`,
    domain: 'example.com',
    repository: `example.com/${'a'.repeat(255)}`,
    tag: 'tag',
  },
  // TestSerialization's parse cases.
  { input: 'example.com:8000/named', domain: 'example.com:8000', repository: 'example.com:8000/named' },
  { input: 'example.com:8000/named:tagged', domain: 'example.com:8000', repository: 'example.com:8000/named', tag: 'tagged' },
  {
    input: 'other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112',
    domain: 'other.com',
    repository: 'other.com/named',
    digest: 'sha256:1234567890098765432112345667890098765432112345667890098765432112',
  },
];

/** TestValidateReferenceName: ParseNormalizedNamed accepts / refuses. */
export const VALID_NORMALIZED_NAMES: string[] = [
  'docker/docker',
  'library/debian',
  'debian',
  'localhost/library/debian',
  'localhost/debian',
  'LOCALDOMAIN/library/debian',
  'LOCALDOMAIN/debian',
  'docker.io/docker/docker',
  'docker.io/library/debian',
  'docker.io/debian',
  'index.docker.io/docker/docker',
  'index.docker.io/library/debian',
  'index.docker.io/debian',
  '127.0.0.1:5000/docker/docker',
  '127.0.0.1:5000/library/debian',
  '127.0.0.1:5000/debian',
  '192.168.0.1',
  '192.168.0.1:80',
  '192.168.0.1:8/debian',
  '192.168.0.2:25000/debian',
  'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
  '[fc00::1]:5000/docker',
  '[fc00::1]:5000/docker/docker',
  '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
  'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  'Docker/docker',
  'DOCKER/docker',
  // TestValidateRemoteName (valid).
  'docker-rules/docker',
  'docker---rules/docker',
  'doc/docker',
  'd/docker',
  'jess/t',
  'dock__er/docker',
];

export const INVALID_NORMALIZED_NAMES: string[] = [
  'https://github.com/docker/docker',
  'docker/Docker',
  '-docker',
  '-docker/docker',
  '-docker.io/docker/docker',
  'docker///docker',
  'docker.io/docker/Docker',
  'docker.io/docker///docker',
  '[fc00::1]',
  '[fc00::1]:5000',
  'fc00::1:5000/debian',
  '[fe80::1%eth0]:5000/debian',
  '[2001:db8:3:4::192.0.2.33]:5000/debian',
  '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
  // TestValidateRemoteName (invalid).
  'docker-/docker',
  '-docker-/docker',
  '____/____',
  '_docker/_docker',
  'dock..er/docker',
  'dock_.er/docker',
  'dock-.er/docker',
  'docker/',
  'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker',
  // TestInvalidReferenceComponents.
  '-foo',
];

/**
 * TestParseRepositoryInfo: every spelling (familiar, full, ambiguous) of a name normalizes to the same
 * registry and path, and prints as the same familiar and full names.
 */
export const REPOSITORY_INFO_CASES: Array<{
  remoteName: string;
  familiarName: string;
  fullName: string;
  ambiguousName: string;
  domain: string;
}> = [
  { remoteName: 'fooo', familiarName: 'localhost/fooo', fullName: 'localhost/fooo', ambiguousName: 'localhost/fooo', domain: 'localhost' },
  { remoteName: 'fooo/bar', familiarName: 'localhost/fooo/bar', fullName: 'localhost/fooo/bar', ambiguousName: 'localhost/fooo/bar', domain: 'localhost' },
  { remoteName: 'fooo', familiarName: 'LOCALDOMAIN/fooo', fullName: 'LOCALDOMAIN/fooo', ambiguousName: 'LOCALDOMAIN/fooo', domain: 'LOCALDOMAIN' },
  { remoteName: 'fooo/bar', familiarName: 'LOCALDOMAIN/fooo/bar', fullName: 'LOCALDOMAIN/fooo/bar', ambiguousName: 'LOCALDOMAIN/fooo/bar', domain: 'LOCALDOMAIN' },
  { remoteName: 'fooo/bar', familiarName: 'fooo/bar', fullName: 'docker.io/fooo/bar', ambiguousName: 'index.docker.io/fooo/bar', domain: 'docker.io' },
  { remoteName: 'library/ubuntu', familiarName: 'ubuntu', fullName: 'docker.io/library/ubuntu', ambiguousName: 'library/ubuntu', domain: 'docker.io' },
  { remoteName: 'nonlibrary/ubuntu', familiarName: 'nonlibrary/ubuntu', fullName: 'docker.io/nonlibrary/ubuntu', ambiguousName: '', domain: 'docker.io' },
  { remoteName: 'other/library', familiarName: 'other/library', fullName: 'docker.io/other/library', ambiguousName: '', domain: 'docker.io' },
  { remoteName: 'private/moonbase', familiarName: '127.0.0.1:8000/private/moonbase', fullName: '127.0.0.1:8000/private/moonbase', ambiguousName: '', domain: '127.0.0.1:8000' },
  { remoteName: 'privatebase', familiarName: '127.0.0.1:8000/privatebase', fullName: '127.0.0.1:8000/privatebase', ambiguousName: '', domain: '127.0.0.1:8000' },
  { remoteName: 'private/moonbase', familiarName: 'example.com/private/moonbase', fullName: 'example.com/private/moonbase', ambiguousName: '', domain: 'example.com' },
  { remoteName: 'privatebase', familiarName: 'example.com/privatebase', fullName: 'example.com/privatebase', ambiguousName: '', domain: 'example.com' },
  { remoteName: 'private/moonbase', familiarName: 'example.com:8000/private/moonbase', fullName: 'example.com:8000/private/moonbase', ambiguousName: '', domain: 'example.com:8000' },
  { remoteName: 'privatebasee', familiarName: 'example.com:8000/privatebasee', fullName: 'example.com:8000/privatebasee', ambiguousName: '', domain: 'example.com:8000' },
  { remoteName: 'library/ubuntu-12.04-base', familiarName: 'ubuntu-12.04-base', fullName: 'docker.io/library/ubuntu-12.04-base', ambiguousName: 'index.docker.io/library/ubuntu-12.04-base', domain: 'docker.io' },
  { remoteName: 'library/foo', familiarName: 'foo', fullName: 'docker.io/library/foo', ambiguousName: 'docker.io/foo', domain: 'docker.io' },
  { remoteName: 'library/foo/bar', familiarName: 'library/foo/bar', fullName: 'docker.io/library/foo/bar', ambiguousName: '', domain: 'docker.io' },
  { remoteName: 'store/foo/bar', familiarName: 'store/foo/bar', fullName: 'docker.io/store/foo/bar', ambiguousName: '', domain: 'docker.io' },
  { remoteName: 'bar', familiarName: 'Foo/bar', fullName: 'Foo/bar', ambiguousName: '', domain: 'Foo' },
  { remoteName: 'bar', familiarName: 'FOO/bar', fullName: 'FOO/bar', ambiguousName: '', domain: 'FOO' },
];

const DBCC = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';

/** TestParseAnyReference (the named cases) and TestNormalizedSplitHostname: input → full form. */
export const NORMALIZE_CASES: Array<{ input: string; full: string }> = [
  { input: 'redis', full: 'docker.io/library/redis' },
  { input: 'redis:latest', full: 'docker.io/library/redis:latest' },
  { input: 'docker.io/library/redis:latest', full: 'docker.io/library/redis:latest' },
  { input: `redis@sha256:${DBCC}`, full: `docker.io/library/redis@sha256:${DBCC}` },
  { input: `docker.io/library/redis@sha256:${DBCC}`, full: `docker.io/library/redis@sha256:${DBCC}` },
  { input: 'dmcgowan/myapp', full: 'docker.io/dmcgowan/myapp' },
  { input: 'dmcgowan/myapp:latest', full: 'docker.io/dmcgowan/myapp:latest' },
  { input: 'docker.io/mcgowan/myapp:latest', full: 'docker.io/mcgowan/myapp:latest' },
  { input: `dmcgowan/myapp@sha256:${DBCC}`, full: `docker.io/dmcgowan/myapp@sha256:${DBCC}` },
  { input: `docker.io/dmcgowan/myapp@sha256:${DBCC}`, full: `docker.io/dmcgowan/myapp@sha256:${DBCC}` },
  { input: DBCC.slice(0, 63), full: `docker.io/library/${DBCC.slice(0, 63)}` },
  { input: 'dbcc1', full: 'docker.io/library/dbcc1' },
  { input: 'test.com/foo', full: 'test.com/foo' },
  { input: 'test_com/foo', full: 'docker.io/test_com/foo' },
  { input: 'docker/migrator', full: 'docker.io/docker/migrator' },
  { input: 'test.com:8080/foo', full: 'test.com:8080/foo' },
  { input: 'test-com:8080/foo', full: 'test-com:8080/foo' },
  { input: 'foo', full: 'docker.io/library/foo' },
  { input: 'xn--n3h.com/foo', full: 'xn--n3h.com/foo' },
  { input: 'xn--n3h.com:18080/foo', full: 'xn--n3h.com:18080/foo' },
  { input: 'docker.io/foo', full: 'docker.io/library/foo' },
  { input: 'docker.io/library/foo', full: 'docker.io/library/foo' },
  { input: 'docker.io/library/foo/bar', full: 'docker.io/library/foo/bar' },
];

const E669 = 'e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';

/** TestParseDockerRef: what docker records for a pull. */
export const DOCKER_REF_CASES: Array<{ name: string; input: string; expected: string }> = [
  { name: 'nothing', input: 'busybox', expected: 'docker.io/library/busybox:latest' },
  { name: 'tag only', input: 'busybox:latest', expected: 'docker.io/library/busybox:latest' },
  { name: 'digest only', input: `busybox@sha256:${E669}`, expected: `docker.io/library/busybox@sha256:${E669}` },
  { name: 'path only', input: 'library/busybox', expected: 'docker.io/library/busybox:latest' },
  { name: 'hostname only', input: 'docker.io/busybox', expected: 'docker.io/library/busybox:latest' },
  { name: 'no tag', input: 'docker.io/library/busybox', expected: 'docker.io/library/busybox:latest' },
  { name: 'no path', input: 'docker.io/busybox:latest', expected: 'docker.io/library/busybox:latest' },
  { name: 'no hostname', input: 'library/busybox:latest', expected: 'docker.io/library/busybox:latest' },
  { name: 'full reference with tag', input: 'docker.io/library/busybox:latest', expected: 'docker.io/library/busybox:latest' },
  { name: 'gcr reference without tag', input: 'gcr.io/library/busybox', expected: 'gcr.io/library/busybox:latest' },
  {
    name: 'both tag and digest',
    input: `gcr.io/library/busybox:latest@sha256:${E669}`,
    expected: `gcr.io/library/busybox@sha256:${E669}`,
  },
];

/** TestDomainRegexp: which strings are a registry host[:port] by the grammar. */
export const DOMAIN_CASES: Array<{ input: string; match: boolean }> = [
  { input: 'test.com', match: true },
  { input: 'test.com:10304', match: true },
  { input: 'test.com:http', match: false },
  { input: 'localhost', match: true },
  { input: 'localhost:8080', match: true },
  { input: 'a', match: true },
  { input: 'a.b', match: true },
  { input: 'ab.cd.com', match: true },
  { input: 'a-b.com', match: true },
  { input: '-ab.com', match: false },
  { input: 'ab-.com', match: false },
  { input: 'ab.c-om', match: true },
  { input: 'ab.-com', match: false },
  { input: 'ab.com-', match: false },
  { input: '0101.com', match: true },
  { input: '001a.com', match: true },
  { input: 'b.gbc.io:443', match: true },
  { input: 'b.gbc.io', match: true },
  { input: 'xn--n3h.com', match: true },
  { input: 'Asdf.com', match: true },
  { input: '192.168.1.1:75050', match: true },
  { input: '192.168.1.1:750050', match: true },
  { input: '[fd00:1:2::3]:75050', match: true },
  { input: '[fd00:1:2::3]75050', match: false },
  { input: '[fd00:1:2::3]::75050', match: false },
  { input: '[fd00:1:2::3%eth0]:75050', match: false },
  { input: '[fd00123123123]:75050', match: true },
  { input: '[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050', match: true },
  { input: '[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505', match: true },
  { input: 'fd00:1:2::3:75050', match: false },
];

/** TestFullNameRegexp: names (no tag/digest) and how they split into domain and path ('' = no domain). */
export const FULL_NAME_CASES: Array<{ input: string; match: boolean; domain?: string; path?: string }> = [
  { input: '', match: false },
  { input: 'short', match: true, domain: '', path: 'short' },
  { input: 'simple/name', match: true, domain: 'simple', path: 'name' },
  { input: 'library/ubuntu', match: true, domain: 'library', path: 'ubuntu' },
  { input: 'docker/stevvooe/app', match: true, domain: 'docker', path: 'stevvooe/app' },
  { input: 'aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb', match: true, domain: 'aa', path: 'aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb' },
  { input: 'aa/aa/bb/bb/bb', match: true, domain: 'aa', path: 'aa/bb/bb/bb' },
  { input: 'a/a/a/a', match: true, domain: 'a', path: 'a/a/a' },
  { input: 'a/a/a/a/', match: false },
  { input: 'a//a/a', match: false },
  { input: 'a', match: true, domain: '', path: 'a' },
  { input: 'a/aa', match: true, domain: 'a', path: 'aa' },
  { input: 'a/aa/a', match: true, domain: 'a', path: 'aa/a' },
  { input: 'foo.com', match: true, domain: '', path: 'foo.com' },
  { input: 'foo.com/', match: false },
  { input: 'foo.com:8080/bar', match: true, domain: 'foo.com:8080', path: 'bar' },
  { input: 'foo.com:http/bar', match: false },
  { input: 'foo.com/bar', match: true, domain: 'foo.com', path: 'bar' },
  { input: 'foo.com/bar/baz', match: true, domain: 'foo.com', path: 'bar/baz' },
  { input: 'localhost:8080/bar', match: true, domain: 'localhost:8080', path: 'bar' },
  { input: 'sub-dom1.foo.com/bar/baz/quux', match: true, domain: 'sub-dom1.foo.com', path: 'bar/baz/quux' },
  { input: 'blog.foo.com/bar/baz', match: true, domain: 'blog.foo.com', path: 'bar/baz' },
  { input: 'a^a', match: false },
  { input: 'aa/asdf$$^/aa', match: false },
  { input: 'asdf$$^/aa', match: false },
  { input: 'aa-a/a', match: true, domain: 'aa-a', path: 'a' },
  { input: `${'a/'.repeat(128)}a`, match: true, domain: 'a', path: `${'a/'.repeat(127)}a` },
  { input: 'a-/a/a/a', match: false },
  { input: 'foo.com/a-/a/a', match: false },
  { input: '-foo/bar', match: false },
  { input: 'foo/bar-', match: false },
  { input: 'foo-/bar', match: false },
  { input: 'foo/-bar', match: false },
  { input: '_foo/bar', match: false },
  { input: 'foo_bar', match: true, domain: '', path: 'foo_bar' },
  { input: 'foo_bar.com', match: true, domain: '', path: 'foo_bar.com' },
  { input: 'foo_bar.com:8080', match: false },
  { input: 'foo_bar.com:8080/app', match: false },
  { input: 'foo.com/foo_bar', match: true, domain: 'foo.com', path: 'foo_bar' },
  { input: '____/____', match: false },
  { input: '_docker/_docker', match: false },
  { input: 'docker_/docker_', match: false },
  { input: 'b.gcr.io/test.example.com/my-app', match: true, domain: 'b.gcr.io', path: 'test.example.com/my-app' },
  { input: 'xn--n3h.com/myimage', match: true, domain: 'xn--n3h.com', path: 'myimage' },
  { input: 'xn--7o8h.com/myimage', match: true, domain: 'xn--7o8h.com', path: 'myimage' },
  { input: 'example.com/xn--7o8h.com/myimage', match: true, domain: 'example.com', path: 'xn--7o8h.com/myimage' },
  { input: 'example.com/some_separator__underscore/myimage', match: true, domain: 'example.com', path: 'some_separator__underscore/myimage' },
  { input: 'example.com/__underscore/myimage', match: false },
  { input: 'example.com/..dots/myimage', match: false },
  { input: 'example.com/.dots/myimage', match: false },
  { input: 'example.com/nodouble..dots/myimage', match: false },
  { input: 'docker./docker', match: false },
  { input: '.docker/docker', match: false },
  { input: 'docker-/docker', match: false },
  { input: '-docker/docker', match: false },
  { input: 'do..cker/docker', match: false },
  { input: 'do__cker:8080/docker', match: false },
  { input: 'do__cker/docker', match: true, domain: '', path: 'do__cker/docker' },
  {
    input: 'registry.io/foo/project--id.module--name.ver---sion--name',
    match: true,
    domain: 'registry.io',
    path: 'foo/project--id.module--name.ver---sion--name',
  },
  { input: 'Asdf.com/foo/bar', match: true, domain: 'Asdf.com', path: 'foo/bar' },
  { input: 'Foo/FarB', match: false },
];

const BE17 = 'be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912';

/** TestReferenceRegexp: whole references, split into name, tag and digest. */
export const REFERENCE_GRAMMAR_CASES: Array<{ input: string; match: boolean; name?: string; tag?: string; digest?: string }> = [
  { input: 'registry.com:8080/myapp:tag', match: true, name: 'registry.com:8080/myapp', tag: 'tag' },
  { input: `registry.com:8080/myapp@sha256:${BE17}`, match: true, name: 'registry.com:8080/myapp', digest: `sha256:${BE17}` },
  { input: `registry.com:8080/myapp:tag2@sha256:${BE17}`, match: true, name: 'registry.com:8080/myapp', tag: 'tag2', digest: `sha256:${BE17}` },
  { input: 'registry.com:8080/myapp@sha256:badbadbadbad', match: false },
  { input: 'registry.com:8080/myapp:invalid~tag', match: false },
  { input: 'bad_hostname.com:8080/myapp:tag', match: false },
  // localhost taken as a name, 8080 as its tag.
  { input: `localhost:8080@sha256:${BE17}`, match: true, name: 'localhost', tag: '8080', digest: `sha256:${BE17}` },
  { input: `localhost:8080/name@sha256:${BE17}`, match: true, name: 'localhost:8080/name', digest: `sha256:${BE17}` },
  { input: `localhost:http/name@sha256:${BE17}`, match: false },
  { input: `localhost@sha256:${BE17}`, match: true, name: 'localhost', digest: `sha256:${BE17}` },
  { input: 'registry.com:8080/myapp@bad', match: false },
  { input: 'registry.com:8080/myapp@2bad', match: false },
];

/** TestIdentifierRegexp: 64 lowercase hex digits are an image ID, which parseReference refuses as a name. */
export const IDENTIFIER_CASES: Array<{ input: string; isIdentifier: boolean }> = [
  { input: 'da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', isIdentifier: true },
  { input: '7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C', isIdentifier: false },
  { input: 'da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf', isIdentifier: false },
  { input: 'sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', isIdentifier: false },
  { input: 'da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482', isIdentifier: false },
];
