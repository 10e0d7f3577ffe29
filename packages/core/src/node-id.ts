/** NodeId is a server's id: a positive integer, unique in the cluster, not necessarily 1..N. */
export type NodeId = number;
