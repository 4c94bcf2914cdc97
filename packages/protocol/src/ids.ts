import { randomFillSync, randomUUID } from 'node:crypto';

/** shortuuid's base57 alphabet, as used by orra for project, orchestration and execution ids. */
export const BASE57_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const LOWER_ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

// Ids are minted several times per task; one randomBytes call per id showed up in profiles, so random
// bytes come from a pool refilled 4 KiB at a time.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomByte(): number {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++] as number;
}

function randomString(alphabet: string, length: number): string {
  // Rejection sampling keeps every character uniformly distributed.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < limit) out += alphabet[byte % alphabet.length];
  }
  return out;
}

/** 22 base57 characters, the `<short>` part of orra ids. */
export function shortId(): string {
  return randomString(BASE57_ALPHABET, 22);
}

/**
 * 22 base57 characters that sort by creation time: 8 for the millisecond clock (base57 digits in the
 * alphabet's ascending order, fixed width, so byte order is time order), then 14 random (81 bits). Rows
 * keyed by these (an orchestration's tasks, journal, compensations, webhook events) are inserted at the
 * right edge of their indexes instead of all over them, so a commit dirties far fewer pages.
 */
export function sortableId(now = Date.now()): string {
  let t = Math.max(0, Math.floor(now));
  let head = '';
  for (let i = 0; i < 8; i++) {
    head = BASE57_ALPHABET[t % 57]! + head;
    t = Math.floor(t / 57);
  }
  return head + randomString(BASE57_ALPHABET, 14);
}

/** A project id: `p_` + 22 base57 characters. */
export const newProjectId = (): string => `p_${shortId()}`;
/** An orchestration id: `o_` + 22 base57 characters, time-ordered (see sortableId). */
export const newOrchestrationId = (): string => `o_${sortableId()}`;
/** A compensation id: `c_` + 22 base57 characters, time-ordered (see sortableId). */
export const newCompensationId = (): string => `c_${sortableId()}`;
/** An operator audit entry id (`a_` + a time-sortable id). */
export const newAuditId = (): string => `a_${sortableId()}`;
/** A task execution id, new on every attempt: `e_` + 22 base57 characters. */
export const newExecutionId = (): string => `e_${shortId()}`;
/** A compensation execution id, new on every attempt. */
export const newCompensationExecutionId = (): string => `e_comp_${shortId()}`;
/** A service or agent id: `s_` + 28 lower-case letters, as orra. */
export const newServiceId = (): string => `s_${randomString(LOWER_ALPHABET, 28)}`;

/** The prefix every API key carries; orra's Python SDK refuses keys without `sk-orra-`. */
export const API_KEY_PREFIX = 'sk-orra-v1-';

/** An API key: `sk-orra-v1-` + 64 lower-case hex characters (two UUIDs without dashes, as orra). */
export function newApiKey(): string {
  return API_KEY_PREFIX + randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
}

/** Service and agent names: 3–63 characters of `[a-z0-9.-]`, starting and ending alphanumeric. */
export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;

/** True when `name` is a valid service/agent name (orra's rule). */
export function isValidServiceName(name: string): boolean {
  return name.length >= 3 && name.length <= 63 && SERVICE_NAME_PATTERN.test(name);
}
