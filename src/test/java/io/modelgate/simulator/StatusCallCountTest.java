package io.modelgate.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.StatusRuntimeException;
import io.modelgate.tfserving.api.GetModelStatusRequest;
import io.modelgate.tfserving.api.ModelSpec;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A replica counts GetModelStatus calls per model, for benchmarks that measure probe load. */
class StatusCallCountTest {

  private Simulator simulator;
  private SimulatorControlServer control;

  @BeforeEach
  void start() {
    simulator = Simulator.start(SimulatorOptions.defaults().withReplicas(2).withModel("m", 1));
    control = SimulatorControlServer.start(simulator, "127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    control.close();
    simulator.close();
  }

  @Test
  void statusCallsAreCountedPerModelAndReplicaUnknownModelsIncluded() throws Exception {
    try (GrpcTestClient client = GrpcTestClient.to(simulator.replica("r0"))) {
      client.models().getModelStatus(request("m"));
      client.models().getModelStatus(request("m"));
      try {
        client.models().getModelStatus(request("nope"));
      } catch (StatusRuntimeException expected) {
        // NOT_FOUND still costs the replica a call.
      }
    }

    assertThat(simulator.replica("r0").statusCallCounts()).isEqualTo(Map.of("m", 2L, "nope", 1L));
    assertThat(simulator.replica("r1").statusCallCounts()).isEmpty();
    JsonNode r0 = RestTestClient.json(new RestTestClient(control.baseUrl()).get("/replicas/r0"));
    assertThat(r0.get("statusCalls").get("m").asLong()).isEqualTo(2);
  }

  private static GetModelStatusRequest request(String model) {
    return GetModelStatusRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model)).build();
  }
}
