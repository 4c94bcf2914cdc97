import { shortId } from '@orra/protocol';

/** A fresh id for one engine process: a restarted process is a new node, and its old self is dead. */
export function newNodeId(): string {
  return `node_${shortId()}`;
}
