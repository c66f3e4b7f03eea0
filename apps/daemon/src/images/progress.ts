import { renderProgressBar, type ProgressMessage } from '@c/api';
import type { BackendPullResult, BackendPushResult, TransferEvent } from '../backends';

/** Events may say what the blob is; Docker's progress shows layers only. */
type KindedEvent = TransferEvent & { kind?: string };

/** Minimum time between two "Downloading"/"Pushing" lines of one layer, so a fast transfer does not flood the stream. */
const PROGRESS_INTERVAL_MS = 100;

function detailMessage(status: string, id: string, event?: TransferEvent): ProgressMessage {
  if (!event) return { status, progressDetail: {}, id };
  const detail = { current: event.current, total: event.total };
  return { status, progressDetail: detail, progress: renderProgressBar(detail), id };
}

/** Rate-limits progress lines per layer; the last line of a transfer (current = total) always passes. */
class Throttle {
  private readonly last = new Map<string, number>();
  constructor(private readonly now: () => number) {}
  pass(event: TransferEvent): boolean {
    const now = this.now();
    const previous = this.last.get(event.id);
    if (previous !== undefined && now - previous < PROGRESS_INTERVAL_MS && event.current < event.total) return false;
    this.last.set(event.id, now);
    return true;
  }
}

/**
 * Turns the engine's transfer events into Docker's pull messages: "Pulling from library/busybox", per layer
 * "Pulling fs layer" / "Waiting" / "Downloading" / "Verifying Checksum" / "Download complete" / "Pull complete"
 * (or "Already exists"), then "Digest: …" and "Status: …".
 */
export class PullProgressWriter {
  /** `pending`: announced by the engine, not shown yet (it may turn out to exist locally). */
  private readonly layers = new Map<string, 'pending' | 'shown' | 'downloaded' | 'exists'>();
  private readonly throttle: Throttle;

  constructor(
    private readonly write: (message: ProgressMessage) => void,
    now: () => number = () => performance.now(),
  ) {
    this.throttle = new Throttle(now);
  }

  /** `repository` is the path inside the registry (`library/busybox`); `tagOrDigest` names what is pulled. */
  start(repository: string, tagOrDigest: string): void {
    this.write({ status: `Pulling from ${repository}`, id: tagOrDigest });
  }

  /** Shows "Pulling fs layer" for every announced layer, as docker lists them all before the downloads. */
  private showPending(): void {
    for (const [id, state] of this.layers) {
      if (state !== 'pending') continue;
      this.layers.set(id, 'shown');
      this.write(detailMessage('Pulling fs layer', id));
    }
  }

  event(raw: TransferEvent): void {
    const event = raw as KindedEvent;
    if (event.kind !== undefined && event.kind !== 'layer') return;
    const state = this.layers.get(event.id);
    // Manifests and configs are reported done without being announced first: they are not layers, skip them.
    if (state === undefined && event.kind === undefined && event.status !== 'waiting') return;
    if (event.status === 'exists') {
      // Docker shows only "Already exists" for a layer it has: no "Pulling fs layer" first.
      this.layers.set(event.id, 'exists');
      this.write(detailMessage('Already exists', event.id));
      return;
    }
    if (state === undefined || state === 'pending') {
      if (event.status === 'waiting') {
        this.layers.set(event.id, 'pending');
        return;
      }
      this.layers.set(event.id, 'pending');
      this.showPending();
    }
    switch (event.status) {
      case 'waiting':
        this.write(detailMessage('Waiting', event.id));
        break;
      case 'downloading':
        if (this.throttle.pass(event)) this.write(detailMessage('Downloading', event.id, event));
        break;
      case 'verifying':
        this.write(detailMessage('Verifying Checksum', event.id));
        break;
      case 'done':
        this.layers.set(event.id, 'downloaded');
        this.write(detailMessage('Download complete', event.id));
        break;
      default:
        this.write(detailMessage(event.status, event.id));
    }
  }

  finish(result: BackendPullResult): void {
    this.showPending();
    for (const [id, state] of this.layers) {
      if (state === 'downloaded') this.write(detailMessage('Pull complete', id));
    }
    this.write({ status: `Digest: ${result.digest}` });
    this.write({
      status:
        result.status === 'up-to-date'
          ? `Status: Image is up to date for ${result.reference}`
          : `Status: Downloaded newer image for ${result.reference}`,
    });
  }
}

/**
 * Docker's push messages: "The push refers to repository [...]", per layer "Preparing" / "Waiting" / "Pushing" /
 * "Pushed" / "Layer already exists" / "Mounted from …", then "TAG: digest: … size: N" and the `aux` result.
 */
export class PushProgressWriter {
  private readonly seen = new Set<string>();
  private readonly throttle: Throttle;

  constructor(
    private readonly write: (message: ProgressMessage) => void,
    now: () => number = () => performance.now(),
  ) {
    this.throttle = new Throttle(now);
  }

  start(familiarRepository: string): void {
    this.write({ status: `The push refers to repository [${familiarRepository}]` });
  }

  event(raw: TransferEvent): void {
    const event = raw as KindedEvent;
    if (event.kind !== undefined && event.kind !== 'layer') return;
    if (!this.seen.has(event.id)) {
      this.seen.add(event.id);
      this.write(detailMessage('Preparing', event.id));
    }
    switch (event.status) {
      case 'waiting':
        this.write(detailMessage('Waiting', event.id));
        break;
      case 'pushing':
        if (this.throttle.pass(event)) this.write(detailMessage('Pushing', event.id, event));
        break;
      case 'pushed':
        this.write(detailMessage('Pushed', event.id));
        break;
      case 'exists':
        this.write(detailMessage('Layer already exists', event.id));
        break;
      case 'mounted':
        this.write(detailMessage('Mounted from another repository', event.id));
        break;
      default:
        this.write(detailMessage(event.status, event.id));
    }
  }

  finish(result: BackendPushResult): void {
    const tag = result.tag ?? result.digest;
    this.write({ status: `${tag}: digest: ${result.digest} size: ${result.size}` });
    this.write({ progressDetail: {}, aux: { Tag: result.tag ?? '', Digest: result.digest, Size: result.size } });
  }
}
