package io.modelgate.simulator;

/**
 * The exact strings TensorFlow Serving puts on the wire, and the few names the simulator
 * chooses for its single simulated signature. Messages are copied from TF Serving's sources
 * (get_model_status_impl.cc, servable_request.cc, server_core.cc, http_rest_api_handler.cc,
 * json_tensor.cc, util.cc, multi_inference.cc, get_model_metadata_impl.cc) so clients cannot
 * tell the simulator from the real server; the few that are the simulator's own say so.
 * Stateless.
 */
public final class TfServingWire {

  /** Header on every gRPC answer (headers, or trailers of a trailers-only error) and REST answer. */
  public static final String REPLICA_ID_HEADER = "x-replica-id";

  /** The simulated model is TF Serving's half_plus_two: y = 0.5 * x + 2. */
  public static final String INPUT_KEY = "x";

  /** The single output tensor of every Predict answer. */
  public static final String OUTPUT_KEY = "y";

  /** The only signature the simulated model has; it serves every method (predict, classify, regress). */
  public static final String DEFAULT_SIGNATURE = "serving_default";

  public static final String MISSING_MODEL_SPEC = "Missing ModelSpec";
  public static final String NO_MODEL_NAME = "ModelSpec has no name specified.";
  public static final String EMPTY_INPUT = "Input is empty.";
  public static final String MULTI_INFERENCE_EMPTY_NAME = "Found ModelSpec with an empty model name.";
  public static final String MULTI_INFERENCE_MIXED_MODELS =
      "All ModelSpecs in a MultiInferenceRequest must access the same model name.";
  public static final String NO_METADATA_FIELD =
      "GetModelMetadataRequest must specify at least one metadata_field";
  public static final String MISSING_MODEL_NAME_REST = "Missing model name in request.";
  public static final String MISSING_INPUTS_OR_INSTANCES = "Missing 'inputs' or 'instances' key";
  public static final String EMPTY_JSON = "JSON Parse error: The document is empty";

  /** Method names of TF Serving's signatures (signature_constants). */
  public static final String CLASSIFY_METHOD = "tensorflow/serving/classify";
  public static final String REGRESS_METHOD = "tensorflow/serving/regress";
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";

  /** The one metadata field GetModelMetadata supports. */
  public static final String SIGNATURE_DEF_FIELD = "signature_def";

  private TfServingWire() {}

  public static String noVersionsOfModel(String model) {
    return "Could not find any versions of model " + model;
  }

  public static String noSuchVersion(String model, long version) {
    return "Could not find version " + version + " of model " + model;
  }

  public static String servableNotFoundLatest(String model) {
    return "Servable not found for request: Latest(" + model + ")";
  }

  public static String servableNotFoundSpecific(String model, long version) {
    return "Servable not found for request: Specific(" + model + ", " + version + ")";
  }

  public static String unrecognizedLabel(String label) {
    return "Unrecognized servable version label: " + label;
  }

  public static String signatureNotFound(String signature) {
    return "Serving signature name: \"" + signature + "\" not found in signature def";
  }

  public static String malformedRequest(String method, String path) {
    return "Malformed request: " + method + " " + path;
  }

  public static String unsupportedMetadataField(String field) {
    return "Metadata field " + field + " is not supported";
  }

  public static String unsupportedMethod(String method) {
    return "Unsupported signature method_name: " + method;
  }

  /** Simulator wording: TF Serving quotes the whole serialized example instead. */
  public static String unparsableExample(int index) {
    return "Could not parse example input at index " + index;
  }

  /** Simulator wording, close to TF's "Data types don't match" from example parsing. */
  public static String featureNotFloat(String key, int index) {
    return "Key: " + key + ", Index: " + index + ". Data types don't match. Expected type: float";
  }

  public static String expectsFloat(String providedType) {
    return "Expects arg[0] to be float but " + providedType + " is provided";
  }
}
