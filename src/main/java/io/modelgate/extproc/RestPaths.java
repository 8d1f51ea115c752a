package io.modelgate.extproc;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the model from a TF Serving REST request as TF Serving's own handler does: {@code POST}
 * paths must fully match {@code /v1/models/<name>[/versions/<n>|/labels/<l>]:<verb>} (verb
 * {@code predict}, {@code classify} or {@code regress}), {@code GET} paths {@code
 * /v1/models/<name>[/versions/<n>|/labels/<l>][/metadata]}; a name or label holds no {@code /}
 * or {@code :} and is then percent-decoded (UTF-8; a {@code +} stays a plus); a version is ASCII
 * digits, so {@code 01} is version 1. The query string is left out. TF Serving also takes these
 * paths in any letter case; the gateway serves the documented lower case only, as its Envoy
 * routes do (whose regexes must stay small), so other cases are not served. A path of
 * one shape with the other method is {@link DecisionKind#METHOD_NOT_ALLOWED}; any other path is
 * {@link DecisionKind#NOT_SERVED}. Stateless, never throws.
 */
final class RestPaths {
  private static final Pattern PREDICT =
      Pattern.compile(
          "/v1/models/([^/:]+)(?:/versions/([0-9]+)|/labels/([^/:]+))?:(classify|regress|predict)");
  private static final Pattern STATUS =
      Pattern.compile(
          "/v1/models(?:/([^/:]+))?(?:/versions/([0-9]+)|/labels/([^/:]+))?(?:/(metadata))?");
  private static final String SERVED =
      "POST /v1/models/<name>[/versions/<n>|/labels/<label>]:predict|:classify|:regress, GET"
          + " /v1/models/<name>[/versions/<n>|/labels/<label>][/metadata]";

  private RestPaths() {}

  static Extraction extract(String method, String pathAndQuery) {
    String path = stripQuery(pathAndQuery);
    Matcher predict = PREDICT.matcher(path);
    Matcher status = STATUS.matcher(path);
    Matcher matched;
    String wanted;
    if (predict.matches()) {
      matched = predict;
      wanted = "POST";
    } else if (status.matches()) {
      matched = status;
      wanted = "GET";
    } else {
      return new Extraction.Refused(
          DecisionKind.NOT_SERVED,
          ApiProtocol.REST,
          "'" + Bounded.of(path) + "' is not a TF Serving inference path (served: " + SERVED + ")");
    }
    if (!wanted.equals(method)) {
      return new Extraction.Refused(
          DecisionKind.METHOD_NOT_ALLOWED,
          ApiProtocol.REST,
          Bounded.of(method) + " is not allowed on " + Bounded.of(path) + " (use " + wanted + ")");
    }
    if (matched.group(1) == null) {
      return malformed("no model name in " + Bounded.of(path));
    }
    try {
      String model = decode(matched.group(1));
      if (matched.group(2) != null) {
        return new Extraction.Found(ModelRequest.version(model, Long.parseLong(matched.group(2)), ApiProtocol.REST));
      }
      if (matched.group(3) != null) {
        return new Extraction.Found(ModelRequest.label(model, decode(matched.group(3)), ApiProtocol.REST));
      }
      return new Extraction.Found(ModelRequest.latest(model, ApiProtocol.REST));
    } catch (NumberFormatException e) {
      return malformed("version '" + Bounded.of(matched.group(2)) + "' is out of range");
    } catch (CharacterCodingException | IllegalArgumentException e) {
      return malformed("bad percent-encoding in " + Bounded.of(path));
    }
  }

  private static String stripQuery(String path) {
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }

  /** Percent-decodes one path segment as UTF-8; a malformed escape or byte sequence throws. */
  private static String decode(String segment) throws CharacterCodingException {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    byte[] raw = segment.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] != '%') {
        bytes.write(raw[i]);
        continue;
      }
      if (i + 2 >= raw.length) {
        throw new IllegalArgumentException("truncated escape");
      }
      int high = Character.digit(raw[i + 1], 16);
      int low = Character.digit(raw[i + 2], 16);
      if (high < 0 || low < 0) {
        throw new IllegalArgumentException("bad escape");
      }
      bytes.write(high * 16 + low);
      i += 2;
    }
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes.toByteArray()))
        .toString();
  }

  private static Extraction malformed(String reason) {
    return Extraction.Refused.malformed(ApiProtocol.REST, reason);
  }
}
