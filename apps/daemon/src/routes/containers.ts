import { CError } from '@c/errors';
import type { Route } from '../http/router';

/**
 * Containers arrive with the runtime. Until then `POST /containers/create` must not be a 404: on a 404 the docker
 * CLI concludes the image is missing, pulls it and retries (`docker run` would print "Unable to find image …"
 * for an image that is present). Other container paths stay unknown (404), which is what "no such container"
 * means to the CLI as well.
 */
export function containerRoutes(): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/containers/create',
      handler: () => {
        throw new CError('UNSUPPORTED', 'this c daemon cannot create containers yet', {
          hint: 'images work (pull, push, tag, rmi, inspect); containers come with the runtime',
        });
      },
    },
  ];
}
