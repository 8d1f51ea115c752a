package io.modelgate.view;

/** Whether one replica can serve one model now, as modelgate routes by it. */
public enum ReplicaState {
  /** Not yet probed, or the last answer is older than the staleness bound. Not routed to. */
  UNKNOWN,
  /** At least one wanted version is AVAILABLE. The only state that receives traffic. */
  READY,
  /** A wanted version is in START or LOADING and none is AVAILABLE. */
  LOADING,
  /** A wanted version is UNLOADING and no other wanted version is AVAILABLE. */
  DRAINING,
  /** TF Serving says the model cannot serve: END, load error, or NOT_FOUND. */
  NOT_READY,
  /** Probes fail: timeout, connection refused, or an unparseable answer. */
  UNREACHABLE
}
