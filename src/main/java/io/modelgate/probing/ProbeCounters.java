package io.modelgate.probing;

/**
 * Totals since the prober started, for metrics and benchmarks.
 *
 * @param sent probe calls started (round and out-of-band)
 * @param failed calls that ended in {@link ProbeOutcome.Failed}
 * @param skipped round starts skipped because that key's previous probe was still pending
 * @param urgent probes started by urgent ticks (keys wanted but not serving), also in {@code sent}
 * @param inFlight calls in flight now
 */
public record ProbeCounters(long sent, long failed, long skipped, long urgent, int inFlight) {}
