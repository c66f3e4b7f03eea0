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
  ContainerStats,
  ContainerSummary,
  CreateContainerOptions,
  EngineEvent,
  ExecCreateOptions,
  ExecInspect,
  LogEntry,
  ReadLogOptions,
  TopResult,
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
}

export interface EventsBackend {
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Events kept in memory at or after `sinceSeconds`, oldest first. */
  history(sinceSeconds?: number): EngineEvent[];
}

export interface ContainersBackend {
  create(options: CreateContainerOptions): Promise<ContainerRecord>;
  start(id: string, stdio?: ContainerStdio): Promise<void>;
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  restart(id: string, timeoutSeconds?: number): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  wait(id: string, condition?: WaitCondition): Promise<WaitResult>;
  remove(id: string, options?: { force?: boolean; volumes?: boolean }): Promise<void>;
  rename(id: string, name: string): void;
  inspect(id: string): ContainerRecord;
  list(options?: { all?: boolean; filters?: ContainerFilters }): ContainerSummary[];
  logs(id: string, options?: Omit<ReadLogOptions, 'isDone'>): AsyncIterable<LogEntry>;
  top(id: string): TopResult;
  stats(id: string): ContainerStats;
  changes(id: string): Promise<Change[]>;
  export(id: string): Promise<Readable>;
  archiveGet(id: string, path: string): Promise<{ stat: ArchiveStat; tar: Readable }>;
  archivePut(id: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void>;
  commit(id: string, options: CommitOptions): Promise<CommitResult>;
  readonly exec: ExecBackend;
  readonly events: EventsBackend;
}
