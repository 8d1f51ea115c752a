package io.modelgate.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content digests of xDS resources: a SHA-256 of their deterministic protobuf encoding, so the
 * same resources always get the same digest (in any JVM) and {@link SnapshotVersions} can tell
 * exactly when a resource type changed.
 */
final class ResourceDigests {
  private ResourceDigests() {}

  static String of(Iterable<? extends Message> resources) {
    MessageDigest digest = sha256();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      for (Message resource : resources) {
        bytes.reset();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        resource.writeTo(out);
        out.flush();
        digest.update(bytes.toByteArray());
        // Separator, so [ab, c] and [a, bc] hash differently.
        digest.update((byte) 0);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 8);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
