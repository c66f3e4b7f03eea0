/** Documents shaped like what real registries serve (digests are synthetic but well-formed). */
const hex = (c: string): string => c.repeat(64);

export const DOCKER_MANIFEST = {
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    size: 1457,
    digest: `sha256:${hex('a')}`,
  },
  layers: [
    {
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      size: 2152262,
      digest: `sha256:${hex('b')}`,
    },
  ],
};

export const OCI_MANIFEST_WITHOUT_MEDIA_TYPE = {
  schemaVersion: 2,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 581, digest: `sha256:${hex('c')}` },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 3, digest: `sha256:${hex('d')}` },
    {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
      size: 4,
      digest: `sha256:${hex('e')}`,
      annotations: { 'org.opencontainers.image.title': 'x' },
    },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar', size: 0, digest: `sha256:${hex('f')}` },
  ],
  annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
};

export const OCI_INDEX = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${hex('1')}`,
      size: 610,
      platform: { architecture: 'amd64', os: 'linux' },
    },
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${hex('2')}`,
      size: 610,
      platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
    },
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${hex('3')}`,
      size: 566,
      annotations: {
        'vnd.docker.reference.digest': `sha256:${hex('1')}`,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
      platform: { architecture: 'unknown', os: 'unknown' },
    },
  ],
};

export const DOCKER_MANIFEST_LIST = {
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
  manifests: [
    {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      size: 528,
      digest: `sha256:${hex('4')}`,
      platform: { architecture: 'amd64', os: 'linux' },
    },
    {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      size: 528,
      digest: `sha256:${hex('5')}`,
      platform: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.5329', 'os.features': ['win32k'] },
    },
  ],
};

/** A signed schema1 manifest as old registries served it. */
export const SCHEMA1_SIGNED = {
  schemaVersion: 1,
  name: 'library/hello-world',
  tag: 'latest',
  architecture: 'amd64',
  fsLayers: [{ blobSum: `sha256:${hex('6')}` }],
  history: [{ v1Compatibility: '{"id":"x"}' }],
  signatures: [{ header: { jwk: {}, alg: 'ES256' }, signature: 'sig', protected: 'prot' }],
};

/** An image config as `docker build` writes it, with Docker's nulls. */
export const DOCKER_CONFIG = {
  architecture: 'amd64',
  config: {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    Tty: false,
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    Cmd: ['sh'],
    Image: `sha256:${hex('7')}`,
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
    ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 30000000000, Retries: 3 },
    StopSignal: 'SIGTERM',
  },
  container: '0123',
  created: '2023-07-18T23:19:33.655005962Z',
  docker_version: '20.10.23',
  history: [
    { created: '2023-07-18T23:19:33.538571854Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
    { created: '2023-07-18T23:19:33.655005962Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
  ],
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [`sha256:${hex('8')}`] },
};

export const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
