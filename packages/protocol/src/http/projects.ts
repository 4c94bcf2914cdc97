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
