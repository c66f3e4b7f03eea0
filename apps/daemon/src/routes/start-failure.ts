import { CError, isCError } from '@c/errors';
import type { ContainerRecord } from '@c/engine';
import type { ContainersBackend } from '../containers/backend';

/**
 * dockerd's answer to a start that failed: an `--rm` container is removed (`docker run --rm` waits for
 * condition=removed after the error), and a missing executable is a 400 rather than a 404, which clients read as
 * "no such container". The docker CLI picks exit code 127 from the message (`executable file not found`).
 */
export async function startFailure(containers: ContainersBackend, record: ContainerRecord, error: unknown): Promise<unknown> {
  if (record.HostConfig.AutoRemove) await containers.remove(record.Id, { force: true }).catch(() => undefined);
  if (isCError(error, 'NOT_FOUND')) {
    return new CError('INVALID_ARGUMENT', error.message, { cause: error, hint: error.hint ?? 'check the command and the image' });
  }
  return error;
}
