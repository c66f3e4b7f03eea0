/** Performs image-view mounts on the host with mount(8)/umount(8) (the engine's process is root). */
import { promisify } from 'node:util';
import type { Mount } from '@c/layers';
import type { MountPort } from './ports';

// node:child_process when a mount runs: a pull never loads it.
const run = async (file: string, args: string[]) => promisify((await import('node:child_process')).execFile)(file, args);

export const hostMounter: MountPort = {
  async mount(mount: Mount, target: string): Promise<void> {
    const options = mount.options.filter((o) => o !== 'rbind' && o !== 'bind');
    if (mount.type === 'bind') {
      // A bind mount ignores `ro` on the first call: it takes a remount to make it read-only.
      await run('mount', ['--bind', mount.source, target]);
      if (options.includes('ro')) {
        await run('mount', ['-o', 'remount,bind,ro', target]).catch(async (error: unknown) => {
          await run('umount', [target]).catch(() => undefined);
          throw error;
        });
      }
      return;
    }
    await run('mount', ['-t', mount.type, '-o', options.join(','), mount.source, target]);
  },
  async unmount(target: string): Promise<void> {
    try {
      await run('umount', [target]);
    } catch {
      // Busy (a shell cd'd into it): detach now, the kernel frees it when the last user leaves.
      await run('umount', ['-l', target]);
    }
  },
};
