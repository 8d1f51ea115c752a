package io.modelgate.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Content digests of lists of xDS resources: a SHA-256 over each resource's SHA-256 of its
 * deterministic protobuf encoding, so the same resources always get the same digest and {@link
 * SnapshotVersions} can tell exactly when a resource type changed. A resource that is the very
 * object seen in the previous call (EnvoyResources reuses the load assignments of unchanged
 * models) is not encoded again. Not thread-safe: one per snapshot builder.
 */
final class ResourceDigests {
  private Map<Message, byte[]> previous = new IdentityHashMap<>();
  private Map<Message, byte[]> current = new IdentityHashMap<>();

  /** The digest of {@code resources}, in order. */
  String of(Iterable<? extends Message> resources) {
    MessageDigest digest = sha256();
    for (Message resource : resources) {
      byte[] own = previous.get(resource);
      if (own == null) {
        own = current.get(resource);
      }
      if (own == null) {
        own = sha256().digest(encode(resource));
      }
      current.put(resource, own);
      digest.update(own);
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 8);
  }

  /** Ends one snapshot: only what it used is remembered for the next. */
  void endSnapshot() {
    previous = current;
    current = new IdentityHashMap<>();
  }

  private static byte[] encode(Message resource) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      resource.writeTo(out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
