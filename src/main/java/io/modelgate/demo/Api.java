package io.modelgate.demo;

/** The two ways the demo calls Predict through Envoy. */
public enum Api {
  /** {@code POST /v1/models/<name>:predict} with a JSON body. */
  REST("REST"),
  /** {@code tensorflow.serving.PredictionService/Predict}, the model in the body only. */
  GRPC("gRPC");

  private final String label;

  Api(String label) {
    this.label = label;
  }

  @Override
  public String toString() {
    return label;
  }
}
