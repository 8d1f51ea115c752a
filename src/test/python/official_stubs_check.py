#!/usr/bin/env python3
"""Independent wire check of the modelgate TF Serving simulator with the OFFICIAL stubs.

Uses tensorflow_serving.apis (the stubs TF Serving publishes) and TensorFlow's own tensor
helpers, so nothing here shares code with the Java simulator or its protos. Drives model
lifecycles through the simulator's control endpoint, then checks GetModelStatus and Predict
field by field, then Classify, Regress, MultiInference and GetModelMetadata with tf.train.Example
inputs.

Usage: official_stubs_check.py --grpc HOST:PORT --control http://HOST:PORT [--replica r0]
Prints one line per check and "N passed, M failed" last; exits 1 on any failure.
"""

import argparse
import json
import time
import urllib.request

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import classification_pb2
from tensorflow_serving.apis import get_model_metadata_pb2
from tensorflow_serving.apis import get_model_status_pb2
from tensorflow_serving.apis import inference_pb2
from tensorflow_serving.apis import model_service_pb2_grpc
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc
from tensorflow_serving.apis import regression_pb2

REPLICA_ID_HEADER = "x-replica-id"
MODEL = "official_check"
State = get_model_status_pb2.ModelVersionStatus.State


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn):
        try:
            fn()
        except Exception as e:  # a failed check must not stop the others
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        else:
            self.passed += 1
            print(f"PASS {name}", flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_equal(actual, expected, what):
    expect(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


class Simulator:
    def __init__(self, grpc_target, control, replica):
        self.channel = grpc.insecure_channel(grpc_target)
        self.models = model_service_pb2_grpc.ModelServiceStub(self.channel)
        self.predictions = prediction_service_pb2_grpc.PredictionServiceStub(self.channel)
        self.control = control.rstrip("/")
        self.replica = replica

    def post(self, path):
        url = f"{self.control}/replicas/{self.replica}/{path}"
        with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=10) as r:
            return json.loads(r.read())

    def status(self, model, version=None, label=None):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = model
        if version is not None:
            request.model_spec.version.value = version
        if label is not None:
            request.model_spec.version_label = label
        return self.models.GetModelStatus(request, timeout=5)

    def states(self, model):
        return {v.version: State.Name(v.state) for v in self.status(model).model_version_status}

    def await_state(self, model, version, state, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.states(model).get(version) == state:
                return
            time.sleep(0.05)
        raise AssertionError(f"version {version} never reached {state}: {self.states(model)}")

    def predict(self, model, tensor, version=None, label=None):
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model
        if version is not None:
            request.model_spec.version.value = version
        if label is not None:
            request.model_spec.version_label = label
        request.inputs["x"].CopyFrom(tensor)
        return self.predictions.Predict.with_call(request, timeout=5)


def example(**floats):
    return tf.train.Example(features=tf.train.Features(feature={
        key: tf.train.Feature(float_list=tf.train.FloatList(value=values)) for key, values in floats.items()}))


def expect_rpc_error(call, code, details):
    try:
        call()
    except grpc.RpcError as e:
        expect_equal(e.code(), code, "status code")
        expect_equal(e.details(), details, "status details")
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def error_code_name(status_proto):
    enum = status_proto.DESCRIPTOR.fields_by_name["error_code"].enum_type
    return enum.values_by_number[status_proto.error_code].name


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grpc", required=True, help="simulated replica gRPC host:port")
    parser.add_argument("--control", required=True, help="simulator control endpoint http://host:port")
    parser.add_argument("--replica", default="r0", help="replica id behind --grpc (default r0)")
    args = parser.parse_args()

    sim = Simulator(args.grpc, args.control, args.replica)
    checks = Checks()

    def control_endpoint_starts_from_a_clean_model():
        replica = sim.post(f"models/{MODEL}/drop")
        expect_equal(replica["id"], args.replica, "replica id")
        expect(MODEL not in replica["models"], f"{MODEL} still tracked after drop")

    def unknown_model_is_not_found():
        e = expect_rpc_error(lambda: sim.status("no_such_model"), grpc.StatusCode.NOT_FOUND,
                             "Could not find any versions of model no_such_model")
        trailers = dict(e.trailing_metadata() or ())
        expect_equal(trailers.get(REPLICA_ID_HEADER), args.replica, "x-replica-id trailer")

    def loaded_version_is_available_with_status_ok():
        sim.post(f"models/{MODEL}/versions/1/load?ms=0")
        response = sim.status(MODEL)
        expect_equal(len(response.model_version_status), 1, "versions")
        v = response.model_version_status[0]
        expect_equal(v.version, 1, "version")
        expect_equal(State.Name(v.state), "AVAILABLE", "state")
        expect_equal(error_code_name(v.status), "OK", "error_code")
        expect_equal(v.status.error_message, "", "error_message")

    def timed_load_is_loading_then_available():
        sim.post(f"models/{MODEL}/versions/2/load?ms=1500")
        expect_equal(sim.states(MODEL), {1: "AVAILABLE", 2: "LOADING"}, "states while loading")
        sim.await_state(MODEL, 2, "AVAILABLE")

    def timed_unload_is_unloading_then_end_and_stays_listed():
        sim.post(f"models/{MODEL}/versions/1/unload?ms=1500")
        expect_equal(sim.states(MODEL), {1: "UNLOADING", 2: "AVAILABLE"}, "states while unloading")
        sim.await_state(MODEL, 1, "END")
        expect_equal(sim.states(MODEL), {1: "END", 2: "AVAILABLE"}, "states after unloading")

    def failed_load_ends_with_its_error():
        sim.post(f"models/{MODEL}/versions/3/fail?code=NOT_FOUND&message=no%20SavedModel%20here")
        v = sim.status(MODEL, version=3).model_version_status[0]
        expect_equal(State.Name(v.state), "END", "state")
        expect_equal(error_code_name(v.status), "NOT_FOUND", "error_code")
        expect_equal(v.status.error_message, "no SavedModel here", "error_message")

    def every_state_is_reported():
        for state in ("START", "LOADING", "AVAILABLE", "UNLOADING", "END"):
            sim.post(f"models/{MODEL}/versions/4/state?value={state}")
            expect_equal(State.Name(sim.status(MODEL, version=4).model_version_status[0].state), state, "state")

    def missing_version_is_not_found():
        expect_rpc_error(lambda: sim.status(MODEL, version=9), grpc.StatusCode.NOT_FOUND,
                         f"Could not find version 9 of model {MODEL}")

    def label_is_ignored_by_status():
        versions = [v.version for v in sim.status(MODEL, label="stable").model_version_status]
        expect_equal(versions, [1, 2, 3, 4], "versions for a label")

    def predict_answers_half_plus_two():
        tensor = tf.make_tensor_proto([1.0, 2.0, 3.0], dtype=tf.float32)
        response, call = sim.predict(MODEL, tensor)
        y = response.outputs["y"]
        expect_equal(tf.dtypes.as_dtype(y.dtype), tf.float32, "dtype")
        expect_equal(tf.make_ndarray(y).tolist(), [2.5, 3.0, 3.5], "y")
        expect_equal(response.model_spec.name, MODEL, "model_spec.name")
        expect_equal(response.model_spec.version.value, 2, "model_spec.version")
        expect_equal(response.model_spec.signature_name, "serving_default", "model_spec.signature_name")
        expect_equal(dict(call.initial_metadata()).get(REPLICA_ID_HEADER), args.replica, "x-replica-id header")

    def predict_reads_tensor_content_and_keeps_shape():
        tensor = tf.make_tensor_proto(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
        expect(len(tensor.tensor_content) == 16, "make_tensor_proto should use tensor_content here")
        response, _ = sim.predict(MODEL, tensor, version=2)
        y = tf.make_ndarray(response.outputs["y"])
        expect_equal(y.shape, (2, 2), "shape")
        expect_equal(y.tolist(), [[2.5, 3.0], [3.5, 4.0]], "y")

    def predict_for_unloaded_version_is_servable_not_found():
        tensor = tf.make_tensor_proto([1.0], dtype=tf.float32)
        expect_rpc_error(lambda: sim.predict(MODEL, tensor, version=1), grpc.StatusCode.NOT_FOUND,
                         f"Servable not found for request: Specific({MODEL}, 1)")
        expect_rpc_error(lambda: sim.predict("no_such_model", tensor), grpc.StatusCode.NOT_FOUND,
                         "Servable not found for request: Latest(no_such_model)")

    def predict_with_unknown_label_is_invalid_argument():
        tensor = tf.make_tensor_proto([1.0], dtype=tf.float32)
        expect_rpc_error(lambda: sim.predict(MODEL, tensor, label="nope"), grpc.StatusCode.INVALID_ARGUMENT,
                         "Unrecognized servable version label: nope")

    def predict_with_a_double_input_is_invalid_argument():
        tensor = tf.make_tensor_proto([1.0], dtype=tf.float64)
        expect_rpc_error(lambda: sim.predict(MODEL, tensor), grpc.StatusCode.INVALID_ARGUMENT,
                         "Expects arg[0] to be float but double is provided")

    def classify_scores_each_example_with_half_plus_two():
        request = classification_pb2.ClassificationRequest()
        request.model_spec.name = MODEL
        request.input.example_list.examples.extend([example(x=[1.0]), example(x=[3.0, 9.0]), example()])
        response, call = sim.predictions.Classify.with_call(request, timeout=5)
        expect_equal([[(c.label, c.score) for c in e.classes] for e in response.result.classifications],
                     [[("", 2.5)], [("", 3.5)], [("", 2.0)]], "classes")
        expect_equal((response.model_spec.name, response.model_spec.version.value, response.model_spec.signature_name),
                     (MODEL, 2, "serving_default"), "model_spec")
        expect_equal(dict(call.initial_metadata()).get(REPLICA_ID_HEADER), args.replica, "x-replica-id header")

    def regress_merges_the_context_into_each_example():
        request = regression_pb2.RegressionRequest()
        request.model_spec.name = MODEL
        request.model_spec.version.value = 2
        request.input.example_list_with_context.context.CopyFrom(example(x=[10.0]))
        request.input.example_list_with_context.examples.extend([example(other=[1.0]), example(x=[2.0])])
        response = sim.predictions.Regress(request, timeout=5)
        expect_equal([r.value for r in response.result.regressions], [7.0, 3.0], "regressions")

    def multi_inference_answers_every_task():
        request = inference_pb2.MultiInferenceRequest()
        for method in ("tensorflow/serving/classify", "tensorflow/serving/regress"):
            task = request.tasks.add()
            task.model_spec.name = MODEL
            task.method_name = method
        request.input.example_list.examples.append(example(x=[4.0]))
        response = sim.predictions.MultiInference(request, timeout=5)
        expect_equal(response.results[0].classification_result.classifications[0].classes[0].score, 4.0, "score")
        expect_equal(response.results[1].regression_result.regressions[0].value, 4.0, "value")
        expect_equal([r.model_spec.version.value for r in response.results], [2, 2], "versions")

    def classify_for_an_unknown_model_is_servable_not_found():
        request = classification_pb2.ClassificationRequest()
        request.model_spec.name = "no_such_model"
        request.input.example_list.examples.append(example(x=[1.0]))
        expect_rpc_error(lambda: sim.predictions.Classify(request, timeout=5), grpc.StatusCode.NOT_FOUND,
                         "Servable not found for request: Latest(no_such_model)")

    def metadata_unpacks_as_a_signature_def_map():
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.model_spec.name = MODEL
        request.metadata_field.append("signature_def")
        response = sim.predictions.GetModelMetadata(request, timeout=5)
        expect_equal((response.model_spec.name, response.model_spec.version.value), (MODEL, 2), "model_spec")
        signatures = get_model_metadata_pb2.SignatureDefMap()
        expect(response.metadata["signature_def"].Unpack(signatures), "Any does not hold a SignatureDefMap")
        signature = signatures.signature_def["serving_default"]
        expect_equal(signature.method_name, "tensorflow/serving/predict", "method_name")
        expect_equal(tf.dtypes.as_dtype(signature.inputs["x"].dtype), tf.float32, "input dtype")
        expect_equal(signature.outputs["y"].name, "y:0", "output tensor name")

    def metadata_with_an_unsupported_field_is_invalid_argument():
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.model_spec.name = MODEL
        request.metadata_field.append("graph_def")
        expect_rpc_error(lambda: sim.predictions.GetModelMetadata(request, timeout=5),
                         grpc.StatusCode.INVALID_ARGUMENT, "Metadata field graph_def is not supported")

    for check in (control_endpoint_starts_from_a_clean_model,
                  unknown_model_is_not_found,
                  loaded_version_is_available_with_status_ok,
                  timed_load_is_loading_then_available,
                  timed_unload_is_unloading_then_end_and_stays_listed,
                  failed_load_ends_with_its_error,
                  every_state_is_reported,
                  missing_version_is_not_found,
                  label_is_ignored_by_status,
                  predict_answers_half_plus_two,
                  predict_reads_tensor_content_and_keeps_shape,
                  predict_for_unloaded_version_is_servable_not_found,
                  predict_with_unknown_label_is_invalid_argument,
                  predict_with_a_double_input_is_invalid_argument,
                  classify_scores_each_example_with_half_plus_two,
                  regress_merges_the_context_into_each_example,
                  multi_inference_answers_every_task,
                  classify_for_an_unknown_model_is_servable_not_found,
                  metadata_unpacks_as_a_signature_def_map,
                  metadata_with_an_unsupported_field_is_invalid_argument):
        checks.run(check.__name__, check)

    checks.run("cleanup_drop_model", lambda: sim.post(f"models/{MODEL}/drop"))
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
