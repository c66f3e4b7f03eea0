/**
 * What the container, exec and events routes need from the engine, as narrow structural interfaces over
 * `@c/engine`'s ContainerService (which satisfies ContainersBackend as it is); unit tests hand in fakes.
 */
import type { Readable, Writable } from 'node:stream';
import type {
  ArchiveStat,
  Change,
  CommitOptions,
  CommitResult,
  ContainerFilters,
  ContainerRecord,
  ContainerSizes,
  ContainerStats,
  ContainerSummary,
  CreateContainerOptions,
  EngineEvent,
  ExecCreateOptions,
  ExecInspect,
  LogEntry,
  ReadLogOptions,
  TopResult,
  TtySize,
  WaitCondition,
  WaitResult,
} from '@c/engine';

export interface ContainerStdio {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

export interface ExecBackend {
  create(container: string, options: ExecCreateOptions): string;
  inspect(execId: string): ExecInspect;
  start(execId: string, stdio?: ContainerStdio): Promise<{ stdout: Readable; stderr: Readable; exit: Promise<number> }>;
  /** The terminal size of a running tty exec (nothing for one without a tty). */
  resize(execId: string, size: TtySize): void | Promise<void>;
}

export interface EventsBackend {
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Events kept in memory at or after `sinceSeconds`, oldest first. */
  history(sinceSeconds?: number): EngineEvent[];
}

export interface ContainersBackend {
  create(options: CreateContainerOptions): Promise<ContainerRecord>;
  /**
   * `create` for a container started at once (c's run endpoints): returns before the record is durable; `durable`
   * settles once it is. The caller reports the container only after `durable`, and removes it if that rejects.
   * Without it the run endpoints use `create`.
   */
  createForStart?(options: CreateContainerOptions): Promise<{ record: ContainerRecord; durable: Promise<void> }>;
  start(id: string, stdio?: ContainerStdio): Promise<void>;
  /**
   * Attaches to a created or running container until `detach()` or its exit: live output from now on, stdin when
   * it was created with OpenStdin (`closeStdin: false` keeps the container's stdin open when `stdin` ends).
   */
  attach(id: string, stdio: ContainerStdio, options?: { closeStdin?: boolean }): { detach: () => void };
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  restart(id: string, timeoutSeconds?: number): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  wait(id: string, condition?: WaitCondition): Promise<WaitResult>;
  remove(id: string, options?: { force?: boolean; volumes?: boolean }): Promise<void>;
  rename(id: string, name: string): void;
  /** The terminal size of a running tty container (nothing for one without a tty). */
  resize(id: string, size: TtySize): void;
  inspect(id: string): ContainerRecord;
  /** docker's `size=1`: the writable layer's bytes, and that plus the image's layers. */
  size(id: string): Promise<ContainerSizes>;
  list(options?: { all?: boolean; filters?: ContainerFilters }): ContainerSummary[];
  logs(id: string, options?: Omit<ReadLogOptions, 'isDone'>): AsyncIterable<LogEntry>;
  /** `ps_args` runs the host's ps with docker's options (the engine's own columns without). */
  top(id: string, psArgs?: string): TopResult | Promise<TopResult>;
  stats(id: string): ContainerStats;
  changes(id: string): Promise<Change[]>;
  export(id: string): Promise<Readable>;
  archiveGet(id: string, path: string): Promise<{ stat: ArchiveStat; tar: Readable }>;
  archivePut(id: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void>;
  commit(id: string, options: CommitOptions): Promise<CommitResult>;
  readonly exec: ExecBackend;
  readonly events: EventsBackend;
}
