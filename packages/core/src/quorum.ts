import type { FlexibleQuorum } from './config.js';

/**
 * Quorum counts votes: a Prepare phase needs `prepareSize` promises (the read quorum), an entry is
 * chosen with `acceptSize` accepts (the write quorum). Every read quorum meets every write quorum.
 */
export class Quorum {
  readonly prepareSize: number;
  readonly acceptSize: number;

  constructor(numNodes: number, flexible?: FlexibleQuorum) {
    if (flexible) {
      this.prepareSize = flexible.readQuorumSize;
      this.acceptSize = flexible.writeQuorumSize;
    } else {
      this.prepareSize = Math.floor(numNodes / 2) + 1;
      this.acceptSize = this.prepareSize;
    }
  }

  /** isPrepareQuorum is true when `count` promises are enough to lead. */
  isPrepareQuorum(count: number): boolean {
    return count >= this.prepareSize;
  }

  /** isAcceptQuorum is true when `count` accepts are enough to decide. */
  isAcceptQuorum(count: number): boolean {
    return count >= this.acceptSize;
  }
}
