/**
 * Replica change notifications, every change with its reason: to ReplicaWatch's subscribers and
 * to the object-change diagnostics channel.
 */
import { objectChangeChannel } from '../../diagnostics.js';
import type { ReplicaEvent, ReplicaInfo } from '../model.js';
import { forEachSliced } from '../node/slices.js';

export type ReplicaListener = (event: ReplicaEvent) => void;

/** The replicas a new watcher starts with: their names now, each described when it is sent. */
export interface InitialReplicas {
  names: readonly string[];
  describe(name: string): ReplicaInfo | undefined;
}

export class ReplicaEvents {
  private readonly listeners = new Set<ReplicaListener>();

  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Sends the replicas named in `initial` as 'added' events and a 'synced', then every change
   * until unsubscribed. Each is described when its turn comes, in slices (thousands of replicas
   * must not hold the event loop); a replica deleted meanwhile is left out. Changes made while the
   * initial list is sent are held and follow the 'synced', in order: a 'deleted' may then name a
   * replica the list did not show, and a 'modified' may repeat what the list showed.
   */
  subscribe(listener: ReplicaListener, initial: InitialReplicas): () => void {
    const held: ReplicaEvent[] = [];
    let live = false;
    let ended = false;
    const relay = (event: ReplicaEvent): void => {
      if (live) listener(event);
      else held.push(event);
    };
    this.listeners.add(relay);
    let sent = 0;
    void forEachSliced(
      initial.names,
      (name) => {
        const replica = initial.describe(name);
        if (replica === undefined) return;
        sent++;
        listener({ type: 'added', replica, reason: 'initial list' });
      },
      () => ended,
    ).then(() => {
      if (ended) return;
      listener({ type: 'synced', replica: undefined, reason: `${sent} replicas` });
      for (const event of held.splice(0)) listener(event);
      live = true;
    });
    return () => {
      ended = true;
      this.listeners.delete(relay);
    };
  }

  emit(type: 'added' | 'modified' | 'deleted', replica: ReplicaInfo, reason: string): void {
    for (const listener of this.listeners) listener({ type, replica, reason });
    if (objectChangeChannel.hasSubscribers) objectChangeChannel.publish({ kind: 'replica', name: replica.name, type, state: undefined, reason, source: 'operation' });
  }
}
