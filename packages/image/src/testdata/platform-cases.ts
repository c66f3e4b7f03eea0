/**
 * containerd/platforms TestOnly (compare_test.go at the fetched snapshot): for a wanted platform, which
 * image platforms can run on it. The windows(10.0.17763) spelling is left out (c parses no OS versions).
 */
export const ONLY_CASES: Array<{ platform: string; matches: string[]; rejects: string[] }> = [
  {
    platform: 'linux/amd64',
    matches: ['linux/amd64', 'linux/386'],
    rejects: ['linux/amd64/v2', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/amd64/v2',
    matches: ['linux/amd64', 'linux/amd64/v1', 'linux/amd64/v2', 'linux/386'],
    rejects: ['linux/amd64/v3', 'linux/amd64/v4', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/386',
    matches: ['linux/386'],
    rejects: ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'windows/amd64',
    matches: ['windows/amd64'],
    rejects: ['linux/amd64', 'linux/arm/v7', 'linux/arm64', 'windows/arm'],
  },
  {
    platform: 'linux/arm/v8',
    matches: ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8'],
    rejects: ['linux/amd64', 'linux/arm/v4', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/arm/v7',
    matches: ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7'],
    rejects: ['linux/amd64', 'linux/arm/v4', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/arm/v6',
    matches: ['linux/arm/v5', 'linux/arm/v6'],
    rejects: ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/arm/v5',
    matches: ['linux/arm/v5'],
    rejects: ['linux/amd64', 'linux/arm', 'linux/arm/v4', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/arm/v4',
    matches: ['linux/arm/v4'],
    rejects: ['linux/amd64', 'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/arm64/v9.6',
    matches: [
      'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8',
      'linux/arm64/v8.1', 'linux/arm64/v8.2', 'linux/arm64/v8.3', 'linux/arm64/v8.4', 'linux/arm64/v8.5',
      'linux/arm64/v8.6', 'linux/arm64/v8.7', 'linux/arm64/v8.8', 'linux/arm64/v8.9', 'linux/arm64/v9',
      'linux/arm64/v9.0', 'linux/arm64/v9.1', 'linux/arm64/v9.2', 'linux/arm64/v9.3', 'linux/arm64/v9.4',
      'linux/arm64/v9.5', 'linux/arm64/v9.6',
    ],
    rejects: ['linux/amd64', 'linux/arm/v4', 'windows/amd64', 'windows/arm', 'linux/arm64/v8.10'],
  },
  {
    platform: 'linux/arm64/v9',
    matches: [
      'linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8',
      'linux/arm64/v8.1', 'linux/arm64/v8.2', 'linux/arm64/v8.3', 'linux/arm64/v8.4', 'linux/arm64/v8.5',
      'linux/arm64/v9', 'linux/arm64/v9.0',
    ],
    rejects: ['linux/amd64', 'linux/arm/v4', 'windows/amd64', 'windows/arm', 'linux/arm64/v8.6'],
  },
  {
    platform: 'linux/arm64/v8.1',
    matches: ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8', 'linux/arm64/v8.1'],
    rejects: ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
  },
  {
    platform: 'linux/arm64',
    matches: ['linux/arm', 'linux/arm/v5', 'linux/arm/v6', 'linux/arm/v7', 'linux/arm/v8', 'linux/arm64', 'linux/arm64/v8'],
    rejects: ['linux/amd64', 'linux/arm/v4', 'linux/arm/v9', 'linux/arm64/v9', 'windows/amd64', 'windows/arm'],
  },
];
