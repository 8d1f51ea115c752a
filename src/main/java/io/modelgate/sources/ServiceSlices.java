package io.modelgate.sources;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.modelgate.config.KubernetesSourceConfig.PortRef;
import io.modelgate.config.Names;
import io.modelgate.config.Protocol;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The EndpointSlices of one Service, kept by slice name and merged into one replica list only when
 * asked, as kube-proxy's endpointslicecache does: a Service has several slices, and an endpoint
 * moving between two of them may briefly be listed in both.
 *
 * <p>Every endpoint is a replica whatever its {@code ready} condition (modelgate's own probe
 * decides); {@code terminating} marks it terminating. The id is the pod's name ({@code targetRef})
 * when that is a valid replica id, else the address with ':' written as '_'. An endpoint with
 * several addresses is taken at its first: the EndpointSlice controller writes exactly one, the API
 * defines no meaning for the others, and kube-proxy too looks only at the first. What cannot become a replica (a slice without the
 * named port, FQDN addresses, an id already taken) is skipped and named in {@link Merge#notes()}.
 *
 * <p>Not thread-safe: the source's thread owns it.
 */
final class ServiceSlices {
  private final SortedMap<String, EndpointSlice> byName = new TreeMap<>();
  private final PortRef grpcPort;
  private final PortRef restPort;
  private final Protocol protocol;

  ServiceSlices(PortRef grpcPort, PortRef restPort, Protocol protocol) {
    this.grpcPort = grpcPort;
    this.restPort = restPort;
    this.protocol = protocol;
  }

  /** The replicas of every slice, sorted by id, and one sentence per thing that was skipped. */
  record Merge(List<Replica> replicas, Set<String> notes) {}

  void put(EndpointSlice slice) {
    byName.put(slice.getMetadata().getName(), slice);
  }

  void remove(EndpointSlice slice) {
    byName.remove(slice.getMetadata().getName());
  }

  Merge merge() {
    Set<String> addresses = new HashSet<>();
    Set<String> ids = new HashSet<>();
    List<Replica> replicas = new ArrayList<>();
    Set<String> notes = new LinkedHashSet<>();
    for (Map.Entry<String, EndpointSlice> named : byName.entrySet()) {
      String sliceName = named.getKey();
      EndpointSlice slice = named.getValue();
      List<Endpoint> endpoints = Optional.ofNullable(slice.getEndpoints()).orElse(List.of());
      if ("FQDN".equals(slice.getAddressType())) {
        notes.add("EndpointSlice " + sliceName + " lists FQDN addresses, which modelgate does not follow:"
            + " its " + endpoints.size() + " endpoints are skipped");
        continue;
      }
      OptionalInt grpc = port(slice, grpcPort);
      OptionalInt rest = port(slice, restPort);
      if (grpc.isEmpty() || rest.isEmpty()) {
        PortRef missing = grpc.isEmpty() ? grpcPort : restPort;
        notes.add("EndpointSlice " + sliceName + " has no port named " + missing + ": its "
            + endpoints.size() + " endpoints are skipped");
        continue;
      }
      for (Endpoint endpoint : endpoints) {
        List<String> listed = Optional.ofNullable(endpoint.getAddresses()).orElse(List.of());
        if (listed.isEmpty() || !addresses.add(listed.get(0))) {
          continue; // no address, or listed by an earlier slice too
        }
        String address = listed.get(0);
        String id = id(endpoint.getTargetRef(), address);
        if (!ids.add(id)) {
          notes.add("endpoint " + address + " of EndpointSlice " + sliceName + " has the id " + id
              + " of another endpoint: skipped");
          continue;
        }
        boolean terminating =
            endpoint.getConditions() != null && Boolean.TRUE.equals(endpoint.getConditions().getTerminating());
        String zone = Optional.ofNullable(endpoint.getZone()).orElse("");
        replicas.add(
            new Replica(id, address, address, grpc.getAsInt(), rest.getAsInt(), protocol, zone, terminating));
      }
    }
    replicas.sort(Comparator.comparing(Replica::id));
    return new Merge(List.copyOf(replicas), Set.copyOf(notes));
  }

  /** A port by number is the number; by name, the slice's port of that name (the Service's port name). */
  private static OptionalInt port(EndpointSlice slice, PortRef ref) {
    if (ref.name().isEmpty()) {
      return OptionalInt.of(ref.number());
    }
    for (EndpointPort port : Optional.ofNullable(slice.getPorts()).orElse(List.of())) {
      if (ref.name().get().equals(port.getName()) && port.getPort() != null) {
        return OptionalInt.of(port.getPort());
      }
    }
    return OptionalInt.empty();
  }

  private static String id(ObjectReference target, String address) {
    if (target != null && "Pod".equals(target.getKind()) && target.getName() != null
        && Names.isValid(target.getName())) {
      return target.getName();
    }
    return address.replace(':', '_');
  }
}
