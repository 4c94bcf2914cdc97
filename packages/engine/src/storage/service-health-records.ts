import type { EpochMs } from './records.js';

/**
 * An open service-health episode: a `service.unhealthy` was written and its `service.healthy` has not been
 * yet. The row is the claim that keeps episodes single across engine processes (migration 17).
 */
export interface ServiceHealthEpisode {
  serviceId: string;
  projectId: string;
  /** Since when tasks had been waiting for the service while it was away. */
  awaySince: EpochMs;
  /** When the episode was declared (the `service.unhealthy` event's time). */
  unhealthySince: EpochMs;
}

export interface ServiceHealthRepo {
  /**
   * Opens an episode unless one is open: true when this call opened it (and so must write the event).
   * Atomic on its own (insert, or nothing on conflict), so two processes racing cannot both win.
   */
  open(episode: ServiceHealthEpisode): Promise<boolean>;
  /** Closes the service's open episode and returns it (the caller writes `service.healthy`), or undefined. */
  close(serviceId: string): Promise<ServiceHealthEpisode | undefined>;
  /** Whether an episode is open: a cheap read before a transaction that would close it. */
  isOpen(serviceId: string): Promise<boolean>;
}
