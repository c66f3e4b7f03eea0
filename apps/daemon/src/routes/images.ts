import type { ServerResponse } from 'node:http';
import { decodeRegistryAuth, parseFilters, progressError, type ProgressMessage } from '@c/api';
import { CError, isCError, toCError } from '@c/errors';
import {
  familiarName,
  familiarRepository,
  parseReference,
  withDigest,
  withTag,
  type Reference,
} from '@c/image';
import type { ImagesBackend } from '../backends';
import { statusForCode } from '../http-status';
import { queryFlag, sendJson, startJsonStream } from '../http/respond';
import type { RequestContext, Route } from '../http/router';
import { filterImageSummaries } from '../images/filters';
import { PullProgressWriter, PushProgressWriter } from '../images/progress';
import { toImageInspect, toImageSummaries } from '../images/shapes';

/** `/images/…`: list, inspect, pull (create), tag, remove, push. */
export function imageRoutes(images: ImagesBackend): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/images/json',
      handler: async ({ res, query }) => {
        const filters = parseFilters(query.get('filters'));
        sendJson(res, 200, filterImageSummaries(toImageSummaries(await images.list()), filters));
      },
    },
    { method: 'POST', pattern: '/images/create', handler: (context) => pull(images, context) },
    {
      method: 'GET',
      pattern: '/images/{name*}/json',
      handler: async ({ res, params }) => sendJson(res, 200, toImageInspect(await images.inspect(param(params, 'name')))),
    },
    {
      method: 'POST',
      pattern: '/images/{name*}/tag',
      handler: async ({ res, params, query }) => {
        const repo = query.get('repo');
        if (!repo) {
          throw new CError('INVALID_ARGUMENT', 'tag needs a repository: the repo query parameter is empty', {
            hint: 'POST /images/{name}/tag?repo=REPOSITORY&tag=TAG',
          });
        }
        const tag = query.get('tag');
        await images.tag(param(params, 'name'), tag ? `${repo}:${tag}` : repo);
        res.writeHead(201).end();
      },
    },
    { method: 'POST', pattern: '/images/{name*}/push', handler: (context) => push(images, context) },
    {
      method: 'DELETE',
      pattern: '/images/{name*}',
      handler: async ({ res, params, query }) =>
        sendJson(res, 200, await images.remove(param(params, 'name'), { force: queryFlag(query, 'force') })),
    },
  ];
}

function param(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (!value) throw new CError('INTERNAL', `route parameter ${name} is missing`);
  return value;
}

/**
 * Docker's `name` + `tag` query pair (pull's fromImage/tag, push's name/tag, import's repo/tag) as one reference:
 * a non-empty tag replaces the name's own tag or digest, and may itself be a digest (`sha256:…`), as in dockerd.
 */
export function joinReference(name: string, tag: string | null): Reference {
  const ref = parseReference(name);
  if (!tag) return ref;
  const base: Reference = { registry: ref.registry, repository: ref.repository };
  return tag.includes(':') ? withDigest(base, tag) : withTag(base, tag);
}

/**
 * A progress stream whose headers go out with the first message: an operation that fails before reporting
 * anything (no such manifest, no such local image) still gets a real HTTP status, as Docker does it.
 */
class LazyProgressStream {
  private writeLine: ((value: unknown) => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    /** Writes the opening line(s) through `write`, once, before the first message. */
    private readonly first: () => void,
  ) {}

  get started(): boolean {
    return this.writeLine !== undefined;
  }

  readonly write = (message: ProgressMessage): void => {
    if (!this.writeLine) {
      this.writeLine = startJsonStream(this.res);
      this.first();
    }
    this.writeLine(message);
  };

  /** Ends the stream: after it started, a failure becomes the final `{error, errorDetail}` line. */
  end(error?: unknown): void {
    if (error !== undefined && !this.started) throw error;
    if (error !== undefined) {
      const cerror = toCError(error);
      this.write({ ...progressError(cerror.message), errorDetail: { message: cerror.message, code: statusForCode(cerror.code) } });
    }
    this.res.end();
  }
}

/** Aborts the backend call when the client goes away (Ctrl-C of `docker pull`). */
function abortOnDisconnect(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new CError('CANCELLED', 'the client disconnected'));
  });
  return controller;
}

async function pull(images: ImagesBackend, context: RequestContext): Promise<void> {
  const { req, res, query } = context;
  if (query.get('fromSrc')) return importImage(images, context);
  const fromImage = query.get('fromImage');
  if (!fromImage) {
    throw new CError('INVALID_ARGUMENT', 'POST /images/create: the fromImage query parameter is empty', {
      hint: 'pull with POST /images/create?fromImage=NAME&tag=TAG',
    });
  }
  const ref = joinReference(fromImage, query.get('tag'));
  const reference = familiarName(ref);
  const auth = decodeRegistryAuth(header(req.headers['x-registry-auth']));
  const platform = query.get('platform') || undefined;
  const writer = new PullProgressWriter((message) => stream.write(message));
  const stream = new LazyProgressStream(res, () => writer.start(ref.repository, ref.tag ?? ref.digest ?? 'latest'));
  const controller = abortOnDisconnect(res);
  try {
    const result = await images.pull(reference, {
      ...(platform ? { platform } : {}),
      ...(auth ? { auth } : {}),
      onProgress: (event) => writer.event(event),
      signal: controller.signal,
    });
    writer.finish(result);
  } catch (error) {
    stream.end(stream.started ? error : pullAccessError(error, familiarRepository(ref)));
    return;
  }
  stream.end();
}

/**
 * Docker answers a pull the registry refused with 404 "pull access denied …", not 401: on a 401 the docker CLI
 * prompts for a login on stdin and retries, which hangs scripts. Other failures keep their own code.
 */
export function pullAccessError(error: unknown, repository: string): unknown {
  if (!isCError(error, 'UNAUTHORIZED') && !isCError(error, 'PERMISSION_DENIED')) return error;
  return new CError(
    'NOT_FOUND',
    `pull access denied for ${repository}, repository does not exist or may require 'docker login': ${error.message}`,
    { cause: error, hint: error.hint ?? 'log in to the registry first: docker login REGISTRY' },
  );
}

async function push(images: ImagesBackend, { req, res, params, query }: RequestContext): Promise<void> {
  const ref = joinReference(param(params, 'name'), query.get('tag'));
  const reference = familiarName(ref);
  const auth = decodeRegistryAuth(header(req.headers['x-registry-auth']));
  const writer = new PushProgressWriter((message) => stream.write(message));
  const stream = new LazyProgressStream(res, () => writer.start(familiarRepository(ref)));
  const controller = abortOnDisconnect(res);
  try {
    const result = await images.push(reference, {
      ...(auth ? { auth } : {}),
      onProgress: (event) => writer.event(event),
      signal: controller.signal,
    });
    writer.finish(result);
  } catch (error) {
    stream.end(error);
    return;
  }
  stream.end();
}

/**
 * `docker import`: POST /images/create?fromSrc=-&repo=&tag=&changes=&message= with the tarball as the body.
 * Docker answers with one progress line whose status is the new image ID.
 */
async function importImage(images: ImagesBackend, { req, res, query }: RequestContext): Promise<void> {
  const source = query.get('fromSrc');
  if (source !== '-') {
    throw new CError('UNSUPPORTED', `POST /images/create: importing from a URL (${source}) is not supported`, {
      hint: 'download the tarball yourself and send it as the request body with fromSrc=-',
    });
  }
  const repo = query.get('repo');
  if (!repo) {
    throw new CError('INVALID_ARGUMENT', 'POST /images/create: import needs a repository (the repo query parameter is empty)', {
      hint: 'name the image: docker import FILE NAME[:TAG]',
    });
  }
  const target = familiarName(joinReference(repo, query.get('tag')));
  const message = query.get('message');
  const platform = query.get('platform') || undefined;
  const result = await images.import(req, target, {
    changes: query.getAll('changes').filter((change) => change.trim() !== ''),
    sourceName: '-',
    ...(message ? { message } : {}),
    ...(platform ? { platform } : {}),
  });
  const write = startJsonStream(res);
  write({ status: result.id });
  res.end();
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
