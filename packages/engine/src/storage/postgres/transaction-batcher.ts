/** One transaction body waiting to run, and how to report its outcome. */
export interface BatchUnit<Tx> {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Units in one batch at most, so one batch never holds its connection for long. */
const MAX_BATCH = 64;

/**
 * Group commit for PostgreSQL. Transactions requested in the same turn of the event loop are handed to
 * `run` together, which executes them in one database transaction (one BEGIN, one COMMIT, one WAL flush
 * for all: on a busy machine the round trips, not the SQL, are the cost). At most `maxInFlight` batches
 * run at once; requests arriving meanwhile wait and form the next, larger batch, so batches grow with
 * load. An idle store starts a transaction at once.
 */
export class TransactionBatcher<Tx> {
  private pending: BatchUnit<Tx>[] = [];
  private inFlight = 0;
  private isScheduled = false;

  constructor(
    private readonly run: (units: BatchUnit<Tx>[]) => Promise<void>,
    private readonly maxInFlight: number,
  ) {}

  submit<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      // Idle: start at once, a wait would only add latency. Busy: gather this turn's requests first.
      if (this.inFlight === 0 && !this.isScheduled) this.drain();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.isScheduled) return;
    this.isScheduled = true;
    setImmediate(() => {
      this.isScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
      const units = this.pending.splice(0, MAX_BATCH);
      this.inFlight++;
      // `run` settles every unit itself; a rejection here would be a bug in it, so fail the units loudly.
      void this.run(units)
        .catch((err: unknown) => units.forEach((u) => u.reject(err)))
        .finally(() => {
          this.inFlight--;
          if (this.pending.length > 0) this.schedule();
        });
    }
  }
}
