package io.modelgate.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * The reader of one YAML document into a Jackson tree, strict where YAML is lenient: duplicate
 * keys, aliases and a second document are errors, and the text is bounded ({@link
 * #MAX_CODE_POINTS}, {@link #MAX_DEPTH}) by SnakeYAML's and Jackson's own limits. Every error is a
 * {@link ConfigException} at {@code line L, column C}. A number Java cannot hold ({@code .nan},
 * {@code .inf}) is not an error here: it becomes a {@link NonFiniteNumber} value, so the field
 * that gets it reports it. Stateless and thread-safe.
 */
final class YamlReader {
  /** The longest text read: {@link ConfigLoader#MAX_FILE_BYTES}, one code point per byte at most. */
  static final int MAX_CODE_POINTS = ConfigLoader.MAX_FILE_BYTES;
  /**
   * The deepest nesting of lists and maps: a configuration needs 4 ({@code models[0].labels}); the
   * bound keeps a hostile file from exhausting the stack or the heap.
   */
  static final int MAX_DEPTH = 32;

  private static final ObjectMapper MAPPER =
      new ObjectMapper(
          YAMLFactory.builder()
              .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              // `host:` with nothing after it is null in YAML, not "" as Jackson reads it.
              .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
              .streamReadConstraints(
                  StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
              .loaderOptions(loaderOptions())
              .build());

  private YamlReader() {}

  /** The document's tree, or a missing node when the text holds no document (only comments). */
  static JsonNode read(String fileName, String yaml) {
    try (YAMLParser parser = (YAMLParser) MAPPER.createParser(yaml);
        TokenBuffer tokens = new TokenBuffer(parser)) {
      int depth = 0;
      boolean documentEnded = false;
      for (JsonToken token = next(fileName, parser); token != null; token = next(fileName, parser)) {
        if (documentEnded) {
          throw error(fileName, parser, "expected one YAML document, found a second one");
        }
        // The YAML parser hands an alias over as a string holding the alias's name.
        if (parser.isCurrentAlias()) {
          String alias = "*" + parser.getText();
          throw error(fileName, parser, "YAML aliases are not supported (" + alias + ")");
        }
        if (token.isNumeric() && !readsAsNumber(parser)) {
          tokens.writeEmbeddedObject(new NonFiniteNumber(parser.getText()));
        } else {
          tokens.copyCurrentEvent(parser);
        }
        depth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
        documentEnded = depth == 0;
      }
      try (JsonParser replay = tokens.asParser()) {
        JsonNode tree = MAPPER.readTree(replay);
        return tree == null ? MissingNode.getInstance() : tree;
      }
    } catch (JsonProcessingException e) {
      throw error(fileName, yaml, e);
    } catch (IOException e) {
      // Reading from a String does no I/O.
      throw new UncheckedIOException(e);
    }
  }

  /** The next token; past the depth limit, an error at the list or map that goes too deep. */
  private static JsonToken next(String fileName, YAMLParser parser) throws IOException {
    try {
      return parser.nextToken();
    } catch (StreamConstraintsException e) {
      // Where the parser stopped: the list or map one level too deep.
      throw new ConfigException(
          fileName,
          position(parser.currentLocation()),
          "lists and maps nested more than " + MAX_DEPTH + " levels deep");
    }
  }

  /**
   * SnakeYAML's own bound on the text, behind {@link ConfigLoader}'s. Its nesting and alias limits
   * are not set: they apply to SnakeYAML's composer, which Jackson does not use; Jackson's nesting
   * limit applies instead, and aliases are refused at the first one.
   */
  private static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(MAX_CODE_POINTS);
    return options;
  }

  /**
   * Whether the current numeric token holds a value Java can read. YAML's {@code .nan} and
   * {@code .inf} are floats to the YAML parser but malformed to Jackson; any other malformed
   * number is an error at its position.
   */
  private static boolean readsAsNumber(YAMLParser parser) throws IOException {
    try {
      parser.getNumberValue();
      return true;
    } catch (JsonProcessingException e) {
      if (NonFiniteNumber.matches(parser.getText())) {
        return false;
      }
      throw e;
    }
  }

  private static ConfigException error(String fileName, String yaml, JsonProcessingException e) {
    // SnakeYAML checks characters before it parses them, and its exception has only an offset.
    if (e.getCause() instanceof ReaderException reader) {
      return new ConfigException(
          fileName, position(yaml, reader.getPosition()), unacceptable(reader.getCodePoint()));
    }
    // Jackson wraps SnakeYAML's exception, whose problem and marks are more precise than its text.
    if (e.getCause() instanceof MarkedYAMLException marked
        && marked.getProblemMark() != null
        && marked.getProblem() != null) {
      String context = "";
      if (marked.getContext() != null) {
        String at = marked.getContextMark() == null ? "" : " at " + position(marked.getContextMark());
        context = " (" + marked.getContext() + at + ")";
      }
      return new ConfigException(
          fileName, position(marked.getProblemMark()), marked.getProblem() + context);
    }
    // Jackson's own errors (duplicate key, malformed number) give the position after the token;
    // the parser still knows where that token starts.
    if (e.getProcessor() instanceof JsonParser parser && parser.currentTokenLocation() != null) {
      // Jackson names SnakeYAML's event class here (`? [a]` as a key); say it in YAML's terms.
      String problem =
          e.getOriginalMessage().startsWith("Expected a field name")
              ? "expected a key that is a single value, got a list or map as a key"
              : e.getOriginalMessage();
      return error(fileName, parser, problem);
    }
    if (e.getLocation() == null) {
      return new ConfigException(fileName, "", e.getOriginalMessage());
    }
    return new ConfigException(fileName, position(e.getLocation()), e.getOriginalMessage());
  }

  private static String unacceptable(int codePoint) {
    return String.format(
        "control character U+%04X is not allowed in YAML (write it as an escape in a double-quoted"
            + " string)",
        codePoint);
  }

  /** Line and column of the code point at {@code offset} in {@code text}, both from 1. */
  private static String position(String text, int offset) {
    int line = 1;
    int column = 1;
    int end = text.offsetByCodePoints(0, Math.min(offset, text.codePointCount(0, text.length())));
    for (int i = 0; i < end; i = text.offsetByCodePoints(i, 1)) {
      char c = text.charAt(i);
      // A line ends at \n, \r\n or a lone \r, as SnakeYAML counts them.
      boolean crlf = c == '\r' && i + 1 < end && text.charAt(i + 1) == '\n';
      if (c == '\n' || (c == '\r' && !crlf)) {
        line++;
        column = 1;
      } else if (!crlf) {
        column++;
      }
    }
    return "line " + line + ", column " + column;
  }

  private static ConfigException error(String fileName, JsonParser parser, String problem) {
    return new ConfigException(fileName, position(parser.currentTokenLocation()), problem);
  }

  private static String position(JsonLocation location) {
    return "line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static String position(Mark mark) {
    return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
  }
}
