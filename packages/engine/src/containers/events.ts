/**
 * A bus of docker-shaped events (`docker events`): container create/start/die/stop/kill/destroy/rename/pause/
 * unpause/exec_create/exec_start/exec_die/health_status, and image pull/tag/untag/delete, which the image service
 * can emit into the same bus.
 */
import { EventEmitter } from 'node:events';

export interface EngineEvent {
  Type: 'container' | 'image' | 'network' | 'volume';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  /** Unix seconds. */
  time: number;
  timeNano: number;
  // docker's older flat fields, which some clients still read.
  status?: string;
  id?: string;
  from?: string;
}

export type EventListener = (event: EngineEvent) => void;

export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly recent: EngineEvent[] = [];

  constructor(private readonly keep = 1000) {
    // Every `events` client is a listener.
    this.emitter.setMaxListeners(0);
  }

  emit(type: EngineEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const event: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      event.status = action;
      event.id = id;
      if (attributes.image !== undefined) event.from = attributes.image;
    }
    this.recent.push(event);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    this.emitter.emit('event', event);
    return event;
  }

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Events kept in memory (for `events --since`), oldest first. */
  history(sinceSeconds = 0): EngineEvent[] {
    return this.recent.filter((e) => e.time >= sinceSeconds);
  }
}
