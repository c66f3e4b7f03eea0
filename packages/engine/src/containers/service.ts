/**
 * ContainerService: the state of containers over the image store, the snapshotter and @c/runtime. The engine is
 * the parent of every container init (no per-container monitor process): it reads their stdout/stderr into the
 * json-file log, sees their exit (SIGCHLD, or Node's ChildProcess for an init), and records it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CError, isCError } from '@c/errors';
import { createSnapshotter, storeLayout, type ByteSource, type Mount, type Snapshotter } from '@c/layers';
import { IMAGE_ID_LABEL } from '../images/storage';
import { unpackLayers } from '../images/unpack';
import { linuxSyscalls, preloadSyscalls } from '@c/namespaces';
import {
  BuildThreads,
  InitProcess,
  StateStore,
  createContainer,
  defaultBuildWorkerScript,
  defaultCgroupsFactory,
  deleteContainer,
  killContainer,
  parseSignal,
  pauseContainer,
  runDirect,
  startContainer,
  stateOf,
  type CgroupsFactory,
  type ContainerCgroups,
  type CreatedContainer,
  type Spec,
  type DirectCreated,
  type DirectRunRequest,
  type Lifecycle,
  type InitChild,
  warmOwnCgroupMigration,
} from '@c/runtime';
import { parseBinds } from './binds';
import { hostConfigOf, mergeConfig } from './config';
import { commitContainer, type CommitOptions, type CommitResult, type CommitStores } from './commit';
import { EventBus } from './events';
import { openOutputFifos, reopenOutputFifos } from './output-fifos';
import { setTaps, type LogTarget } from './output-pump';
import { openPtyOutput } from './pty-output';
import { ContainerSizer, type ContainerSizes } from './sizes';
import { openStdinFifo } from './stdin-fifo';
import { checkTtySize, setProcessTtySize, setTtySize, type TtySize } from './tty-size';
import { ExecManager } from './exec';
import { HealthChecker } from './health';
import { Introspector, type ArchiveStat, type Change, type ContainerStats, type TopResult } from './introspect';
import { matchesFilters, validateFilters, type ContainerFilters } from './filters';
import type { ImagePort } from './image-port';
import { DEFAULT_LOG_MAX_FILE, DEFAULT_LOG_MAX_SIZE, parseByteSize, readJsonLog, type LogEntry, type LogStream, type ReadLogOptions } from './json-log';
import { canonicalName, generateName, nameConflict, newContainerId } from './names';
import { nextBackoff, shouldRestart } from './restart-policy';
import { InitPool } from './init-pool';
import { readRootfsFile } from './rootfs-files';
import { runtimeInitScript } from './runtime-paths';
import { buildSpec, containerCgroupsPath } from './spec';
import { ContainerRecordStore } from './store';
import { makeBundleDir, newRecord, ZERO_TIME, type EtcFiles } from './record';
import { summaryOf } from './summary';
import type { ContainerRecord, ContainerSummary, CreateContainerOptions, WaitCondition, WaitResult } from './types';

export { statusText, summaryOf } from './summary';
import { resolveUser } from './user';
import { ContainerNetworking, emptyNetworkSettings, type NetnsLookup } from './networking';
import type { NetworkService } from '../networks/service';
import type { PortMap } from '@c/network';
import type { EndpointRequest } from './types';

export interface ContainerServiceOptions {
  /** The store root (`storeLayout(root)`): containers live in `<root>/containers/<id>/`. */
  root: string;
  images: ImagePort;
  /** The stores `commit` writes new images into. */
  stores?: CommitStores;
  /** Default: the snapshotter `createSnapshotter(<root>/snapshots)` picks. */
  snapshotter?: Snapshotter;
  events?: EventBus;
  /** @c/runtime's state directory; default `<root>/runtime`. */
  runtimeRoot?: string;
  cgroups?: CgroupsFactory;
  /** The init script; default @c/runtime's dist/c-runtime-init.cjs (else .js). */
  initScript?: string;
  /**
   * The warm pool of pre-started inits (decision 0013): how many booted inits to keep ready (default 0: every
   * start spawns its init), and where spawn/boot failures of pooled inits go (starts then go on cold).
   */
  initPool?: { size: number; onError?: (error: unknown) => void; refillDelayMs?: number };
  /**
   * Start containers without a Node init where @c/runtime can (`runDirect`: the engine's main thread builds the
   * container, a tiny static PID 1 execs the process); default true. `$C_RUNTIME_DIRECT=0` also turns it off.
   * The init pool is only filled once a start has needed the init.
   */
  directStart?: boolean;
  /**
   * Build direct starts on this many worker threads instead of the event loop (decision 0016): the rootfs mounts,
   * namespaces and spawn of parallel starts then use the machine's other cores, and the loop stays free for
   * requests. Needs the default cgroups (the threads make their own) and @c/runtime's built
   * c-runtime-build-worker script; without either, or with size 0, starts build on the event loop. `onError`
   * hears of a thread that could not start (starts then build on the event loop).
   */
  buildThreads?: { size: number; onError?: (error: unknown) => void };
  /** How often a container the engine did not start itself (found running at restore) is checked for exit. */
  adoptPollMs?: number;
  now?: () => Date;
  /**
   * Container networking (bridge, user networks, published ports). Without it, containers default to `none`
   * (a namespace with only lo) and only `none`, `host` and `container:<ref>` are accepted.
   */
  network?: NetworkService;
}

export interface StartOptions {
  /** Receives the container's stdin when it was created with openStdin. */
  stdin?: Readable;
  /** Also copy the output here (attach). */
  stdout?: Writable;
  stderr?: Writable;
}

/** Exit code recorded for a container whose process ended while no engine was its parent. */
export const EXIT_CODE_UNKNOWN = 255;

interface Live {
  child?: InitChild;
  /** The output streams being logged (FIFO readers or the pty master). */
  outputs: Readable[];
  /** Resolves when the exit has been recorded. */
  exited: Promise<void>;
  /** Resolves once `start` has recorded the container as running (or failed): exits are recorded after it. */
  started: Promise<void>;
  startedAtMs: number;
  adoptTimer?: NodeJS.Timeout;
  /** Where attached stdin goes (the init's stdin pipe, or the pty master). */
  stdinSink?: Writable;
  /** The pty master of a tty container started by this engine (resize). */
  ptyMaster?: number;
  /** The cgroup of a container started by this engine (its OOM kills are read at exit). */
  cgroups?: ContainerCgroups;
  /** Whether this start connected networks (a `none`, `host` or `container:` mode connects none). */
  networked?: boolean;
}

/** Streams attached to a container (docker attach): output is copied to them, stdin read from them. */
export interface Attachment {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (result: WaitResult) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * A container snapshot or directory without a record is swept at open only once this old: younger, it may be a
 * create in flight in another process on this root.
 */
const ORPHAN_SNAPSHOT_GRACE_MS = 60_000;

function logTarget(record: ContainerRecord): LogTarget {
  const config = record.HostConfig.LogConfig.Config;
  return {
    path: record.LogPath,
    maxSize: config['max-size'] !== undefined ? parseByteSize(config['max-size']) : DEFAULT_LOG_MAX_SIZE,
    maxFile: config['max-file'] !== undefined ? Number(config['max-file']) : DEFAULT_LOG_MAX_FILE,
  };
}

/** Resolves when every stream has closed, or after `ms`. */
function drained(streams: readonly Readable[], ms: number): Promise<unknown> {
  return Promise.race([Promise.all(streams.map((s) => (s.closed || s.destroyed ? undefined : new Promise((r) => s.once('close', r))))), sleep(ms)]);
}

/**
 * EndpointsConfig as clients send it: the docker CLI names the mode's network even for `default`, `none` and
 * `host`; only real networks are kept, `default` being the bridge.
 */
function endpointRequests(endpoints: Record<string, EndpointRequest> | undefined): Record<string, EndpointRequest> {
  const out: Record<string, EndpointRequest> = {};
  for (const [network, request] of Object.entries(endpoints ?? {})) {
    if (network === 'none' || network === 'host' || network.startsWith('container:')) continue;
    out[network === 'default' ? 'bridge' : network] = structuredClone(request);
  }
  return out;
}

function notFound(input: string): CError {
  return new CError('NOT_FOUND', `No such container: ${input}`, { hint: 'list containers with `c ps -a`', details: { container: input } });
}

export class ContainerService {
  readonly events: EventBus;
  /** exec create/start/inspect. */
  readonly exec: ExecManager;
  private readonly introspector: Introspector;
  private readonly health: HealthChecker;
  private readonly records = new Map<string, ContainerRecord>();
  /** Names reserved by creates still in progress, as well as every record's name. */
  private readonly names = new Map<string, string>();
  private readonly live = new Map<string, Live>();
  /**
   * Each new container's spec as create wrote it to the bundle, until its first start hands it to the runtime
   * (no re-read and re-parse of the file just written); later starts read the bundle.
   */
  private readonly specs = new Map<string, Spec>();
  /** Containers whose exit deleted their runtime state and cgroup and that had no network to release. */
  private readonly exitCleaned = new Set<string>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** Snapshot deletions of removed containers still running (settled() waits for them). */
  private readonly snapshotRemovals = new Set<Promise<void>>();
  private readonly backoff = new Map<string, number>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly starting = new Map<string, Promise<void>>();
  private readonly attachments = new Map<string, Set<Attachment>>();
  private readonly store: ContainerRecordStore;
  private readonly lifecycle: Lifecycle;
  private readonly now: () => Date;
  private readonly networking: ContainerNetworking;
  private readonly initPool: InitPool<InitProcess> | undefined;
  /** Whether starts use (or have needed) the Node init: only then is the warm pool worth its memory and CPU. */
  private initNeeded: boolean;
  private readonly startCounts = { direct: 0, init: 0, threaded: 0 };
  private readonly buildThreads: BuildThreads | undefined;
  private closed = false;
  private sizer: ContainerSizer | undefined;

  private constructor(
    private readonly options: ContainerServiceOptions,
    readonly snapshotter: Snapshotter,
  ) {
    const layout = storeLayout(options.root);
    this.events = options.events ?? new EventBus();
    this.store = new ContainerRecordStore(layout.containers, (id, error) => this.reportBackgroundError('store_error', id, error));
    this.lifecycle = { store: new StateStore(options.runtimeRoot ?? join(layout.root, 'runtime')), cgroups: options.cgroups ?? defaultCgroupsFactory() };
    this.now = options.now ?? (() => new Date());
    this.networking = new ContainerNetworking(options.network);
    this.initNeeded = options.directStart === false || process.env.C_RUNTIME_DIRECT === '0';
    const pool = options.initPool;
    this.initPool =
      pool !== undefined && pool.size > 0
        ? new InitPool({
            size: pool.size,
            spawn: () => InitProcess.spawnPooled(linuxSyscalls, { initScript: this.initScript() }),
            ...(pool.onError ? { onError: pool.onError } : {}),
            ...(pool.refillDelayMs !== undefined ? { refillDelayMs: pool.refillDelayMs } : {}),
          })
        : undefined;
    this.buildThreads = this.openBuildThreads();
    this.exec = new ExecManager(this);
    this.introspector = new Introspector(this);
    this.health = new HealthChecker(this);
  }

  /** The store root this service works in. */
  get root(): string {
    return this.options.root;
  }

  /** Pre-started inits ready for the next starts (0 without a pool). */
  get warmInits(): number {
    return this.initPool?.idle ?? 0;
  }

  /**
   * How many starts went without a Node init (`direct`) and through one (`init`, pooled or cold); `threaded`: the
   * direct ones built on a build thread.
   */
  get startPaths(): { direct: number; init: number; threaded: number } {
    return { ...this.startCounts };
  }

  private openBuildThreads(): BuildThreads | undefined {
    const wanted = this.options.buildThreads;
    if (wanted === undefined || wanted.size <= 0 || this.options.directStart === false || this.options.cgroups !== undefined) return undefined;
    let script: string;
    try {
      script = defaultBuildWorkerScript();
    } catch (error) {
      wanted.onError?.(error);
      return undefined;
    }
    const threads = new BuildThreads({ size: wanted.size, script, ...(wanted.onError ? { onError: wanted.onError } : {}) });
    // Each thread loads the runtime and koffi once: now, not on the first start.
    threads.warm();
    return threads;
  }

  private initScript(): string {
    return this.options.initScript ?? runtimeInitScript();
  }

  /** Opens the service over a root: loads every record and reconciles it with what is really running. */
  static async open(options: ContainerServiceOptions): Promise<ContainerService> {
    preloadSyscalls();
    const snapshotter = options.snapshotter ?? (await createSnapshotter(storeLayout(options.root).snapshots));
    const service = new ContainerService(options, snapshotter);
    await service.restore();
    if (service.initNeeded) service.initPool?.fill();
    return service;
  }

  // ---------------------------------------------------------------- create

  async create(options: CreateContainerOptions): Promise<ContainerRecord> {
    return (await this.createRecord(options, true)).record;
  }

  /**
   * `create` for a caller that starts the container at once (c's run endpoints): returns before the record's
   * fsync, which then overlaps the start, and `durable` settles once the record is on disk. The caller must await
   * `durable` before it reports the container (its Id) to anyone; if `durable` rejects, it removes the container
   * (force) and reports the failure. The record is in place (page cache) before this returns: see `writeNew`.
   */
  async createForStart(options: CreateContainerOptions): Promise<{ record: ContainerRecord; durable: Promise<void> }> {
    return this.createRecord(options, false);
  }

  private async createRecord(options: CreateContainerOptions, awaitDurable: boolean): Promise<{ record: ContainerRecord; durable: Promise<void> }> {
    const id = newContainerId();
    // The container's directory first: if a crash cuts the create short, it names the cgroup made next as this
    // root's, and the next open removes both (`sweepAbandonedCreates`).
    if (!awaitDurable) mkdirSync(this.store.dir(id), { recursive: true, mode: 0o710 });
    const early = awaitDurable ? false : this.makeCgroupEarly(id);
    // A start moves the container's first process into its cgroup, and the first such move after a quiet spell
    // waits out an RCU grace period (6-9 ms here): begin that wait now, so it has passed when start comes.
    warmOwnCgroupMigration();
    try {
      return await this.createWithId(id, options, awaitDurable);
    } catch (error) {
      if (early) await this.removeCgroup(id).catch(() => undefined);
      if (!awaitDurable) {
        try {
          this.store.remove(id);
        } catch {
          // removed with its create's own clean-up
        }
      }
      throw error;
    }
  }

  private async createWithId(id: string, options: CreateContainerOptions, awaitDurable: boolean): Promise<{ record: ContainerRecord; durable: Promise<void> }> {
    const image = await this.options.images.resolve(options.image);
    const name = options.name !== undefined && options.name !== '' ? canonicalName(options.name) : generateName((n) => this.names.has(n));
    const holder = this.names.get(name);
    if (holder !== undefined) throw nameConflict(name, holder);
    this.names.set(name, id);
    const snapshotKey = `container-${id}`;
    let prepared = false;
    try {
      const config = mergeConfig(image.config.config, options.image, id, options);
      const hostConfig = hostConfigOf(options, this.networking.defaultMode);
      // Fails early for a missing network or a joined container that is not running.
      const netnsPlan = this.networking.plan(hostConfig.NetworkMode, this.netnsOf);
      // docker's -v creates a missing host directory.
      for (const bind of parseBinds(hostConfig.Binds ?? [])) if (!existsSync(bind.Source)) mkdirSync(bind.Source, { recursive: true });
      if (options.logMaxSize !== undefined) parseByteSize(options.logMaxSize);
      // The pull's unpack path: a no-op when the pull unpacked the image already.
      const unpacked = await unpackLayers({ layers: image.layers, diffIds: image.config.rootfs.diff_ids }, (layer) => this.options.images.open(layer), this.snapshotter);
      const dir = this.store.dir(id);
      const bundle = makeBundleDir(dir);
      // The snapshot's durable record (its fsyncs run on the thread pool) and the container's /etc files (the
      // network reads the host's resolv.conf) do not depend on each other: overlapped. The image label tells
      // image prune and df which image this container holds.
      const labels = { 'c.container.id': id, [IMAGE_ID_LABEL]: image.id };
      const preparing = this.snapshotter.prepare(snapshotKey, unpacked.chainId, { labels }).then((prepareMounts) => {
        prepared = true;
        return prepareMounts;
      });
      let mounts: Mount[];
      let files: EtcFiles;
      try {
        [mounts, files] = await Promise.all([preparing, this.networking.writeFiles({ Id: id, Name: name, Config: config, HostConfig: hostConfig }, dir)]);
      } catch (error) {
        await preparing.catch(() => undefined); // settled, so the clean-up below knows whether to remove it
        throw error;
      }
      const user = resolveUser(config.User, readRootfsFile(mounts, '/etc/passwd'), readRootfsFile(mounts, '/etc/group'));
      const spec = buildSpec({ id, config, hostConfig, rootfsMounts: mounts, user, files, rootPath: 'rootfs' });
      this.networking.applyToSpec(spec, netnsPlan);
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
      const record = newRecord({
        id,
        name,
        created: this.now(),
        imageId: image.id,
        config,
        hostConfig,
        dir,
        files,
        driver: this.snapshotter.driver,
        mounts,
        snapshotKey,
        parentChainId: unpacked.chainId,
      });
      record.NetworkSettings = emptyNetworkSettings();
      const endpoints = endpointRequests(options.endpoints);
      if (Object.keys(endpoints).length > 0) record.C.networks = endpoints;
      // Durable before create answers (for createForStart: before its caller reports the container, while the start
      // goes on); the fsync runs on the thread pool, not on this event loop.
      let durable: Promise<void>;
      if (awaitDurable) {
        await this.store.write(record);
        durable = Promise.resolve();
      } else {
        durable = this.store.writeNew(record);
        durable.catch(() => undefined); // the caller's to handle; never an unhandled rejection meanwhile
      }
      this.records.set(id, record);
      this.specs.set(id, spec);
      this.emit(record, 'create');
      return { record: structuredClone(record), durable };
    } catch (error) {
      this.names.delete(name);
      if (prepared) await this.snapshotter.remove(snapshotKey).catch(() => undefined);
      try {
        this.store.remove(id);
      } catch {
        // nothing was written
      }
      throw error;
    }
  }

  /**
   * For a container started at once: its cgroup directories (without limits: the start applies the spec's), made
   * before the migration warm-up in createRecord. That warm-up holds the kernel's cgroup_mutex for its whole RCU
   * grace period (7-11 ms here), and every cgroup mkdir waits for the mutex: made at the start, the directories
   * waited out the rest of that grace period; made first, the grace period passes during the create and the start
   * finds them. False (the start makes them) if they cannot be made now.
   */
  private makeCgroupEarly(id: string): boolean {
    try {
      this.lifecycle.cgroups(containerCgroupsPath(id)).prepare?.(undefined);
      return true;
    } catch {
      return false;
    }
  }

  /** A failure no request waits for (a record write, a snapshot deletion, an exit's clean-up, a restore), as an event. */
  private reportBackgroundError(action: 'store_error' | 'snapshot_error' | 'runtime_error' | 'network_error' | 'restore_error', id: string, error: unknown): void {
    this.events.emit('container', action, id, { error: error instanceof Error ? error.message : String(error) });
  }

  /**
   * Removes the container's cgroup if one is left without runtime state (a daemon killed between making the cgroup
   * and writing the state: the state's delete cannot find it). A few stat calls when there is none.
   */
  private async removeCgroup(id: string): Promise<void> {
    await this.lifecycle.cgroups(containerCgroupsPath(id)).destroy();
  }

  // ---------------------------------------------------------------- start / exit

  async start(input: string, stdio: StartOptions = {}): Promise<void> {
    const record = this.get(input);
    const id = record.Id;
    if (this.starting.has(id)) throw new CError('CONFLICT', `container ${id} is already being started`, { hint: 'wait for the other start to finish' });
    const starting = this.startLocked(record, stdio);
    this.starting.set(id, starting);
    try {
      await starting;
    } finally {
      this.starting.delete(id);
      // Never on the start's path: the pool boots its replacement after this start has returned.
      if (this.initNeeded) this.initPool?.refill();
    }
  }

  /** Waits for a start in flight (a restart policy's, or another caller's) so stop/remove act on its outcome. */
  private async settleStart(id: string): Promise<void> {
    await this.starting.get(id)?.catch(() => undefined);
  }

  private async startLocked(record: ContainerRecord, stdio: StartOptions): Promise<void> {
    const id = record.Id;
    if (record.State.Running) {
      if (record.State.Paused) throw new CError('CONFLICT', `cannot start a paused container, try unpause instead`, { hint: `c unpause ${id.slice(0, 12)}` });
      return;
    }
    if (record.State.Status === 'removing' || record.State.Status === 'dead') {
      throw new CError('CONFLICT', `container ${id} is marked for removal and cannot be started`, { hint: 'create a new container' });
    }
    const pendingRestart = this.restartTimers.get(id);
    if (pendingRestart) {
      clearTimeout(pendingRestart);
      this.restartTimers.delete(id);
    }
    const written = this.specs.get(id);
    this.specs.delete(id);
    this.exitCleaned.delete(id);
    // A runtime state left by a crash would make create fail with "exists" (a container this engine has just
    // created and never started has none: its id is new).
    if (written === undefined) await this.deleteRuntimeState(id);
    // Rewrites the bundle's spec for `container:<ref>` (then only the file is current).
    const rewritten = this.networking.refreshJoinedNamespace(record, join(this.store.dir(id), 'bundle'), this.netnsOf);
    const spec = rewritten ? undefined : written;
    const tty = record.Config.Tty;
    // The output worker reads and logs the FIFOs or the pty master (output-pump.ts), off the event loop.
    const fifos = tty ? undefined : openOutputFifos(this.store.dir(id), logTarget(record));
    // Not Node's 'pipe' (a socket): see stdin-fifo.ts for the deadlock a socket on fd 0 causes.
    const stdinFifo = record.Config.OpenStdin && !tty ? openStdinFifo(this.store.dir(id)) : undefined;
    let created: CreatedContainer;
    // Set when the container was built on this thread (runDirect) and waits for its "go" instead of exec.fifo.
    let direct: DirectCreated | undefined;
    try {
      const request = {
        id,
        bundle: join(this.store.dir(id), 'bundle'),
        store: this.lifecycle.store,
        sys: linuxSyscalls,
        cgroups: this.lifecycle.cgroups,
        stdio: [stdinFifo?.reader ?? 'ignore', fifos?.writers.stdout ?? 'ignore', fifos?.writers.stderr ?? 'ignore'] as NonNullable<DirectRunRequest['stdio']>,
        keepPtyMaster: tty,
      };
      // No Node process per container where the runtime can. On a build thread, or else on this event loop, which
      // it then blocks for the rootfs build (sync syscalls, a few ms); either thread returns to the daemon's
      // namespaces, root and cwd.
      const threads = this.buildThreads?.usable ? this.buildThreads : undefined;
      if (this.options.directStart !== false) direct = await (threads ?? { build: runDirect }).build({ ...request, spec, holdStart: true });
      if (direct === undefined) this.initNeeded = true;
      this.startCounts[direct === undefined ? 'init' : 'direct'] += 1;
      if (direct !== undefined && threads !== undefined) this.startCounts.threaded += 1;
      created =
        direct ??
        (await createContainer({
          ...request,
          initScript: this.initScript(),
          // A booted init from the warm pool when one is ready; createContainer spawns one otherwise.
          init: this.initPool?.take(),
        }));
    } catch (error) {
      fifos?.closeWriters();
      fifos?.readers.stdout.destroy();
      fifos?.readers.stderr.destroy();
      stdinFifo?.closeReader();
      stdinFifo?.writer.destroy();
      this.recordStartFailure(record, error);
      throw error;
    }
    // The container holds its own copies now; ours would keep the FIFOs from ever reaching EOF.
    fifos?.closeWriters();
    stdinFifo?.closeReader();
    const child = created.child;
    if (stdio.stdin || stdio.stdout || stdio.stderr) this.attach(id, stdio);
    let stdinSink: Writable | undefined;
    let outputs: Readable[];
    if (created.ptyMaster !== undefined) {
      // The output worker reads and logs the master too (pty-output.ts); we keep it for stdin and resize.
      const pty = openPtyOutput(created.ptyMaster, logTarget(record));
      outputs = this.pumpOutputs(id, { stdout: pty.reader });
      stdinSink = pty.writer;
    } else {
      outputs = this.pumpOutputs(id, fifos?.readers ?? {});
      if (stdinFifo) {
        // EPIPE once the container has exited (or closed its stdin) is not the engine's failure.
        stdinFifo.writer.on('error', () => undefined);
        stdinSink = stdinFifo.writer;
      }
    }
    let resolveExited!: () => void;
    let markStarted!: () => void;
    const live: Live = {
      child,
      outputs,
      exited: new Promise((r) => (resolveExited = r)),
      started: new Promise((r) => (markStarted = r)),
      startedAtMs: Date.now(),
      stdinSink,
      ...(created.ptyMaster !== undefined ? { ptyMaster: created.ptyMaster } : {}),
      cgroups: created.cgroups,
      networked: this.networking.connects(record),
    };
    this.live.set(id, live);
    this.tapOutputs(id);
    for (const a of this.attachments.get(id) ?? []) if (a.stdin && stdinSink) a.stdin.pipe(stdinSink);
    child.once('exit', (code, signal) => {
      void this.onExit(id, live, code, signal).finally(resolveExited);
    });
    try {
      // The init exists and waits for `start`: connect its namespace now, so the payload starts with its network.
      record.NetworkSettings = await this.networking.connect(record, created.record.pid, this.store.dir(id));
      if (direct !== undefined) direct.start();
      else await startContainer(this.lifecycle, id);
    } catch (error) {
      direct?.abandon();
      markStarted();
      try {
        process.kill(created.record.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      await live.exited;
      this.recordStartFailure(record, error);
      throw error;
    }
    record.State = {
      ...record.State,
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: created.record.pid,
      ExitCode: 0,
      Error: '',
      StartedAt: this.now().toISOString(),
      FinishedAt: ZERO_TIME,
    };
    if (record.State.Health) record.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    record.C.manuallyStopped = false;
    record.C.initStartTime = created.record.initStartTime;
    // No fsync on the start path: after a power loss nothing runs, and restore reconciles the record with that.
    this.store.save(record, { durable: false });
    this.emit(record, 'start');
    this.health.watch(record);
    // A fast process (`true`) may have exited already: its exit is recorded only now, after `start`.
    markStarted();
  }

  private recordStartFailure(record: ContainerRecord, error: unknown): void {
    record.State.Error = error instanceof Error ? error.message : String(error);
    if (record.State.Status !== 'created') record.State.Status = 'exited';
    record.State.ExitCode = isCError(error, 'NOT_FOUND') ? 127 : 128;
    record.State.Running = false;
    record.State.Pid = 0;
    if (this.records.has(record.Id)) this.store.save(record);
  }

  private async onExit(id: string, live: Live, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    await live.started;
    const exitCode = code ?? 128 + parseSignal(signal ?? 'SIGKILL');
    let oomKilled = false;
    try {
      oomKilled = (live.cgroups ?? this.lifecycle.cgroups(this.lifecycle.store.read(id).cgroupsPath)).oomKills() > 0;
    } catch {
      // no runtime state or no memory controller
    }
    // Three independent clean-ups, overlapped: the last output, the runtime state and cgroup, the network.
    await Promise.all([
      // Every process of the pid namespace died with its init, so the FIFOs reach EOF soon: wait for the last output.
      drained(live.outputs, 2000).then(() => {
        this.detachAll(id);
        // Our write side of the stdin FIFO: nobody reads it any more (a pty master is closed with the outputs).
        const stdinSink = live.stdinSink;
        if (stdinSink !== undefined && !live.outputs.some((output: unknown) => output === stdinSink)) stdinSink.destroy();
      }),
      // A failure here (a cgroup still busy) must not lose the exit: the state stays, and `remove` or the next
      // start deletes it again.
      this.deleteRuntimeState(id).then(
        () => {
          // Nothing left for a remove to clean up (an --rm container's, just below) unless a start comes first.
          if (live.networked === false) this.exitCleaned.add(id);
        },
        (error: unknown) => this.reportBackgroundError('runtime_error', id, error),
      ),
      live.networked === false ? this.forgetNetwork(id) : this.releaseNetwork(id),
    ]);
    this.recordExit(id, exitCode, oomKilled, '');
  }

  /** An ended container that connected no network: nothing to release (see `ContainerNetworking.connects`). */
  private async forgetNetwork(id: string): Promise<void> {
    const record = this.records.get(id);
    if (record !== undefined) record.NetworkSettings = emptyNetworkSettings();
  }

  /** Leases, ports, DNS names and veths of an ended container go (before a restart policy can start it again). */
  private async releaseNetwork(id: string): Promise<void> {
    await this.networking.disconnect(id).catch((error: unknown) => {
      this.reportBackgroundError('network_error', id, error);
    });
    const record = this.records.get(id);
    if (record !== undefined) record.NetworkSettings = this.networking.settingsOf(record);
  }

  private recordExit(id: string, exitCode: number, oomKilled: boolean, error: string): void {
    const record = this.records.get(id);
    this.live.delete(id);
    this.health.unwatch(id);
    if (record === undefined) return;
    const live = record.State;
    const ranForMs = live.StartedAt === ZERO_TIME ? 0 : this.now().getTime() - Date.parse(live.StartedAt);
    record.State = {
      ...live,
      Status: live.Status === 'removing' ? 'removing' : 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: oomKilled,
      Pid: 0,
      ExitCode: exitCode,
      Error: error,
      FinishedAt: this.now().toISOString(),
    };
    if (record.State.Health) record.State.Health = { ...record.State.Health, Status: 'unhealthy' };
    const settled = this.closed || record.State.Status === 'removing';
    const restart = !settled && shouldRestart(record.HostConfig.RestartPolicy, { exitCode, manuallyStopped: record.C.manuallyStopped, restartCount: record.RestartCount });
    const autoRemove = !settled && !restart && record.HostConfig.AutoRemove;
    // An auto-removed container's record is deleted just below: its exit is not written (a crash before the
    // removal leaves the running record; the next open finds the process gone and removes it, as here). Otherwise an
    // auto-removed one's exit is written without an fsync (it lives for milliseconds); any other is fsynced on the
    // thread pool, and its waiters answered once it is on disk (a crash cannot take it back).
    const written = autoRemove ? Promise.resolve() : this.store.write(record, { durable: !record.HostConfig.AutoRemove }).catch((error: unknown) => this.reportBackgroundError('store_error', id, error));
    if (oomKilled) this.emit(record, 'oom');
    this.emit(record, 'die', { exitCode: String(exitCode) });
    void written.then(() => this.settleWaiters(id, (w) => w.condition !== 'removed', { StatusCode: exitCode }));
    if (settled) return;
    if (restart) {
      const delay = nextBackoff(this.backoff.get(id) ?? 0, ranForMs);
      this.backoff.set(id, delay);
      record.State.Status = 'restarting';
      record.State.Restarting = true;
      this.store.save(record);
      const timer = setTimeout(() => {
        this.restartTimers.delete(id);
        const current = this.records.get(id);
        if (current === undefined || current.State.Status !== 'restarting') return;
        current.RestartCount += 1;
        this.start(id).catch((e: unknown) => {
          current.State.Status = 'exited';
          current.State.Restarting = false;
          current.State.Error = e instanceof Error ? e.message : String(e);
          if (this.records.has(id)) this.store.save(current);
        });
      }, delay);
      timer.unref();
      this.restartTimers.set(id, timer);
    } else if (autoRemove) {
      void this.remove(id, { force: true }).catch(() => undefined);
    }
  }

  private async deleteRuntimeState(id: string): Promise<void> {
    try {
      await deleteContainer(this.lifecycle, id, true);
    } catch (error) {
      if (!isCError(error, 'NOT_FOUND')) throw error;
    }
  }

  /** Copies output to every attachment (the output worker logs it); returns the streams being read. */
  private pumpOutputs(id: string, sources: Partial<Record<LogStream, Readable>>): Readable[] {
    const outputs: Readable[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = sources[stream];
      if (!source) continue;
      outputs.push(source);
      source.on('data', (chunk: Buffer) => {
        for (const a of this.attachments.get(id) ?? []) (stream === 'stdout' ? a.stdout : a.stderr)?.write(chunk);
      });
      source.on('error', () => undefined);
    }
    return outputs;
  }

  /**
   * Attaches streams to a created or running container until `detach()` or the container's exit: its output is
   * copied to `stdout`/`stderr` (with a tty everything is stdout), `stdin` is piped to its stdin when it was created
   * with openStdin. Attaching before `start` (as `docker run` does) sees the output from the first byte.
   * `closeStdin: false` (docker attach without StdinOnce) leaves the container's stdin open when `stdin` ends.
   */
  attach(input: string, streams: Attachment, options: { closeStdin?: boolean } = {}): { detach: () => void } {
    const record = this.get(input);
    const id = record.Id;
    const set = this.attachments.get(id) ?? new Set<Attachment>();
    this.attachments.set(id, set);
    const attachment: Attachment = { ...streams };
    if (!record.Config.OpenStdin) delete attachment.stdin;
    set.add(attachment);
    this.tapOutputs(id);
    const sink = this.live.get(id)?.stdinSink;
    if (attachment.stdin && sink) attachment.stdin.pipe(sink, { end: options.closeStdin !== false });
    return {
      detach: () => {
        set.delete(attachment);
        this.tapOutputs(id);
        const current = this.live.get(id)?.stdinSink;
        if (attachment.stdin && current) attachment.stdin.unpipe(current);
      },
    };
  }

  /**
   * docker's resize: the size of a running tty container's terminal (TIOCSWINSZ on the pty master; for a container
   * adopted from an earlier engine, on its init's stdin). A container without a tty has nothing to resize.
   */
  resize(input: string, size: TtySize): void {
    const record = this.get(input);
    checkTtySize(size);
    if (!record.State.Running) throw new CError('CONFLICT', `Container ${record.Id} is not running`, { hint: 'start it first' });
    if (!record.Config.Tty) return;
    const live = this.live.get(record.Id);
    if (live?.ptyMaster !== undefined) {
      // The master closes with the container's exit (its writer is destroyed): nothing left to resize.
      if (!live.stdinSink?.destroyed) setTtySize(live.ptyMaster, size);
    } else setProcessTtySize(record.State.Pid, size);
  }

  private detachAll(id: string): void {
    const set = this.attachments.get(id);
    if (!set) return;
    for (const a of set) a.stdin?.unpipe();
    this.attachments.delete(id);
    this.tapOutputs(id);
  }

  /** Output reaches this process only while someone is attached (the output worker logs it either way). */
  private tapOutputs(id: string): void {
    setTaps(this.live.get(id)?.outputs ?? [], (this.attachments.get(id)?.size ?? 0) > 0);
  }

  // ---------------------------------------------------------------- signals

  async stop(input: string, timeoutSeconds?: number): Promise<void> {
    const record = this.get(input);
    const id = record.Id;
    this.cancelRestart(record);
    await this.settleStart(id);
    record.C.manuallyStopped = true;
    const live = this.live.get(id);
    if (!record.State.Running || live === undefined) {
      this.store.save(record);
      return;
    }
    const timeout = timeoutSeconds ?? record.Config.StopTimeout ?? 10;
    const signal = parseSignal(record.Config.StopSignal ?? 'SIGTERM');
    if (record.State.Paused) await this.thaw(id);
    this.signalInit(id, signal);
    const stopped = await Promise.race([live.exited.then(() => true), sleep(Math.max(0, timeout) * 1000).then(() => false)]);
    if (!stopped) {
      this.emit(record, 'kill', { signal: '9' });
      this.signalInit(id, 9, true);
      await live.exited;
    }
    this.emit(record, 'stop');
  }

  async kill(input: string, signal = 'SIGKILL'): Promise<void> {
    const record = this.get(input);
    const number = parseSignal(signal);
    if (!record.State.Running) {
      throw new CError('CONFLICT', `Cannot kill container: ${record.Id}: Container ${record.Id} is not running`, { hint: 'start it first' });
    }
    this.emit(record, 'kill', { signal: String(number) });
    this.signalInit(record.Id, number, number === 9);
  }

  async restart(input: string, timeoutSeconds?: number): Promise<void> {
    const record = this.get(input);
    await this.stop(record.Id, timeoutSeconds);
    await this.start(record.Id);
    this.emit(record, 'restart');
  }

  async pause(input: string): Promise<void> {
    const record = this.get(input);
    if (!record.State.Running) throw new CError('CONFLICT', `Container ${record.Id} is not running`, { hint: 'start it first' });
    if (record.State.Paused) throw new CError('CONFLICT', `Container ${record.Id} is already paused`, { hint: 'unpause it' });
    await pauseContainer(this.lifecycle, record.Id, true);
    record.State.Paused = true;
    record.State.Status = 'paused';
    this.store.save(record);
    this.emit(record, 'pause');
  }

  async unpause(input: string): Promise<void> {
    const record = this.get(input);
    if (!record.State.Paused) throw new CError('CONFLICT', `Container ${record.Id} is not paused`, { hint: 'only a paused container can be unpaused' });
    await this.thaw(record.Id);
    this.emit(record, 'unpause');
  }

  private async thaw(id: string): Promise<void> {
    await pauseContainer(this.lifecycle, id, false);
    const record = this.records.get(id);
    if (record) {
      record.State.Paused = false;
      if (record.State.Running) record.State.Status = 'running';
      this.store.save(record);
    }
  }

  private signalInit(id: string, signal: number, all = false): void {
    try {
      killContainer(this.lifecycle, id, signal, all);
    } catch (error) {
      // Exited meanwhile: the exit handler records it.
      if (!isCError(error, 'CONFLICT') && !isCError(error, 'NOT_FOUND') && (error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  private cancelRestart(record: ContainerRecord): void {
    const timer = this.restartTimers.get(record.Id);
    if (timer) {
      clearTimeout(timer);
      this.restartTimers.delete(record.Id);
    }
    if (record.State.Status === 'restarting') {
      record.State.Status = 'exited';
      record.State.Restarting = false;
    }
  }

  // ---------------------------------------------------------------- wait / remove / rename

  async wait(input: string, condition: WaitCondition = 'not-running'): Promise<WaitResult> {
    const record = this.get(input);
    if (condition === 'not-running' && !record.State.Running && record.State.Status !== 'restarting') {
      return Promise.resolve({ StatusCode: record.State.ExitCode });
    }
    return new Promise((resolve) => {
      const list = this.waiters.get(record.Id) ?? [];
      list.push({ condition, resolve });
      this.waiters.set(record.Id, list);
    });
  }

  private settleWaiters(id: string, which: (w: Waiter) => boolean, result: WaitResult): void {
    const list = this.waiters.get(id);
    if (!list) return;
    const remaining: Waiter[] = [];
    for (const w of list) {
      if (which(w)) w.resolve(result);
      else remaining.push(w);
    }
    if (remaining.length > 0) this.waiters.set(id, remaining);
    else this.waiters.delete(id);
  }

  async remove(input: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const record = this.get(input);
    const id = record.Id;
    if (record.State.Status === 'removing') return;
    if (record.State.Status === 'dead' && !options.force) {
      throw new CError('CONFLICT', `container ${id} is dead: its removal failed before (${record.State.Error})`, { hint: `retry with c rm -f ${id.slice(0, 12)}` });
    }
    if (record.State.Running && !options.force) {
      throw new CError(
        'CONFLICT',
        `You cannot remove a ${record.State.Paused ? 'paused' : 'running'} container ${id}. Stop the container before attempting removal or force remove`,
        { hint: `c stop ${id.slice(0, 12)}, or c rm -f ${id.slice(0, 12)}` },
      );
    }
    this.cancelRestart(record);
    await this.settleStart(id);
    record.C.manuallyStopped = true;
    const live = this.live.get(id);
    record.State.Status = 'removing';
    if (live !== undefined) {
      if (record.State.Paused) await this.thaw(id).catch(() => undefined);
      this.signalInit(id, 9, true);
      // An adopted container's exit is seen by its poll, which also closes its log.
      await live.exited;
      this.live.delete(id);
    }
    try {
      // Unless its exit did all of this already (an --rm container's remove comes right after it).
      if (live !== undefined || !this.exitCleaned.has(id)) {
        await this.deleteRuntimeState(id);
        // A cgroup whose runtime state was lost would be left behind by the state's delete.
        await this.removeCgroup(id);
        await this.networking.disconnect(id);
      }
    } catch (error) {
      // docker's "dead": removal failed half-way; another `remove -f` retries it.
      record.State.Status = 'dead';
      record.State.Dead = true;
      record.State.Running = false;
      record.State.Error = error instanceof Error ? error.message : String(error);
      this.store.save(record);
      throw error;
    }
    this.store.remove(id);
    this.records.delete(id);
    this.specs.delete(id);
    this.exitCleaned.delete(id);
    this.names.delete(record.Name);
    this.backoff.delete(id);
    this.emit(record, 'destroy');
    this.settleWaiters(id, () => true, { StatusCode: record.State.ExitCode });
    // The snapshot goes after the record: `wait?condition=removed` (what `docker run --rm` waits for) is answered
    // without waiting for the rootfs's deletion (1-10 ms of unlinks and the snapshotter's fsync here); `remove`
    // itself still returns once it is gone. The container is gone by then (record, name, waiters), so a failed
    // deletion is an event, not a failed remove; that snapshot, or one a crash cut short, belongs to no container
    // any more and the next open deletes it (sweepOrphanSnapshots).
    const deleting = this.snapshotter.remove(record.C.snapshotKey).catch((error: unknown) => {
      if (!isCError(error, 'NOT_FOUND')) this.reportBackgroundError('snapshot_error', id, error);
    });
    this.snapshotRemovals.add(deleting);
    try {
      await deleting;
    } finally {
      this.snapshotRemovals.delete(deleting);
    }
  }

  /** Deletes the container snapshots no record owns: left by a crash between a remove's two steps, or by a create. */
  private async sweepOrphanSnapshots(unreadable: ReadonlySet<string>): Promise<void> {
    const orphans: string[] = [];
    const now = Date.now();
    await this.snapshotter.walk((info) => {
      const match = /^container-([0-9a-f]{64})$/.exec(info.name);
      // A record that could not be read still owns its snapshot: that is the container's data. A young snapshot
      // may be a create in flight in another process on this root (its record is written just after).
      const young = now - Date.parse(info.created) < ORPHAN_SNAPSHOT_GRACE_MS;
      if (match && !young && !this.records.has(match[1]!) && !unreadable.has(match[1]!)) orphans.push(info.name);
    });
    for (const key of orphans) {
      await this.snapshotter.remove(key).catch((error: unknown) => this.reportBackgroundError('snapshot_error', key.slice('container-'.length), error));
    }
  }

  /** Directories of creates a crash cut short (no record) go, with the cgroup `createForStart` may have made. */
  private async sweepAbandonedCreates(): Promise<void> {
    for (const id of this.store.abandoned(ORPHAN_SNAPSHOT_GRACE_MS)) {
      try {
        await this.removeCgroup(id);
        this.store.remove(id);
      } catch (error) {
        this.reportBackgroundError('restore_error', id, error);
      }
    }
  }

  /** `container prune`: removes every stopped container (optionally only those matching `filters`). */
  async prune(filters: ContainerFilters = {}): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    validateFilters(filters);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const record of [...this.records.values()]) {
      if (record.State.Running || record.State.Status === 'restarting' || record.State.Status === 'removing') continue;
      if (!matchesFilters(record, filters)) continue;
      try {
        reclaimed += (await this.snapshotter.usage(record.C.snapshotKey)).size;
      } catch {
        // no snapshot left: nothing to count
      }
      await this.remove(record.Id);
      deleted.push(record.Id);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  rename(input: string, newName: string): void {
    const record = this.get(input);
    const name = canonicalName(newName);
    if (name === record.Name) {
      throw new CError('CONFLICT', `Renaming a container with the same name as its current name`, { hint: 'give a different name' });
    }
    const holder = this.names.get(name);
    if (holder !== undefined) throw nameConflict(name, holder);
    const old = record.Name;
    this.names.delete(old);
    this.names.set(name, record.Id);
    record.Name = name;
    this.store.save(record);
    this.emit(record, 'rename', { oldName: old });
  }

  // ---------------------------------------------------------------- queries

  /** By full id, name (with or without `/`), or unique id prefix. */
  inspect(input: string): ContainerRecord {
    const record = structuredClone(this.get(input));
    record.NetworkSettings ??= emptyNetworkSettings();
    return record;
  }

  /** `c port`: the container's published ports ("80/tcp" → bindings; null for exposed, unpublished ports). */
  ports(input: string): PortMap {
    return structuredClone(this.get(input).NetworkSettings?.Ports ?? {});
  }

  /**
   * `network connect`: a running container is attached at once (eth1…, /etc/hosts rewritten); a stopped one is
   * attached at its next start.
   */
  async connectNetwork(input: string, network: string, request: EndpointRequest = {}): Promise<void> {
    const service = this.options.network;
    if (service === undefined) throw new CError('UNSUPPORTED', 'this engine was opened without networking', { hint: 'open the engine with a NetworkService' });
    const record = this.get(input);
    const target = service.inspect(network);
    const mode = record.HostConfig.NetworkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
      throw new CError('CONFLICT', `container ${record.Id.slice(0, 12)} uses network mode ${mode} and cannot be connected to ${target.Name}`, {
        hint: 'create the container on a bridge network',
      });
    }
    if (record.State.Running && record.State.Pid > 0) {
      await service.connect({
        containerId: record.Id,
        containerName: record.Name,
        netnsPath: `/proc/${record.State.Pid}/ns/net`,
        network: target.Id,
        ...(request.aliases && request.aliases.length > 0 ? { aliases: request.aliases } : {}),
        ...(request.ipv4Address ? { ipv4Address: request.ipv4Address } : {}),
      });
      await this.networking.writeFiles(record, this.store.dir(record.Id));
      record.NetworkSettings = this.networking.settingsOf(record, `/proc/${record.State.Pid}/ns/net`);
    }
    record.C.networks = { ...record.C.networks, [target.Name]: request };
    this.store.save(record);
  }

  /** `network disconnect`: detaches a running container now and forgets the network for its next starts. */
  async disconnectNetwork(input: string, network: string): Promise<void> {
    const service = this.options.network;
    if (service === undefined) throw new CError('UNSUPPORTED', 'this engine was opened without networking', { hint: 'open the engine with a NetworkService' });
    const record = this.get(input);
    const target = service.inspect(network);
    const connected = record.NetworkSettings?.Networks[target.Name] !== undefined;
    const remembered = record.C.networks?.[target.Name] !== undefined;
    if (!connected && !remembered && record.HostConfig.NetworkMode !== target.Name) {
      throw new CError('NOT_FOUND', `container ${record.Id.slice(0, 12)} is not connected to network ${target.Name}`, { hint: `see c inspect ${record.Id.slice(0, 12)}` });
    }
    if (connected) await service.disconnect(record.Id, target.Id);
    if (record.C.networks) delete record.C.networks[target.Name];
    // docker: disconnecting the mode's own network leaves the container on none until it is connected again.
    if (record.HostConfig.NetworkMode === target.Name || (target.Name === 'bridge' && record.HostConfig.NetworkMode === 'default')) {
      record.HostConfig.NetworkMode = 'none';
    }
    if (record.State.Running) record.NetworkSettings = this.networking.settingsOf(record, `/proc/${record.State.Pid}/ns/net`);
    this.store.save(record);
  }

  /** A running container's network namespace (for `--network container:<ref>`). */
  private readonly netnsOf: NetnsLookup = (ref) => {
    let record: ContainerRecord;
    try {
      record = this.get(ref);
    } catch {
      return undefined;
    }
    if (!record.State.Running || record.State.Pid <= 0) return undefined;
    // A joining container (--network container:<ref>) shares these too, as with docker.
    const files = { hostname: record.HostnamePath, hosts: record.HostsPath, resolvConf: record.ResolvConfPath };
    return { id: record.Id, path: `/proc/${record.State.Pid}/ns/net`, hostname: record.Config.Hostname, domainname: record.Config.Domainname, files };
  };

  list(options: { all?: boolean; filters?: ContainerFilters } = {}): ContainerSummary[] {
    const filters = options.filters ?? {};
    validateFilters(filters);
    const out: ContainerSummary[] = [];
    for (const record of this.records.values()) {
      if (!options.all && !record.State.Running && !(filters.status?.length)) continue;
      if (!matchesFilters(record, filters)) continue;
      out.push(summaryOf(record, this.now()));
    }
    return out.sort((a, b) => b.Created - a.Created);
  }

  logs(input: string, options: Omit<ReadLogOptions, 'isDone'> = {}): AsyncIterable<LogEntry> {
    const record = this.get(input);
    const id = record.Id;
    return readJsonLog(record.LogPath, { ...options, isDone: () => !this.live.has(id) && this.records.get(id)?.State.Status !== 'restarting' });
  }

  /** `docker top`: UID PID PPID CMD from /proc, or the host's `ps` with `psArgs` (docker's `ps_args`). */
  top(input: string, psArgs?: string): Promise<TopResult> {
    if (psArgs === undefined || psArgs.trim() === '') return Promise.resolve().then(() => this.introspector.top(input));
    return this.introspector.topWithPs(input, psArgs);
  }

  stats(input: string): ContainerStats {
    return this.introspector.stats(input);
  }

  changes(input: string): Promise<Change[]> {
    return this.introspector.changes(input);
  }

  /** docker's `size=1`: SizeRw (the writable layer's bytes) and SizeRootFs (that plus the image's layers). */
  size(input: string): Promise<ContainerSizes> {
    const record = this.get(input);
    this.sizer ??= new ContainerSizer(this.snapshotter);
    return this.sizer.sizes(record.C.snapshotKey, record.C.parentChainId);
  }

  /** `c export`: a tar of the container's filesystem. */
  export(input: string): Promise<Readable> {
    return this.introspector.export(input);
  }

  /** `c cp CTR:path -`: a tar of one path. */
  archiveGet(input: string, path: string): Promise<{ stat: ArchiveStat; tar: Readable }> {
    return this.introspector.archiveGet(input, path);
  }

  /** `c cp - CTR:dir`: extract a tar into a directory of the container. */
  archivePut(input: string, path: string, tar: ByteSource): Promise<void> {
    return this.introspector.archivePut(input, path, tar);
  }

  /** `c commit`: the container's changes as a new image layer (needs `stores` in the options). */
  async commit(input: string, options: CommitOptions): Promise<CommitResult> {
    const stores = this.options.stores;
    if (stores === undefined) throw new CError('UNSUPPORTED', 'this container service was opened without the image stores', { hint: 'pass stores: { content, images } to ContainerService.open' });
    return commitContainer(this, this.options.images, stores, input, options);
  }

  /** The runtime view used by exec, top and stats. */
  runtimeContext(input: string): { record: ContainerRecord; lifecycle: Lifecycle } {
    const record = this.get(input);
    if (!record.State.Running) throw new CError('CONFLICT', `Container ${record.Id} is not running`, { hint: 'start it first' });
    return { record, lifecycle: this.lifecycle };
  }

  /** Emits an event about a container (used by exec and health checks too). */
  emit(record: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.events.emit('container', action, record.Id, { ...record.Config.Labels, image: record.Config.Image, name: record.Name.slice(1), ...extra });
  }

  /** Ids of the containers created from an image (config digest): an image remove should refuse while any exist. */
  containersUsingImage(imageId: string): string[] {
    return [...this.records.values()].filter((r) => r.Image === imageId).map((r) => r.Id);
  }

  /** The directory of a container's record, logs and bundle. */
  recordDir(id: string): string {
    return this.store.dir(id);
  }

  /** Persists a record changed by a companion (health status). */
  save(record: ContainerRecord): void {
    if (this.records.get(record.Id) === record) this.store.save(record);
  }

  /** The live record (not a copy), for companions in this package. */
  get(input: string): ContainerRecord {
    const byId = this.records.get(input);
    if (byId) return byId;
    const byName = this.names.get(input.startsWith('/') ? input : `/${input}`);
    if (byName !== undefined) {
      const record = this.records.get(byName);
      if (record) return record;
    }
    if (/^[0-9a-f]{1,63}$/.test(input)) {
      const matches = [...this.records.keys()].filter((id) => id.startsWith(input));
      if (matches.length === 1) return this.records.get(matches[0]!)!;
      if (matches.length > 1) {
        throw new CError('INVALID_ARGUMENT', `multiple IDs found with provided prefix: ${input}`, { hint: 'give more digits of the id' });
      }
    }
    throw notFound(input);
  }

  // ---------------------------------------------------------------- restore / close

  private async restore(): Promise<void> {
    const unreadable = new Set<string>();
    const records = this.store.loadAll((id, error) => {
      unreadable.add(id);
      this.reportBackgroundError('restore_error', id, error);
    });
    for (const record of records) {
      this.records.set(record.Id, record);
      this.names.set(record.Name, record.Id);
    }
    await this.sweepOrphanSnapshots(unreadable);
    await this.sweepAbandonedCreates();
    for (const record of records) {
      const id = record.Id;
      let status: string | undefined;
      try {
        status = stateOf(this.lifecycle, id).status;
      } catch {
        status = undefined;
      }
      if (status === 'running' || status === 'paused') {
        if (!record.State.Running) {
          // Started by an engine that crashed before recording it: adopt it as running.
          record.State.Status = status === 'paused' ? 'paused' : 'running';
          record.State.Running = true;
        }
        this.adopt(record);
        continue;
      }
      if (record.State.Status === 'removing') {
        // A remove was interrupted: finish it.
        record.State.Status = 'exited';
        record.State.Running = false;
        await this.remove(id, { force: true }).catch(() => undefined);
        continue;
      }
      if (record.State.Running || record.State.Status === 'restarting') {
        // Ended while no engine was its parent: the exit status is lost.
        await this.deleteRuntimeState(id).catch(() => undefined);
        await this.releaseNetwork(id);
        this.recordExit(id, EXIT_CODE_UNKNOWN, false, 'the container exited while the engine was not running; its exit status is unknown');
      } else if (status === 'created' || status === 'stopped') {
        await this.deleteRuntimeState(id).catch(() => undefined);
      }
    }
  }

  /** Tracks a container whose init is not our child: poll until it is gone. */
  private adopt(record: ContainerRecord): void {
    const id = record.Id;
    let resolveExited!: () => void;
    const live: Live = {
      outputs: [],
      exited: new Promise((r) => (resolveExited = r)),
      started: Promise.resolve(),
      startedAtMs: Date.parse(record.State.StartedAt) || Date.now(),
    };
    // Its output FIFOs kept it writing while no engine ran; pick up the log where the last engine left it.
    const readers = record.Config.Tty ? undefined : reopenOutputFifos(this.store.dir(id), logTarget(record));
    if (readers) live.outputs = this.pumpOutputs(id, readers);
    live.adoptTimer = setInterval(() => {
      let status: string;
      try {
        status = stateOf(this.lifecycle, id).status;
      } catch {
        status = 'stopped';
      }
      if (status !== 'stopped') return;
      clearInterval(live.adoptTimer);
      void drained(live.outputs, 2000)
        .then(() => {
          this.detachAll(id);
          return this.deleteRuntimeState(id).finally(() => this.releaseNetwork(id));
        })
        .catch(() => undefined)
        .then(() => {
          if (this.live.get(id) === live) {
            this.recordExit(id, EXIT_CODE_UNKNOWN, false, 'the container was started by an earlier engine; its exit status is unknown');
          }
        })
        .finally(resolveExited);
    }, this.options.adoptPollMs ?? 500);
    live.adoptTimer.unref();
    this.live.set(id, live);
    this.health.watch(record);
  }

  /** Resolves once the record writes, directory and snapshot deletions still running in the background have finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.snapshotRemovals]);
    await this.store.settled();
  }

  /** Stops timers (containers keep running; a new service on the same root adopts them). */
  close(): void {
    this.closed = true;
    // Pooled inits belong to no container: they end with the engine, as do the build threads.
    this.initPool?.close();
    void this.buildThreads?.close();
    this.health.close();
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    for (const live of this.live.values()) {
      if (live.adoptTimer) clearInterval(live.adoptTimer);
      // Let go of the containers as if this engine had exited: they keep running and a new service adopts them.
      live.child?.removeAllListeners('exit');
      live.child?.unref();
      for (const output of live.outputs) output.destroy();
      live.stdinSink?.destroy();
    }
    this.live.clear();
  }
}

