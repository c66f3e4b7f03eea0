import { describe, expect, it } from 'vitest';
import { parseFilters, type ImageSummary } from '@c/api';
import { filterImageSummaries } from './filters';

const summary = (id: string, created: number, tags: string[]): ImageSummary => ({
  Id: `sha256:${id.repeat(64).slice(0, 64)}`,
  ParentId: '',
  RepoTags: tags,
  RepoDigests: tags.map((tag) => `${tag.replace(/:[^:/]+$/, '')}@sha256:${'d'.repeat(64)}`),
  Created: created,
  Size: 1,
  SharedSize: -1,
  Labels: null,
  Containers: -1,
});

const images = [
  summary('a', 300, ['busybox:latest', '127.0.0.1:5000/busybox:v1']),
  summary('b', 200, ['alpine:3.19']),
  summary('c', 100, []),
];
const run = (filters: string) => filterImageSummaries(images, parseFilters(filters));

describe('image list filters', () => {
  it('matches references by repo or repo:tag glob and narrows the tags shown', () => {
    expect(run('{"reference":{"busybox":true}}').map((s) => s.RepoTags)).toEqual([['busybox:latest']]);
    expect(run('{"reference":{"*:3.19":true}}').map((s) => s.RepoTags)).toEqual([['alpine:3.19']]);
    expect(run('{"reference":{"127.0.0.1:5000/*":true}}').map((s) => s.RepoTags)).toEqual([['127.0.0.1:5000/busybox:v1']]);
    expect(run('{"reference":{"nothing":true}}')).toEqual([]);
  });

  it('filters dangling images and by creation relative to another image', () => {
    expect(run('{"dangling":{"true":true}}').map((s) => s.Created)).toEqual([100]);
    expect(run('{"dangling":{"false":true}}').map((s) => s.Created)).toEqual([300, 200]);
    expect(run('{"before":{"busybox":true}}').map((s) => s.Created)).toEqual([200, 100]);
    expect(run('{"since":{"alpine:3.19":true}}').map((s) => s.Created)).toEqual([300]);
    expect(run('{"since":["cccc"]}').map((s) => s.Created)).toEqual([300, 200]);
  });

  it('refuses unknown keys, bad booleans, missing images and (for now) labels', () => {
    expect(() => run('{"until":{"1h":true}}')).toThrow("invalid filter 'until'");
    expect(() => run('{"dangling":{"maybe":true}}')).toThrow(/invalid filter 'dangling=maybe'/);
    expect(() => run('{"before":{"nope":true}}')).toThrow('No such image: nope');
    expect(() => run('{"label":{"a=b":true}}')).toThrow(/label filter/);
  });
});
