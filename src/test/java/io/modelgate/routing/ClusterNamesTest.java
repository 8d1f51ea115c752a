package io.modelgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.routing.ClusterNames.ModelCluster;
import io.modelgate.routing.ClusterNames.Upstream;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterNamesTest {

  @ParameterizedTest
  @ValueSource(strings = {"m", "resnet_50", "a.b-c", "v1", "grpc", "extproc"})
  void everyBuiltNameParsesBackToTheModelVersionAndUpstreamItWasBuiltFrom(String model) {
    for (Upstream upstream : Upstream.values()) {
      assertThat(ClusterNames.parse(ClusterNames.model(model, upstream)))
          .contains(new ModelCluster(model, OptionalLong.empty(), upstream));
      for (long version : new long[] {0, 1, 42, Long.MAX_VALUE}) {
        assertThat(ClusterNames.parse(ClusterNames.version(model, version, upstream)))
            .contains(new ModelCluster(model, OptionalLong.of(version), upstream));
      }
    }
  }

  @Test
  void aParsedNameBuildsTheSameName() {
    for (String name : new String[] {"modelgate/m/grpc", "modelgate/m/rest", "modelgate/m/v7/grpc", "modelgate/v7/v0/rest"}) {
      assertThat(ClusterNames.parse(name)).map(ModelCluster::name).contains(name);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ClusterNames.EXTPROC,
        "modelgate/",
        "modelgate//grpc",
        "modelgate/m",
        "modelgate/m/http",
        "modelgate/m/v1",
        "modelgate/m/v/grpc",
        "modelgate/m/v01/grpc",
        "modelgate/m/v-1/grpc",
        "modelgate/m/v+1/grpc",
        "modelgate/m/x1/grpc",
        "modelgate/m/v99999999999999999999/grpc",
        "modelgate/m/v1/grpc/",
        "modelgate/m/v1/x/grpc",
        "other/m/grpc",
        ""
      })
  void aNameModelgateDoesNotBuildForAModelIsNoModelCluster(String name) {
    assertThat(ClusterNames.parse(name)).isEmpty();
  }
}
