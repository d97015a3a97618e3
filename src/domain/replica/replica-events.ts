/**
 * Replica change notifications, every change with its reason: to ReplicaWatch's subscribers and
 * to the object-change diagnostics channel.
 */
import { objectChangeChannel } from '../../diagnostics.js';
import type { ReplicaEvent, ReplicaInfo } from '../model.js';

export type ReplicaListener = (event: ReplicaEvent) => void;

export class ReplicaEvents {
  private readonly listeners = new Set<ReplicaListener>();

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Sends `initial` as 'added' events and a 'synced', then every change until unsubscribed. */
  subscribe(listener: ReplicaListener, initial: ReplicaInfo[]): () => void {
    for (const replica of initial) listener({ type: 'added', replica, reason: 'initial list' });
    listener({ type: 'synced', replica: undefined, reason: `${initial.length} replicas` });
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(type: 'added' | 'modified' | 'deleted', replica: ReplicaInfo, reason: string): void {
    for (const listener of this.listeners) listener({ type, replica, reason });
    if (objectChangeChannel.hasSubscribers) objectChangeChannel.publish({ kind: 'replica', name: replica.name, type, state: undefined, reason, source: 'operation' });
  }
}
