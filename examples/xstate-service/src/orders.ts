import { fromTransition } from 'xstate';
import type { DecidedItem } from '@omnipaxos/actors';

/** OrderCommand is what the service replicates: one entry of the order log. */
export type OrderCommand = { kind: 'place'; id: string; item: string; qty: number } | { kind: 'cancel'; id: string };

/** OrderBook is the projection of the decided order log: open orders and the next index to apply. */
export interface OrderBook {
  open: Record<string, { item: string; qty: number }>;
  cancelled: string[];
  next: number;
}

/** ApplyEvent hands the projection decided entries (from one replica's stream). */
export interface ApplyEvent {
  type: 'apply';
  items: DecidedItem<OrderCommand>[];
}

/**
 * orderBook is the projection actor: a reducer over decided entries, applied in index order, each once
 * (an index below `next` was applied already). Its state is plain data, persisted with the service.
 */
export const orderBook = fromTransition(
  (book: OrderBook, event: ApplyEvent): OrderBook => {
    let next = book.next;
    let open = book.open;
    let cancelled = book.cancelled;
    for (const { idx, entry } of event.items) {
      if (idx !== next) continue;
      next += 1;
      if (entry.kind === 'place') open = { ...open, [entry.id]: { item: entry.item, qty: entry.qty } };
      else if (open[entry.id]) {
        const { [entry.id]: _gone, ...rest } = open;
        open = rest;
        cancelled = [...cancelled, entry.id];
      }
    }
    return next === book.next ? book : { open, cancelled, next };
  },
  { open: {}, cancelled: [], next: 0 } as OrderBook,
);
