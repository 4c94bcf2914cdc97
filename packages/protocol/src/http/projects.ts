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
}
