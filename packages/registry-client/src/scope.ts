/**
 * Token scopes (`repository:library/busybox:pull,push`): merging, so one token covers every resource and
 * action a request needs, and a canonical form used as the token cache key.
 */

/** The scope a request on `repository` needs. */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** Merges scopes: actions on the same resource are united; the result is sorted (a stable cache key). */
export function mergeScopes(...groups: ReadonlyArray<readonly string[]>): string[] {
  const byResource = new Map<string, Set<string>>();
  const opaque = new Set<string>();
  for (const scope of groups.flat()) {
    for (const part of scope.split(' ')) {
      if (part === '') continue;
      const first = part.indexOf(':');
      const last = part.lastIndexOf(':');
      if (first < 0 || last === first) {
        opaque.add(part);
        continue;
      }
      const resource = part.slice(0, last);
      const actions = byResource.get(resource) ?? new Set<string>();
      for (const action of part.slice(last + 1).split(',')) if (action) actions.add(action);
      byResource.set(resource, actions);
    }
  }
  const merged = [...byResource].map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`);
  return [...merged, ...opaque].sort();
}
