/** `POST /register/project` body. Other fields orra accepts (`webhooks`, `createdAt`, …) are tolerated. */
export interface ProjectIn {
  name?: string;
  webhooks?: string[];
  compensationFailureWebhooks?: string[];
}

/** A project as returned at registration (orra's shape; the key is shown only here). */
export interface ProjectOut {
  id: string;
  name: string;
  apiKey: string;
  additionalAPIKeys: string[] | null;
  webhooks: string[] | null;
  compensationFailureWebhooks: string[] | null;
  createdAt: string;
  updatedAt: string;
}

/** `POST /apikeys` response. */
export interface ApiKeyOut {
  apiKey: string;
  /** The first 12 hex digits of the key's SHA-256: how audit entries name it (ours; orra sends only apiKey). */
  keyId?: string;
  role?: ApiKeyRole;
  label?: string | null;
}

/** `operate` keys may change things; `read` keys may only look (every changing route answers them 403). */
export type ApiKeyRole = 'operate' | 'read';

/** Body of `POST /apikeys` (optional; orra sends `{}`). */
export interface ApiKeyIn {
  role?: ApiKeyRole;
  /** A name for audit entries. */
  label?: string;
}

/** Answer of `POST /console/links`. */
export interface ConsoleLinkOut {
  /** Open it in a browser: it signs in once, within 60 s, with the key that asked for it. */
  url: string;
  expiresAt: string;
}

/** The longest project name, in characters (after surrounding whitespace is trimmed). */
export const PROJECT_NAME_MAX_LENGTH = 100;

/**
 * What is wrong with a project name, or undefined when it is acceptable: not empty or blank, at most
 * `PROJECT_NAME_MAX_LENGTH` characters once trimmed, no control characters (they break listings and
 * terminals). Uniqueness is the engine's to check. Shared by the engine and the CLI so both refuse the
 * same names with the same words.
 */
export function projectNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return 'must not be empty or blank';
  const length = [...trimmed].length;
  if (length > PROJECT_NAME_MAX_LENGTH)
    return `must be at most ${PROJECT_NAME_MAX_LENGTH} characters (got ${length})`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed))
    return 'must not contain control characters (newlines, tabs, …)';
  return undefined;
}

/**
 * The form in which project names are compared for uniqueness: trimmed, Unicode-normalised (NFC) and
 * lower-cased, so "Shop", "shop" and " SHOP " are one name.
 */
export function projectNameKey(name: string): string {
  return name.trim().normalize('NFC').toLowerCase();
}
