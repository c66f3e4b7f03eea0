/**
 * Image references, parsed and normalized exactly as distribution/reference does (the grammar in its
 * `regexp.go`, the Docker Hub rules in `normalize.go`), so `c pull x` means what `docker pull x` means.
 */
import { CError } from '@c/errors';
import { describeDigestProblem, digestProblem } from './digest';

/** A normalized reference: `registry/repository[:tag][@digest]`. */
export interface Reference {
  /** The registry host (and port), e.g. `docker.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string;
  /** The path inside the registry, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  /** When present, it identifies the content; the tag is informational only. */
  digest?: string;
}

/** What the grammar alone yields, before Docker Hub normalization (distribution's `Parse`). */
export interface RawReference {
  /** The host part when the name has one, else `''`. */
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** Why a reference was refused; stable, for callers and tests. */
export type ReferenceProblem =
  | 'name-empty'
  | 'invalid-format'
  | 'uppercase'
  | 'name-too-long'
  | 'hex-identifier'
  | 'input-too-long'
  | 'digest-invalid-format'
  | 'digest-invalid-length'
  | 'digest-unsupported'
  | 'tag-invalid-format';

export const DOCKER_HUB_REGISTRY = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
export const DEFAULT_TAG = 'latest';
/** The longest repository path distribution accepts. */
export const REPOSITORY_MAX_LENGTH = 255;

const LEGACY_HUB_REGISTRY = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const LOCALHOST = 'localhost';
/**
 * No valid reference comes near this (255 path + 128 tag + a sha512 digest + a host); the bound keeps the
 * backtracking regular expressions below linear-time in practice.
 */
const INPUT_MAX_LENGTH = 1024;

// The grammar, composed like distribution's regexp.go.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;

const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const ANCHORED_TAG_RE = new RegExp(`^${TAG}$`);
const ANCHORED_DOMAIN_RE = new RegExp(`^${DOMAIN_AND_PORT}$`);
const ANCHORED_REMOTE_NAME_RE = new RegExp(`^${REMOTE_NAME}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

const PROBLEM_TEXT: Record<ReferenceProblem, string> = {
  'name-empty': 'the repository name is empty',
  'invalid-format': 'it does not match the reference grammar [registry[:port]/]name[:tag][@digest]',
  uppercase: 'the repository name must be lowercase',
  'name-too-long': `the repository name is longer than ${REPOSITORY_MAX_LENGTH} characters`,
  'hex-identifier': 'a 64-character hexadecimal string is an image ID, not a repository name',
  'input-too-long': `it is longer than ${INPUT_MAX_LENGTH} characters`,
  'digest-invalid-format': `its digest ${describeDigestProblem('invalid-format')}`,
  'digest-invalid-length': `its digest ${describeDigestProblem('invalid-length')}`,
  'digest-unsupported': `its digest ${describeDigestProblem('unsupported-algorithm')}`,
  'tag-invalid-format': 'the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}',
};

const PROBLEM_HINT: Partial<Record<ReferenceProblem, string>> = {
  uppercase: 'use lowercase letters in the repository name (tags may contain uppercase)',
  'hex-identifier': 'refer to an image by ID as sha256:<id>, or add a registry or namespace to the name',
};

function referenceError(input: string, problem: ReferenceProblem): CError {
  const shown = input.length > 200 ? `${input.slice(0, 200)}…` : input;
  return new CError('INVALID_ARGUMENT', `invalid reference "${shown}": ${PROBLEM_TEXT[problem]}`, {
    hint:
      PROBLEM_HINT[problem] ??
      'a reference looks like busybox, busybox:1.36, ghcr.io/owner/app:tag or name@sha256:<64 hex digits>',
    details: { reference: input, reason: problem },
  });
}

/**
 * distribution's `Parse`: the bare grammar, no Docker Hub defaults. In a multi-component name the first
 * component is taken as the domain whenever it fits the host grammar.
 */
export function parseRawReference(input: string): RawReference {
  if (input === '') throw referenceError(input, 'name-empty');
  if (input.length > INPUT_MAX_LENGTH) throw referenceError(input, 'input-too-long');
  const match = REFERENCE_RE.exec(input);
  if (match === null) {
    const lower = input.toLowerCase();
    if (lower !== input && REFERENCE_RE.test(lower)) throw referenceError(input, 'uppercase');
    throw referenceError(input, 'invalid-format');
  }
  const [, name = '', tag, digest] = match;
  const nameMatch = ANCHORED_NAME_RE.exec(name);
  const domain = nameMatch?.[1] ?? '';
  const path = nameMatch?.[2] ?? name;
  if (path.length > REPOSITORY_MAX_LENGTH) throw referenceError(input, 'name-too-long');
  const raw: RawReference = { domain, path };
  if (tag !== undefined) raw.tag = tag;
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem === 'invalid-length') throw referenceError(input, 'digest-invalid-length');
    if (problem === 'unsupported-algorithm') throw referenceError(input, 'digest-unsupported');
    if (problem !== undefined) throw referenceError(input, 'digest-invalid-format');
    raw.digest = digest;
  }
  return raw;
}

/**
 * Splits a bare name (no tag or digest) into domain and path by the grammar alone (distribution's
 * `WithName`): `foo.com:8080/bar` → `foo.com:8080` + `bar`, `short` → `''` + `short`.
 */
export function splitRepositoryName(name: string): { domain: string; path: string } {
  if (name.length > INPUT_MAX_LENGTH) throw referenceError(name, 'input-too-long');
  const match = ANCHORED_NAME_RE.exec(name);
  if (match === null) throw referenceError(name, name === '' ? 'name-empty' : 'invalid-format');
  const path = match[2] ?? '';
  if (path.length > REPOSITORY_MAX_LENGTH) throw referenceError(name, 'name-too-long');
  return { domain: match[1] ?? '', path };
}

/** Splits off the registry the way the docker CLI does (`splitDockerDomain`). */
function splitDockerDomain(input: string): { registry: string; remainder: string } {
  const slash = input.indexOf('/');
  let registry: string;
  let remainder: string;
  if (slash === -1) {
    registry = DOCKER_HUB_REGISTRY;
    remainder = input;
  } else {
    const first = input.slice(0, slash);
    // A host has a dot or a port, is localhost, or (as docker decides) contains an uppercase letter,
    // since a repository path component never may.
    const isHost = first === LOCALHOST || /[.:]/.test(first) || first.toLowerCase() !== first;
    registry = isHost ? first : DOCKER_HUB_REGISTRY;
    remainder = isHost ? input.slice(slash + 1) : input;
  }
  if (registry === LEGACY_HUB_REGISTRY) registry = DOCKER_HUB_REGISTRY;
  if (registry === DOCKER_HUB_REGISTRY && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { registry, remainder };
}

/**
 * Parses and normalizes a reference as `docker pull` does (distribution's `ParseNormalizedNamed`):
 * `busybox` → docker.io/library/busybox, `index.docker.io/x/y` → docker.io/x/y. Keeps a tag and a digest
 * when both are given. Adds no default tag (see `withDefaultTag`). Throws `INVALID_ARGUMENT` naming the
 * input and the problem (`details.reason` is a `ReferenceProblem`).
 */
export function parseReference(input: string): Reference {
  if (input.length > INPUT_MAX_LENGTH) throw referenceError(input, 'input-too-long');
  if (IDENTIFIER_RE.test(input)) throw referenceError(input, 'hex-identifier');
  const { registry, remainder } = splitDockerDomain(input);
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) throw referenceError(input, 'uppercase');
  let raw: RawReference;
  try {
    raw = parseRawReference(`${registry}/${remainder}`);
  } catch (error) {
    // Re-issue the error for what the user typed, not the string with the registry prepended.
    const reason = error instanceof CError ? (error.details.reason as ReferenceProblem) : 'invalid-format';
    throw referenceError(input, reason);
  }
  const ref: Reference = { registry: raw.domain, repository: raw.path };
  if (raw.tag !== undefined) ref.tag = raw.tag;
  if (raw.digest !== undefined) ref.digest = raw.digest;
  return ref;
}

/** A reference to a named image, or to content by digest alone (an image ID). */
export type AnyReference = { kind: 'named'; reference: Reference } | { kind: 'digest'; digest: string };

/**
 * Like distribution's `ParseAnyReference`: 64 lowercase hex digits or a bare `sha256:<hex>` are an image
 * ID (a digest), anything else is parsed with `parseReference`.
 */
export function parseAnyReference(input: string): AnyReference {
  if (IDENTIFIER_RE.test(input)) return { kind: 'digest', digest: `sha256:${input}` };
  if (digestProblem(input) === undefined) return { kind: 'digest', digest: input };
  return { kind: 'named', reference: parseReference(input) };
}

/** True when `input` is a valid reference (see `parseReference`). */
export function isReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}

/** `registry/repository` with no tag or digest: the name a registry API call uses. */
export function formatRepository(ref: Pick<Reference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The full form: `docker.io/library/busybox:latest`, `host:5000/a/b:t@sha256:…`. */
export function formatReference(ref: Reference): string {
  return formatRepository(ref) + suffix(ref);
}

/** Docker's short repository name: `busybox`, `user/app`, `localhost:5000/foo` (no tag or digest). */
export function familiarRepository(ref: Pick<Reference, 'registry' | 'repository'>): string {
  if (ref.registry !== DOCKER_HUB_REGISTRY) return formatRepository(ref);
  if (ref.repository.startsWith(OFFICIAL_PREFIX)) {
    const rest = ref.repository.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.repository;
}

/** Docker's short form, as `docker images` shows it: `busybox:latest`, `localhost:5000/foo:bar`. */
export function familiarName(ref: Reference): string {
  return familiarRepository(ref) + suffix(ref);
}

function suffix(ref: Reference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Adds the `latest` tag when the reference has neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  if (ref.tag !== undefined || ref.digest !== undefined) return { ...ref };
  return { ...ref, tag: DEFAULT_TAG };
}

/** A copy with `tag` set (validated). */
export function withTag(ref: Reference, tag: string): Reference {
  if (!ANCHORED_TAG_RE.test(tag)) throw referenceError(`${formatRepository(ref)}:${tag}`, 'tag-invalid-format');
  return { ...ref, tag };
}

/** A copy with `digest` set (validated). */
export function withDigest(ref: Reference, digest: string): Reference {
  const problem = digestProblem(digest);
  if (problem !== undefined) {
    const reason: ReferenceProblem =
      problem === 'invalid-length'
        ? 'digest-invalid-length'
        : problem === 'unsupported-algorithm'
          ? 'digest-unsupported'
          : 'digest-invalid-format';
    throw referenceError(`${formatRepository(ref)}@${digest}`, reason);
  }
  return { ...ref, digest };
}

/**
 * What identifies the content to fetch: the digest when there is one (it wins over the tag), else the tag,
 * else `latest`. This is the `<reference>` of `/v2/<name>/manifests/<reference>`.
 */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/**
 * The reference docker records for a pull (distribution's `ParseDockerRef`): name@digest when a digest is
 * given (the tag is dropped), else the name with its tag or `latest`.
 */
export function dockerReference(ref: Reference): Reference {
  if (ref.digest !== undefined) return { registry: ref.registry, repository: ref.repository, digest: ref.digest };
  return withDefaultTag(ref);
}

/** The host serving the registry API: Docker Hub's is `registry-1.docker.io`, others serve their own. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB_REGISTRY || registry === LEGACY_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

/** True when `value` is a registry host[:port] per the grammar (`localhost:5000`, `[::1]:5000`, `ghcr.io`). */
export function isRegistryHost(value: string): boolean {
  return value.length <= INPUT_MAX_LENGTH && ANCHORED_DOMAIN_RE.test(value);
}

/** True when `value` is a valid repository path (`library/busybox`), at most 255 characters. */
export function isRepositoryPath(value: string): boolean {
  return value.length <= REPOSITORY_MAX_LENGTH && ANCHORED_REMOTE_NAME_RE.test(value);
}

/** True when `value` is a valid tag. */
export function isTag(value: string): boolean {
  return ANCHORED_TAG_RE.test(value);
}
