import { describe, expect, it } from 'vitest';
import type { ProgressMessage } from '@c/api';
import { PullProgressWriter, PushProgressWriter } from './progress';

const LAYER = 'aaaaaaaaaaaa';
const CONFIG = 'cccccccccccc';

describe('PullProgressWriter', () => {
  it('writes docker pull messages for the registry client events, skipping manifests and configs', () => {
    const out: ProgressMessage[] = [];
    let clock = 0;
    const writer = new PullProgressWriter((m) => out.push(m), () => clock);
    writer.start('library/busybox', 'latest');
    writer.event({ id: 'mmmmmmmmmmmm', status: 'done', current: 500, total: 500 }); // manifest
    writer.event({ id: LAYER, status: 'waiting', current: 0, total: 2000 });
    writer.event({ id: CONFIG, status: 'done', current: 300, total: 300 }); // config
    writer.event({ id: LAYER, status: 'downloading', current: 500, total: 2000 });
    clock = 50;
    writer.event({ id: LAYER, status: 'downloading', current: 900, total: 2000 }); // throttled
    clock = 200;
    writer.event({ id: LAYER, status: 'downloading', current: 2000, total: 2000 });
    writer.event({ id: LAYER, status: 'verifying', current: 2000, total: 2000 });
    writer.event({ id: LAYER, status: 'done', current: 2000, total: 2000 });
    writer.finish({ reference: 'busybox:latest', fullReference: 'docker.io/library/busybox:latest', digest: 'sha256:d', id: 'sha256:i', status: 'downloaded' });
    expect(out.map((m) => [m.status, m.id ?? null])).toEqual([
      ['Pulling from library/busybox', 'latest'],
      ['Pulling fs layer', LAYER],
      ['Downloading', LAYER],
      ['Downloading', LAYER],
      ['Verifying Checksum', LAYER],
      ['Download complete', LAYER],
      ['Pull complete', LAYER],
      ['Digest: sha256:d', null],
      ['Status: Downloaded newer image for busybox:latest', null],
    ]);
    expect(out[2]?.progressDetail).toEqual({ current: 500, total: 2000 });
    expect(out[2]?.progress).toMatch(/^\[=+>\s+\]/);
  });

  it('shows only "Already exists" for a layer held locally, and announces the others once downloads start', () => {
    const out: ProgressMessage[] = [];
    const writer = new PullProgressWriter((m) => out.push(m));
    const OTHER = 'bbbbbbbbbbbb';
    writer.event({ id: LAYER, status: 'waiting', current: 0, total: 5 });
    writer.event({ id: OTHER, status: 'waiting', current: 0, total: 5 });
    writer.event({ id: LAYER, status: 'exists', current: 5, total: 5 });
    writer.event({ id: OTHER, status: 'downloading', current: 5, total: 5 });
    writer.event({ id: OTHER, status: 'done', current: 5, total: 5 });
    writer.finish({ reference: 'x:latest', fullReference: 'x', digest: 'sha256:d', id: 'sha256:i', status: 'downloaded' });
    expect(out.map((m) => [m.status, m.id ?? null])).toEqual([
      ['Already exists', LAYER],
      ['Pulling fs layer', OTHER],
      ['Downloading', OTHER],
      ['Download complete', OTHER],
      ['Pull complete', OTHER],
      ['Digest: sha256:d', null],
      ['Status: Downloaded newer image for x:latest', null],
    ]);
  });

  it('honours an explicit kind and reports existing layers and up-to-date images', () => {
    const out: ProgressMessage[] = [];
    const writer = new PullProgressWriter((m) => out.push(m));
    const kinded = (kind: string, status: string) => ({ id: LAYER, status, current: 1, total: 1, kind });
    writer.event(kinded('config', 'waiting'));
    writer.event(kinded('layer', 'exists'));
    writer.finish({ reference: 'busybox:latest', fullReference: 'x', digest: 'sha256:d', id: 'sha256:i', status: 'up-to-date' });
    expect(out.map((m) => m.status)).toEqual(['Already exists', 'Digest: sha256:d', 'Status: Image is up to date for busybox:latest']);
  });
});

describe('PushProgressWriter', () => {
  it('writes docker push messages and the aux result', () => {
    const out: ProgressMessage[] = [];
    const writer = new PushProgressWriter((m) => out.push(m));
    writer.start('127.0.0.1:5000/busybox');
    writer.event({ id: LAYER, status: 'waiting', current: 0, total: 10 });
    writer.event({ id: LAYER, status: 'pushing', current: 10, total: 10 });
    writer.event({ id: LAYER, status: 'pushed', current: 10, total: 10 });
    writer.event({ id: CONFIG, status: 'exists', current: 0, total: 10 });
    writer.finish({ reference: 'r', repository: '127.0.0.1:5000/busybox', tag: 'latest', digest: 'sha256:m', size: 527 });
    expect(out.map((m) => m.status ?? null)).toEqual([
      'The push refers to repository [127.0.0.1:5000/busybox]',
      'Preparing',
      'Waiting',
      'Pushing',
      'Pushed',
      'Preparing',
      'Layer already exists',
      'latest: digest: sha256:m size: 527',
      null,
    ]);
    expect(out.at(-1)?.aux).toEqual({ Tag: 'latest', Digest: 'sha256:m', Size: 527 });
  });
});
