package io.modelgate.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RestPathsTest {

  private static Extraction found(ModelRequest request) {
    return new Extraction.Found(request);
  }

  /** With the method TF Serving takes for the path's shape. */
  private static Extraction extract(String path) {
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    return RestPaths.extract(bare.contains(":") ? "POST" : "GET", path);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/v1/models/resnet",
        "/v1/models/resnet/metadata",
        "/v1/models/resnet:predict",
        "/v1/models/resnet:classify",
        "/v1/models/resnet:regress",
        "/v1/models/resnet:predict?debug=1&x=/v1/models/other",
        "/v1/models/resnet/metadata?x"
      })
  void latestVersionShapesNameTheModel(String path) {
    assertThat(extract(path))
        .isEqualTo(found(ModelRequest.latest("resnet", ApiProtocol.REST)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/v1/models/resnet/versions/3",
        "/v1/models/resnet/versions/3/metadata",
        "/v1/models/resnet/versions/3:predict",
        "/v1/models/resnet/versions/3:classify",
        "/v1/models/resnet/versions/3:regress?q",
        "/v1/models/resnet/versions/03:predict",
        "/v1/models/resnet/versions/0003"
      })
  void versionShapesNameTheVersion(String path) {
    assertThat(extract(path))
        .isEqualTo(found(ModelRequest.version("resnet", 3, ApiProtocol.REST)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/v1/models/resnet/labels/canary",
        "/v1/models/resnet/labels/canary/metadata",
        "/v1/models/resnet/labels/canary:predict"
      })
  void labelShapesNameTheLabel(String path) {
    assertThat(extract(path))
        .isEqualTo(found(ModelRequest.label("resnet", "canary", ApiProtocol.REST)));
  }

  @Test
  void segmentsArePercentDecodedAndPlusStaysPlus() {
    assertThat(extract("/v1/models/my%20model/labels/a%2Bb+c:predict"))
        .isEqualTo(found(ModelRequest.label("my model", "a+b+c", ApiProtocol.REST)));
    assertThat(extract("/v1/models/mod%C3%A8le"))
        .isEqualTo(found(ModelRequest.latest("modèle", ApiProtocol.REST)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/", "/v1/modelsx", "/v2/models/m:predict", "/monitoring/prometheus/metrics", "",
        "/v1/models/m:explode", "/v1/models/m:predict/x", "/v1/models/m/versions/:predict",
        "/v1/models/m/versions", "/v1/models/m/labels/", "/v1/models/m/versions/abc",
        "/v1/models/m/versions/-1", "/v1/models/m/versions/1/metadata:predict",
        "/v1/models/m/versions/1/labels/x", "/v1/models/m/", "/v1/models/m/extra", "/v1/models/:predict",
        "//v1/models/m", "/V1/MODELS/m:predict", "/v1/models/m:PREDICT"
      })
  void pathsTfServingDoesNotDocumentAreNotServed(String path) {
    Extraction extraction = extract(path);
    assertThat(extraction).isInstanceOf(Extraction.Refused.class);
    assertThat(((Extraction.Refused) extraction).kind()).isEqualTo(DecisionKind.NOT_SERVED);
    assertThat(((Extraction.Refused) extraction).reason()).contains("is not a TF Serving inference path");
  }

  @ParameterizedTest
  @CsvSource({"GET,/v1/models/m:predict,use POST", "PUT,/v1/models/m,use GET", "POST,/v1/models/m/metadata,use GET",
      "DELETE,/v1/models/m/versions/2:classify,use POST"})
  void aDocumentedPathWithAnotherMethodIsNotAllowed(String method, String path, String hint) {
    Extraction extraction = RestPaths.extract(method, path);
    assertThat(extraction).isInstanceOf(Extraction.Refused.class);
    assertThat(((Extraction.Refused) extraction).kind()).isEqualTo(DecisionKind.METHOD_NOT_ALLOWED);
    assertThat(((Extraction.Refused) extraction).reason()).contains(hint);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "/v1/models|no model name",
        "/v1/models/m/versions/99999999999999999999|out of range",
        "/v1/models/m%2|bad percent-encoding",
        "/v1/models/m%zz|bad percent-encoding",
        "/v1/models/m%FF|bad percent-encoding",
      })
  void malformedPathsUnderModelsSayWhy(String path, String reason) {
    Extraction extraction = extract(path);
    assertThat(extraction).isInstanceOf(Extraction.Refused.class);
    Extraction.Refused refused = (Extraction.Refused) extraction;
    assertThat(refused.kind()).isEqualTo(DecisionKind.MALFORMED);
    assertThat(refused.protocol()).isEqualTo(ApiProtocol.REST);
    assertThat(refused.reason()).contains(reason);
  }
}
