import { hostname } from 'node:os';
import type { SdkPayload, ServerMessage } from '@orra/protocol';
import pg from 'pg';
import type { ProgressNotice } from '../events/progress-signal.js';
import type { Logger } from '../logging/logger.js';
import { ServicePresence, type PresenceView } from '../services/service-presence.js';
import { quoteIdent } from '../storage/postgres/migrate-postgres.js';
import { notifyChannelFor } from '../storage/postgres/notify-channel.js';
import type { Store, TaskRecord } from '../storage/store.js';
import { CLUSTER_SQL as SQL } from './cluster-statements.js';
import {
  handleLocally,
  notifyConnected,
  notifySocketClosed,
  type Cluster,
  type ClusterParts,
  type LocalSockets,
} from './cluster.js';

export interface PostgresClusterOptions {
  nodeId: string;
  /** For the node's own session (LISTEN, and the liveness others see). */
  url: string;
  schema: string;
  /** How often this node looks for dead nodes to take work over from. */
  checkIntervalMs: number;
  /**
   * `local-first`: a service's messages go to this process's sockets of it when there are any, else to
   * another process holding one. `spread`: over every socket of the service in the cluster, weighted by
   * socket count, whichever process holds it.
   */
  routing: 'local-first' | 'spread';
  /** Routed messages nobody took within this long are dropped (the owner's timers have acted long since). */
  routedRetentionMs?: number;
  /** Counts takeovers and routed messages (Prometheus). */
  metrics?: ClusterMetrics;
  /** The node's session ended: others now own its work, so this process must stop working. */
  onSessionLost(err: Error): void;
  now?: () => number;
}

export interface ClusterMetrics {
  clusterTookOver(kind: 'orchestration' | 'compensation' | 'delivery', n: number): void;
  clusterRouted(direction: 'to_service' | 'to_owner'): void;
}

type Note =
  | { t: 's'; s: string; n: string } // a socket of service s opened or closed on node n
  | { t: 'd'; s: string; n: string | null } // a message for service s waits in cluster_dispatch
  | { t: 'i'; id: number; k: string } // a service message for the owner of key k waits in cluster_inbox
  | { t: 'n'; n: string } // node n left cleanly
  | { t: 'a'; o: string; ok: boolean } // the owner of orchestration o handled a forwarded abort
  | { t: 'e'; p: string } // project p's event log grew (sent by the event log's own SQL on commit)
  | { t: 'w' } // an endpoint's circuit breaker changed state (sent by the breaker's own SQL on commit)
  | { t: 'g'; n: string; p: string; o: string[] }; // orchestrations o of project p progressed on node n (not logged)

const CLAIM_BATCH = 64;
/** Inbox keys of operator aborts forwarded to an orchestration's owner (service keys never look like this). */
const ABORT_KEY = 'abort:';
/** How long an abort call waits for the owning process to answer. */
const ABORT_WAIT_MS = 10_000;
const INBOX_PAGE = 500;
/** Progress notes to other nodes are gathered this long, then sent one per project. */
const PROGRESS_FLUSH_MS = 50;
const PROGRESS_IDS_PER_NOTE = 100;
/**
 * The "socket id" the runners record for a message routed to another node. When that node no longer
 * holds a socket of the service (it died, or its sockets closed), the runners hear it as this socket
 * closing and send the message again, as they do when a local socket closes.
 */
export const remoteSocketId = (nodeId: string): string => `remote:${nodeId}`;

/**
 * Several engine processes on one PostgreSQL database (architecture §11).
 *
 * - Ownership: the process that creates an orchestration (or writes a compensation, or commits a webhook
 *   event) owns it; ownership columns default to the session's `orra.node`. A node is alive while its
 *   listening session is; when it dies PostgreSQL ends that session, and the next liveness check of any
 *   other node claims the dead node's in-flight orchestrations, active compensations and pending
 *   deliveries (FOR UPDATE SKIP LOCKED: each to exactly one node) and resumes them from storage. Timers
 *   (retries, timeouts, grace periods, TTLs) belong to their orchestration or compensation and are
 *   re-armed from their stored due times.
 * - Sockets: a connection registry (`service_sockets`) says which node holds which service socket;
 *   nodes hear of changes by NOTIFY and keep a per-service count of remote sockets.
 * - Sending: a message for a service goes to a local socket (local-first routing, the default) or, when
 *   there is none here (or with spread routing, in proportion to the sockets elsewhere), through
 *   `cluster_dispatch` to a node holding one, which claims it (SKIP LOCKED) and sends it.
 * - Receiving: a message whose idempotency key no local runner knows is stored in `cluster_inbox` before
 *   the service gets its ACK; the owner hears of it by NOTIFY and takes it. A new owner takes what waited
 *   for the old one after claiming its work.
 */
export class PostgresCluster implements Cluster {
  readonly nodeId: string;
  private session: pg.Client | undefined;
  private readonly channel: string;
  /** Service id → node id → sockets there (live nodes other than this one). */
  private readonly remote = new Map<string, Map<string, number>>();
  private readonly roundRobin = new Map<string, number>();
  private readonly claiming = new Map<string, boolean>();
  /** Abort calls waiting for the owner's answer, by orchestration id. */
  private readonly abortWaiters = new Map<string, Set<(ok: boolean) => void>>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private isCheckRequested = false;
  private checks = 0;
  private isClosed = false;
  private readonly progressPending = new Map<string, Set<string>>();
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly presences: ServicePresence;

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: Store,
    private readonly parts: ClusterParts & { hub: LocalSockets },
    private readonly log: Logger,
    private readonly options: PostgresClusterOptions,
  ) {
    this.nodeId = options.nodeId;
    this.channel = notifyChannelFor(options.schema);
    this.now = options.now ?? Date.now;
    this.presences = new ServicePresence(this.now);
  }

  presence(serviceId: string): PresenceView {
    return this.presences.view(serviceId, this.socketsOf(serviceId));
  }

  /** Sockets of the service here and on the other live nodes, as this node knows them. */
  private socketsOf(serviceId: string): number {
    let n = this.parts.hub.socketCount(serviceId);
    for (const count of this.remote.get(serviceId)?.values() ?? []) n += count;
    return n;
  }

  async start(): Promise<{ orchestrations: number; compensations: number }> {
    const session = new pg.Client({
      connectionString: this.options.url,
      application_name: 'orra-engine-node',
      // A half-open connection (the database's machine gone) must end this node's session on our side too.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      options: `-c search_path=${this.options.schema} -c orra.node=${this.nodeId}`,
    });
    await session.connect();
    this.session = session;
    session.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload) this.onNote(msg.payload);
    });
    session.on('error', (err) => this.lost(err));
    session.on('end', () => this.lost(new Error('the node session ended')));
    await session.query(`LISTEN ${quoteIdent(this.channel)}`);
    await session.query(SQL.register, [this.nodeId, hostname(), process.pid, this.now()]);
    await this.reloadRemoteSockets();
    const taken = await this.takeOver();
    this.timer = setInterval(() => this.requestCheck(), this.options.checkIntervalMs);
    this.timer.unref();
    this.log.info({ nodeId: this.nodeId, ...taken }, 'joined the engine cluster');
    return taken;
  }

  // ---- ServiceConnections (what the runners see) ----------------------------------------------------

  isConnected(serviceId: string): boolean {
    return this.parts.hub.isConnected(serviceId) || (this.remote.get(serviceId)?.size ?? 0) > 0;
  }

  /**
   * Spreads a service's messages over all its sockets in the cluster: local ones directly, the others
   * through cluster_dispatch to the node holding them (round-robin weighted by socket count).
   */
  send(serviceId: string, message: ServerMessage): string | undefined {
    const local = this.parts.hub.socketCount(serviceId);
    // local-first: a process's own sockets serve its orchestrations, and only a service with no socket
    // here is reached through another process (routing costs several database round trips per task).
    if (local > 0 && this.options.routing === 'local-first') return this.parts.hub.send(serviceId, message);
    const nodes = this.remote.get(serviceId);
    let remoteTotal = 0;
    for (const n of nodes?.values() ?? []) remoteTotal += n;
    if (local + remoteTotal === 0) return undefined;
    const slot = (this.roundRobin.get(serviceId) ?? 0) % (local + remoteTotal);
    this.roundRobin.set(serviceId, slot + 1);
    if (slot < local) return this.parts.hub.send(serviceId, message);
    let target: string | null = null;
    let at = local;
    for (const [node, n] of nodes ?? []) {
      at += n;
      if (slot < at) {
        target = node;
        break;
      }
    }
    this.route(serviceId, target, JSON.stringify(message), executionIdOf(message));
    return remoteSocketId(target as string);
  }

  /**
   * Aborts here when this process runs the orchestration; otherwise forwards the abort to its owner
   * through the inbox (durable: an owner that dies first leaves it to whoever takes over) and waits for
   * the owner's answer.
   */
  async abortOrchestration(orchestrationId: string, payload: unknown): Promise<boolean> {
    if (this.parts.runner.isRunning(orchestrationId))
      return this.parts.runner.abortOrchestration(orchestrationId, payload);
    const answer = new Promise<boolean>((resolve) => {
      let waiters = this.abortWaiters.get(orchestrationId);
      if (!waiters) this.abortWaiters.set(orchestrationId, (waiters = new Set()));
      const done = (ok: boolean) => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.abortWaiters.delete(orchestrationId);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), ABORT_WAIT_MS);
      waiters.add(done);
    });
    await this.pool.query(SQL.enqueueInbox, [
      ABORT_KEY + orchestrationId,
      '',
      JSON.stringify(payload),
      this.now(),
      this.channel,
    ]);
    return answer;
  }

  // ---- ServiceEvents (what the hub reports) ---------------------------------------------------------

  async handlePayload(serviceId: string, payload: SdkPayload): Promise<void> {
    if (payload.type === 'pong') return;
    const key = payload.idempotencyKey;
    if (!key || this.owns(key)) return handleLocally(this.parts, serviceId, payload);
    // Ended work (a late answer) or no work at all (refused) is handled here; only work still in flight
    // goes to its owner.
    const found = await this.parts.answers.find(key);
    if (!found || found.phase === 'ended') return handleLocally(this.parts, serviceId, payload, found);
    if (payload.type === 'task_status') return;
    // Another node owns it (or will, once it takes a dead node's work over): store it for them first,
    // so the service's ACK means the message is durable.
    await this.pool.query(SQL.enqueueInbox, [
      key,
      serviceId,
      JSON.stringify(payload),
      this.now(),
      this.channel,
    ]);
    this.options.metrics?.clusterRouted('to_owner');
  }

  onServiceConnected(serviceId: string, socketId: string): void {
    this.presences.observe(serviceId, this.socketsOf(serviceId));
    notifyConnected(this.parts, serviceId);
    this.run('register a socket', async () => {
      await this.pool.query(SQL.socketUp, [
        socketId,
        this.nodeId,
        serviceId,
        this.now(),
        this.channel,
        note({ t: 's', s: serviceId, n: this.nodeId }),
      ]);
      await this.claimDispatch(serviceId);
    });
  }

  onSocketClosed(serviceId: string, socketId: string): void {
    this.presences.observe(serviceId, this.socketsOf(serviceId));
    notifySocketClosed(this.parts, serviceId, socketId);
    if (this.isClosed) return;
    this.run('unregister a socket', () =>
      this.pool.query(SQL.socketDown, [
        socketId,
        this.channel,
        note({ t: 's', s: serviceId, n: this.nodeId }),
      ]),
    );
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.timer);
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    this.progressPending.clear();
    await this.checking;
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    try {
      await session.query(SQL.leave, [this.nodeId, this.channel, note({ t: 'n', n: this.nodeId })]);
    } catch (err) {
      this.log.warn({ err }, 'could not leave the cluster cleanly; others take over once the session ends');
    }
    await session.end().catch(() => undefined);
  }

  /**
   * Tells this process's streams at once, and the other processes by NOTIFY: coalesced over
   * PROGRESS_FLUSH_MS, one note per project naming the orchestrations that moved (at most
   * PROGRESS_IDS_PER_NOTE each, so a note stays far below NOTIFY's 8000-byte payload limit).
   */
  progress(projectId: string, notice: ProgressNotice): void {
    this.parts.progressHeard(projectId, notice);
    let ids = this.progressPending.get(projectId);
    if (!ids) this.progressPending.set(projectId, (ids = new Set()));
    ids.add(notice.orchestrationId);
    this.progressTimer ??= setTimeout(() => this.flushProgress(), PROGRESS_FLUSH_MS);
  }

  private flushProgress(): void {
    this.progressTimer = undefined;
    const pending = [...this.progressPending];
    this.progressPending.clear();
    for (const [p, ids] of pending) {
      const all = [...ids];
      for (let i = 0; i < all.length; i += PROGRESS_IDS_PER_NOTE) {
        const o = all.slice(i, i + PROGRESS_IDS_PER_NOTE);
        this.run('tell other nodes of progress', () => this.pool.query('SELECT pg_notify($1, $2)', [this.channel, note({ t: 'g', n: this.nodeId, p, o })]));
      }
    }
  }

  // ---- internals ------------------------------------------------------------------------------------

  private owns(key: string): boolean {
    if (key.startsWith(ABORT_KEY)) return this.parts.runner.isRunning(key.slice(ABORT_KEY.length));
    return this.parts.runner.owns(key) || this.parts.compensations.owns(key);
  }

  private onNote(text: string): void {
    let n: Note;
    try {
      n = JSON.parse(text) as Note;
    } catch {
      return;
    }
    switch (n.t) {
      case 's':
        if (n.n !== this.nodeId) this.run('refresh remote sockets', () => this.reloadRemoteSocketsOf(n.s));
        break;
      case 'd':
        if ((n.n === null || n.n === this.nodeId) && this.parts.hub.isConnected(n.s)) {
          this.run('claim routed messages', () => this.claimDispatch(n.s));
        }
        break;
      case 'i':
        if (this.owns(n.k)) this.run('take a routed result', () => this.takeInbox(n.id));
        break;
      case 'n':
        if (n.n !== this.nodeId) this.requestCheck(true);
        break;
      case 'e':
        this.parts.eventsCommitted(n.p);
        break;
      case 'w':
        // An endpoint's breaker changed state (recovered, resumed, enabled…) somewhere: look for due deliveries.
        this.parts.wakeWebhooks();
        break;
      case 'g':
        if (n.n !== this.nodeId) for (const o of n.o) this.parts.progressHeard(n.p, { orchestrationId: o, tasks: [] });
        break;
      case 'a':
        for (const done of [...(this.abortWaiters.get(n.o) ?? [])]) done(n.ok);
        break;
    }
  }

  private route(serviceId: string, target: string | null, message: string, executionId: string | null): void {
    this.options.metrics?.clusterRouted('to_service');
    this.run('route a message', () =>
      this.pool.query(SQL.enqueueDispatch, [
        serviceId,
        target,
        message,
        this.now(),
        this.channel,
        note({ t: 'd', s: serviceId, n: target }),
        executionId,
      ]),
    );
  }

  /** Sends what waits in cluster_dispatch for a service this node holds a socket of. */
  private async claimDispatch(serviceId: string): Promise<void> {
    if (this.claiming.has(serviceId)) {
      this.claiming.set(serviceId, true); // look again when the claim in progress ends
      return;
    }
    this.claiming.set(serviceId, false);
    try {
      for (;;) {
        if (!this.parts.hub.isConnected(serviceId) || this.isClosed) return;
        const { rows } = await this.pool.query<{ id: number; message: string; execution_id: string | null }>(
          SQL.claimDispatch,
          [serviceId, this.nodeId, CLAIM_BATCH, this.now()],
        );
        rows.sort((a, b) => Number(a.id) - Number(b.id));
        const sent: [string[], string[]] = [[], []];
        for (const row of rows) {
          const socketId = this.parts.hub.send(serviceId, JSON.parse(row.message) as ServerMessage);
          if (socketId === undefined) {
            // The socket closed meanwhile: leave it to any node that has one.
            this.route(serviceId, null, row.message, row.execution_id);
          } else if (row.execution_id) {
            sent[0].push(row.execution_id);
            sent[1].push(socketId);
          }
        }
        if (sent[0].length > 0) await this.pool.query(SQL.sentOn, sent);
        if (rows.length < CLAIM_BATCH && !this.claiming.get(serviceId)) return;
        this.claiming.set(serviceId, false);
      }
    } finally {
      this.claiming.delete(serviceId);
    }
  }

  private async takeInbox(id: number): Promise<void> {
    const { rows } = await this.pool.query<{ idempotency_key: string; service_id: string; payload: string }>(
      SQL.claimInbox,
      [id],
    );
    const row = rows[0];
    if (!row) return; // another node took it
    if (row.idempotency_key.startsWith(ABORT_KEY)) {
      const orchestrationId = row.idempotency_key.slice(ABORT_KEY.length);
      const ok = await this.parts.runner.abortOrchestration(orchestrationId, JSON.parse(row.payload));
      await this.pool.query('SELECT pg_notify($1, $2)', [
        this.channel,
        note({ t: 'a', o: orchestrationId, ok }),
      ]);
      return;
    }
    await handleLocally(this.parts, row.service_id, JSON.parse(row.payload) as SdkPayload);
  }

  /** Takes every waiting inbox message whose key this node now owns (after claiming a dead node's work). */
  private async drainInbox(): Promise<void> {
    for (let after = 0; ;) {
      const { rows } = await this.pool.query<{ id: number; idempotency_key: string }>(SQL.listInbox, [
        after,
        INBOX_PAGE,
      ]);
      for (const row of rows) if (this.owns(row.idempotency_key)) await this.takeInbox(Number(row.id));
      if (rows.length < INBOX_PAGE) return;
      after = Number(rows[rows.length - 1]!.id);
    }
  }

  /** Claims the work of nodes that are not alive and carries on with it. */
  private async takeOver(): Promise<{ orchestrations: number; compensations: number; deliveries: number }> {
    const orchestrationIds = (
      await this.pool.query<{ id: string }>(SQL.claimOrchestrations, [this.nodeId])
    ).rows.map((r) => r.id);
    const compensationIds = (
      await this.pool.query<{ id: string }>(SQL.claimCompensations, [this.nodeId])
    ).rows.map((r) => r.id);
    const deliveries = (await this.pool.query(SQL.claimDeliveries, [this.nodeId])).rowCount ?? 0;
    const records = [];
    for (const id of orchestrationIds) {
      const record = await this.store.orchestrations.getById(id);
      if (record) records.push(record);
    }
    const compensationRecords = [];
    for (const id of compensationIds) {
      const record = await this.store.compensations.get(id);
      if (record) compensationRecords.push(record);
    }
    const taskLists = new Map<string, TaskRecord[]>();
    for (const record of records) taskLists.set(record.id, await this.store.tasks.listByOrchestration(record.id));
    const executionIds = [
      ...[...taskLists.values()].flat().filter((t) => t.state === 'processing').map((t) => t.executionId),
      ...compensationRecords.filter((r) => r.status === 'processing').map((r) => r.executionId),
    ].filter((id): id is string => typeof id === 'string');
    const out = await this.attemptsOut(executionIds);
    const orchestrations = await this.parts.runner.resume(records, { tasks: taskLists, attemptsOut: out });
    const compensations = this.parts.compensations.resume(compensationRecords, out);
    await this.drainInbox();
    const m = this.options.metrics;
    m?.clusterTookOver('orchestration', orchestrations);
    m?.clusterTookOver('compensation', compensations);
    m?.clusterTookOver('delivery', deliveries);
    if (deliveries > 0) this.parts.wakeWebhooks();
    if (orchestrations + compensations + deliveries > 0) {
      this.log.info(
        { orchestrations, compensations, deliveries },
        'took over work from engine processes that are gone',
      );
    }
    return { orchestrations, compensations, deliveries };
  }

  /**
   * Attempts of a dead owner that are still out with a live node, as the socket id the runners record
   * them as sent to: they are not sent again (the service has them, or will), and their answers come
   * as for any other attempt. A request still waiting in cluster_dispatch is sent by whichever node
   * holding a socket of the service claims it.
   */
  private async attemptsOut(executionIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (executionIds.length === 0) return out;
    const { rows } = await this.pool.query<{ execution_id: string; how: string; node_id: string | null; socket_id: string }>(
      SQL.attemptsOut,
      [executionIds],
    );
    for (const row of rows) {
      const socketId =
        row.how === 'sent' && row.node_id === this.nodeId && row.socket_id !== ''
          ? row.socket_id
          : remoteSocketId(row.node_id ?? 'any');
      out.set(row.execution_id, socketId);
    }
    return out;
  }

  private requestCheck(isUrgent = false): void {
    if (this.isClosed) return;
    if (this.checking) {
      this.isCheckRequested = true;
      return;
    }
    this.checking = this.check(isUrgent)
      .catch((err: unknown) => this.log.warn({ err }, 'cluster liveness check failed'))
      .finally(() => {
        this.checking = undefined;
        if (this.isCheckRequested) {
          this.isCheckRequested = false;
          this.requestCheck(true);
        }
      });
  }

  /**
   * Looks for nodes whose session has ended. Their work is claimed first; their rows go only once a pass
   * finds nothing left to claim, so work another node skipped (it was claiming it) is never stranded.
   */
  private async check(isUrgent: boolean): Promise<void> {
    this.checks += 1;
    const dead = (await this.pool.query<{ id: string }>(SQL.deadNodes)).rows.map((r) => r.id);
    if (dead.length > 0 || isUrgent) {
      const taken = await this.takeOver();
      if (taken.orchestrations + taken.compensations + taken.deliveries === 0) {
        await this.pool.query(SQL.forgetDeadSockets);
        await this.pool.query(SQL.forgetDeadNodes);
      } else {
        this.isCheckRequested = true;
      }
      const retargeted = (await this.pool.query<{ service_id: string }>(SQL.retargetDeadDispatch)).rows;
      for (const s of new Set(retargeted.map((r) => r.service_id))) {
        if (this.parts.hub.isConnected(s)) await this.claimDispatch(s);
      }
      await this.reloadRemoteSockets();
    }
    // About once a minute at the default interval: drop routed messages nobody could take.
    if (this.checks % 60 === 0) {
      const before = this.now() - (this.options.routedRetentionMs ?? 3_600_000);
      await this.pool.query(SQL.pruneDispatch, [before]);
      await this.pool.query(SQL.pruneSent, [before]);
      await this.pool.query(SQL.pruneInbox, [before]);
    }
  }

  private async reloadRemoteSockets(): Promise<void> {
    const { rows } = await this.pool.query<{ service_id: string; node_id: string; n: number }>(
      SQL.remoteSockets,
      [this.nodeId],
    );
    const next = new Map<string, Map<string, number>>();
    for (const r of rows) {
      let nodes = next.get(r.service_id);
      if (!nodes) next.set(r.service_id, (nodes = new Map()));
      nodes.set(r.node_id, r.n);
    }
    for (const serviceId of new Set([...this.remote.keys(), ...next.keys()])) {
      this.replaceRemote(serviceId, next.get(serviceId));
    }
  }

  private async reloadRemoteSocketsOf(serviceId: string): Promise<void> {
    const { rows } = await this.pool.query<{ node_id: string; n: number }>(SQL.remoteSocketsOf, [
      this.nodeId,
      serviceId,
    ]);
    this.replaceRemote(serviceId, rows.length === 0 ? undefined : new Map(rows.map((r) => [r.node_id, r.n])));
  }

  /** Updates what this node knows of a service's sockets elsewhere, and tells the runners what changed. */
  private replaceRemote(serviceId: string, nodes: Map<string, number> | undefined): void {
    const before = this.remote.get(serviceId);
    if (nodes) this.remote.set(serviceId, nodes);
    else this.remote.delete(serviceId);
    this.presences.observe(serviceId, this.socketsOf(serviceId));
    // Messages routed to a node that holds no socket of the service any more may never have reached
    // it: the runners send them again (same idempotency key), as when a local socket closes.
    for (const node of before?.keys() ?? []) {
      if (nodes?.has(node)) continue;
      notifySocketClosed(this.parts, serviceId, remoteSocketId(node));
    }
    // A socket elsewhere is as good as one here: paused tasks for the service go out through it.
    if (!before && nodes) notifyConnected(this.parts, serviceId);
  }

  private lost(err: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.timer);
    this.log.error(
      { err, nodeId: this.nodeId },
      'lost the cluster session: other engine processes take this one’s work over',
    );
    this.options.onSessionLost(err);
  }

  /** Runs background cluster work; a failure is logged (the owner's timers retry what it affected). */
  private run(what: string, work: () => Promise<unknown>): void {
    work().catch((err: unknown) => {
      if (!this.isClosed) this.log.warn({ err }, `cluster: could not ${what}`);
    });
  }
}

/** The execution id of a task or compensation request (the attempt it is). */
function executionIdOf(message: ServerMessage): string | null {
  return message.type === 'task_request' || message.type === 'compensation_request' ? message.executionId : null;
}

function note(n: Note): string {
  return JSON.stringify(n);
}
