import { signal } from '@preact/signals';
import { api } from './api.js';

export interface SessionInfo {
  projectId: string;
  keyId: string;
  keyLabel: string | null;
  role: 'operate' | 'read';
}

/** Who is signed in (null until known, or on the sign-in page). */
export const session = signal<SessionInfo | null>(null);

export async function loadSession(): Promise<void> {
  session.value = await api.get<SessionInfo>('/console/session');
}
