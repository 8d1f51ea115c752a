package io.modelgate.bench;

import com.google.protobuf.Any;
import com.google.protobuf.CodedInputStream;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.modelgate.bench.ScaleXdsClient.Receipt;
import io.modelgate.bench.ScaleXdsClient.Watch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The EDS responses one benchmark client received, each with the health it gives the watched
 * endpoint. Only the watched cluster's load assignment is parsed; the others are scanned for their
 * cluster name, so 50 clients in one JVM cost little next to the control plane they measure.
 * Thread-safe: receipts are added and read under the object's monitor, parsing happens outside it.
 */
final class EdsReceipts {
  private final List<Receipt> receipts = new ArrayList<>();
  private volatile Watch watch;

  void watch(Watch endpoint) {
    this.watch = endpoint;
  }

  /** Records a response of {@code bytes} that arrived at {@code nanos} with these load assignments. */
  void add(long nanos, int bytes, List<Any> assignments) throws IOException {
    Watch current = watch;
    Receipt receipt = new Receipt(nanos, bytes, current, healthOf(assignments, current));
    synchronized (this) {
      receipts.add(receipt);
    }
  }

  synchronized OptionalLong firstShowing(long sinceNanos, Watch endpoint, HealthStatus health) {
    for (Receipt receipt : receipts) {
      if (receipt.nanos() >= sinceNanos && endpoint.equals(receipt.watch()) && receipt.health() == health) {
        return OptionalLong.of(receipt.nanos());
      }
    }
    return OptionalLong.empty();
  }

  synchronized List<Receipt> all() {
    return List.copyOf(receipts);
  }

  /** The watched endpoint's health in these load assignments; null when they do not carry it. */
  private static HealthStatus healthOf(List<Any> assignments, Watch endpoint) throws IOException {
    if (endpoint == null) {
      return null;
    }
    for (Any resource : assignments) {
      if (!endpoint.cluster().equals(clusterName(resource))) {
        continue;
      }
      ClusterLoadAssignment assignment = ClusterLoadAssignment.parseFrom(resource.getValue());
      for (LocalityLbEndpoints locality : assignment.getEndpointsList()) {
        for (LbEndpoint lb : locality.getLbEndpointsList()) {
          if (lb.getEndpoint().getHostname().equals(endpoint.hostname())) {
            return lb.getHealthStatus();
          }
        }
      }
    }
    return null;
  }

  /** A load assignment's cluster_name (field 1), read without parsing its endpoints. */
  private static String clusterName(Any resource) throws IOException {
    CodedInputStream in = resource.getValue().newCodedInput();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag >>> 3 == ClusterLoadAssignment.CLUSTER_NAME_FIELD_NUMBER) {
        return in.readString();
      }
      in.skipField(tag);
    }
    return "";
  }
}
