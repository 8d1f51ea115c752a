package io.modelgate.deploy;

import static io.modelgate.deploy.Manifests.container;
import static io.modelgate.deploy.Manifests.find;
import static io.modelgate.deploy.Manifests.strings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.Main;
import io.modelgate.config.ConfigLoader;
import io.modelgate.config.KubernetesSourceConfig;
import io.modelgate.config.KubernetesSourceConfig.PortRef;
import io.modelgate.config.ListenConfig;
import io.modelgate.config.ModelConfig;
import io.modelgate.config.ModelgateConfig;
import io.modelgate.config.Protocol;
import io.modelgate.demo.EnvoyLauncher;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The Kubernetes manifests in {@code deploy/kubernetes} fit together and fit modelgate: the
 * ConfigMap's configuration loads with modelgate's own loader, the container arguments are ones
 * modelgate's command line accepts, every port and name one part uses is the one its neighbour
 * offers, Envoy accepts its bootstrap, and the demo's models are carried byte for byte. (The API
 * server's side, including RBAC, is {@code KubernetesManifestsOnApiServerTest}.)
 */
class KubernetesManifestsTest {
  private static final String NAMESPACE = "modelgate";
  private static final Path COMPOSE_MODELS = Path.of("src/main/docker/models");
  private static final Path COMPOSE_MODELS_CONFIG = Path.of("src/main/docker/models.config");

  private static Manifests manifests;

  @BeforeAll
  static void read() throws IOException {
    manifests = Manifests.read();
  }

  @Test
  void kustomizationListsEveryManifestInTheDirectoryAndDoesNothingElse() throws IOException {
    JsonNode kustomization = Manifests.readYaml(Manifests.KUSTOMIZATION);
    List<String> keys = new ArrayList<>();
    kustomization.fieldNames().forEachRemaining(keys::add);
    TreeSet<Path> inDirectory;
    try (Stream<Path> files = Files.list(Manifests.DIR)) {
      inDirectory =
          files.filter(f -> f.toString().endsWith(".yaml") && !f.equals(Manifests.KUSTOMIZATION))
              .collect(Collectors.toCollection(TreeSet::new));
    }

    // No generators, patches or transformers: what KubernetesManifestsOnApiServerTest applies file by
    // file is exactly what `kubectl apply -k` applies.
    assertThat(keys).containsExactlyInAnyOrder("apiVersion", "kind", "resources");
    assertThat(new TreeSet<>(manifests.files())).isEqualTo(inDirectory);
    assertThat(manifests.files()).first().isEqualTo(Manifests.DIR.resolve("namespace.yaml"));
  }

  @Test
  void everyObjectLivesInTheModelgateNamespace() {
    for (JsonNode object : manifests.objects()) {
      String what = object.path("kind").asText() + " " + object.path("metadata").path("name").asText();
      if (object.path("kind").asText().equals("Namespace")) {
        assertThat(object.path("metadata").path("name").asText()).as(what).isEqualTo(NAMESPACE);
      } else {
        assertThat(object.path("metadata").path("namespace").asText()).as(what).isEqualTo(NAMESPACE);
      }
      assertThat(object.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText())
          .as(what)
          .isEqualTo("modelgate");
    }
  }

  @Test
  void theConfigMapsConfigurationLoadsWithModelgatesLoaderAndWatchesTheTfServingService(@TempDir Path dir)
      throws IOException {
    ModelgateConfig config = modelgateConfig(dir);

    assertThat(config.replicas()).isEmpty();
    assertThat(config.sources()).hasSize(1);
    KubernetesSourceConfig source = (KubernetesSourceConfig) config.sources().get(0);
    assertThat(source.namespace()).isEqualTo(NAMESPACE);
    assertThat(source.service()).isEqualTo("tfserving");
    assertThat(source.grpcPort()).isEqualTo(PortRef.named("grpc"));
    assertThat(source.restPort()).isEqualTo(PortRef.named("http"));
    assertThat(source.protocol()).isEqualTo(Protocol.GRPC);
    assertThat(source.kubeconfig()).as("in-cluster credentials").isEmpty();
    assertThat(config.models())
        .containsExactly(new ModelConfig("half_plus_two", OptionalLong.empty(), Optional.empty(),
            Map.of("stable", 1L, "canary", 2L)));
  }

  @Test
  void modelgateListensOnThePortsItsDeploymentAndServiceOffer(@TempDir Path dir) throws IOException {
    ModelgateConfig config = modelgateConfig(dir);
    JsonNode container = container(manifests.get("Deployment", "modelgate"), "modelgate");
    JsonNode service = manifests.get("Service", "modelgate");
    Map<String, InetSocketAddress> listeners =
        Map.of(
            "http", config.listen().http(),
            "grpc-health", config.listen().grpc(),
            "xds", config.xds().listen(),
            "ext-proc", config.extProc().listen());

    listeners.forEach((name, address) -> {
      assertThat(address.getAddress().isAnyLocalAddress()).as("%s listens on the pod IP", name).isTrue();
      assertThat(find(container.path("ports"), "name", name).path("containerPort").asInt())
          .as("container port %s", name)
          .isEqualTo(address.getPort());
      JsonNode port = find(service.path("spec").path("ports"), "name", name);
      assertThat(port.path("targetPort").asText()).isEqualTo(name);
      assertThat(port.path("port").asInt()).as("Service port %s", name).isEqualTo(address.getPort());
    });
    assertThat(config.extProc().enabled()).isTrue();
    assertThat(config.extProc().envoyAddress())
        .contains(InetSocketAddress.createUnresolved("modelgate", config.extProc().listen().getPort()));
    for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
      assertThat(container.path(probe).path("httpGet").path("path").asText()).as(probe).isEqualTo("/healthz");
      assertThat(container.path(probe).path("httpGet").path("port").asText()).as(probe).isEqualTo("http");
    }
  }

  @Test
  void theControlPlaneReadsTheMountedConfigMapAsAnAcceptedCommandLine() {
    JsonNode deployment = manifests.get("Deployment", "modelgate");
    JsonNode container = container(deployment, "modelgate");
    ParseResult command = parse(strings(container.path("args")));

    assertThat(command.subcommand().commandSpec().name()).isEqualTo("control-plane");
    Path configFile = command.subcommand().matchedOptionValue("--config", Path.of(""));
    JsonNode mount = find(container.path("volumeMounts"), "mountPath", configFile.getParent().toString());
    JsonNode volume = find(deployment.path("spec").path("template").path("spec").path("volumes"), "name", mount.path("name").asText());
    assertThat(volume.path("configMap").path("name").asText()).isEqualTo("modelgate-config");
    assertThat(mount.has("subPath")).as("a subPath mount never sees an edited ConfigMap").isFalse();
    assertThat(manifests.get("ConfigMap", "modelgate-config").path("data").has(configFile.getFileName().toString())).isTrue();
  }

  @Test
  void modelgateRunsAsItsServiceAccountWhichMayOnlyReadEndpointSlices() {
    JsonNode pod = manifests.get("Deployment", "modelgate").path("spec").path("template").path("spec");
    JsonNode role = manifests.get("Role", "modelgate-endpointslice-reader");
    JsonNode binding = manifests.get("RoleBinding", "modelgate-endpointslice-reader");

    assertThat(pod.path("serviceAccountName").asText()).isEqualTo("modelgate");
    assertThat(pod.path("automountServiceAccountToken").asBoolean()).isTrue();
    assertThat(role.path("rules")).hasSize(1);
    JsonNode rule = role.path("rules").get(0);
    assertThat(strings(rule.path("apiGroups"))).containsExactly("discovery.k8s.io");
    assertThat(strings(rule.path("resources"))).containsExactly("endpointslices");
    assertThat(strings(rule.path("verbs"))).containsExactlyInAnyOrder("get", "list", "watch");
    assertThat(rule.has("resourceNames")).isFalse();
    assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
    assertThat(binding.path("roleRef").path("name").asText()).isEqualTo("modelgate-endpointslice-reader");
    assertThat(binding.path("subjects")).hasSize(1);
    JsonNode subject = binding.path("subjects").get(0);
    assertThat(subject.path("kind").asText()).isEqualTo("ServiceAccount");
    assertThat(subject.path("name").asText()).isEqualTo("modelgate");
    assertThat(subject.path("namespace").asText()).isEqualTo(NAMESPACE);
    // Envoy and TF Serving need no API access at all.
    for (String name : List.of("envoy", "tfserving")) {
      assertThat(manifests.get("Deployment", name).path("spec").path("template").path("spec")
              .path("automountServiceAccountToken").asBoolean(true))
          .as(name)
          .isFalse();
    }
  }

  @Test
  void theTfServingServiceNamesThePortsModelgateWatchesAndTfServingListensOnThem(@TempDir Path dir)
      throws IOException {
    KubernetesSourceConfig source = (KubernetesSourceConfig) modelgateConfig(dir).sources().get(0);
    JsonNode service = manifests.get("Service", source.service());
    JsonNode tfServing = container(manifests.get("Deployment", "tfserving"), "tfserving");
    JsonNode grpc = find(service.path("spec").path("ports"), "name", source.grpcPort().name().orElseThrow());
    JsonNode http = find(service.path("spec").path("ports"), "name", source.restPort().name().orElseThrow());

    assertThat(grpc.path("port").asInt()).isEqualTo(8500);
    assertThat(http.path("port").asInt()).isEqualTo(8501);
    assertThat(find(tfServing.path("ports"), "name", grpc.path("targetPort").asText()).path("containerPort").asInt())
        .isEqualTo(8500);
    assertThat(find(tfServing.path("ports"), "name", http.path("targetPort").asText()).path("containerPort").asInt())
        .isEqualTo(8501);
    assertThat(strings(tfServing.path("args"))).contains("--port=8500", "--rest_api_port=8501");
    assertThat(service.path("spec").path("selector"))
        .isEqualTo(manifests.get("Deployment", "tfserving").path("spec").path("selector").path("matchLabels"));
  }

  @Test
  void eachTfServingPodIsReadyWhenItsSidecarSaysTheModelIsLoadedThere(@TempDir Path dir) throws IOException {
    ModelgateConfig config = modelgateConfig(dir);
    JsonNode deployment = manifests.get("Deployment", "tfserving");
    JsonNode tfServing = container(deployment, "tfserving");
    ParseResult sidecar = parse(strings(container(deployment, "modelgate-sidecar").path("args")));

    assertThat(sidecar.subcommand().commandSpec().name()).isEqualTo("sidecar");
    InetSocketAddress health =
        ListenConfig.parseOption("--grpc-listen", sidecar.subcommand().matchedOptionValue("--grpc-listen", ""));
    JsonNode probe = tfServing.path("readinessProbe").path("grpc");
    assertThat(health.getAddress().isAnyLocalAddress()).as("kubelet probes the pod IP").isTrue();
    assertThat(probe.path("port").asInt()).isEqualTo(health.getPort());
    List<String> sidecarModels = sidecar.subcommand().matchedOptionValue("--model", List.<String>of());
    assertThat(sidecarModels)
        .containsExactlyInAnyOrderElementsOf(config.models().stream().map(ModelConfig::name).toList());
    assertThat(sidecarModels).contains(probe.path("service").asText());
    String grpcPort = Integer.toString(find(tfServing.path("ports"), "name", "grpc").path("containerPort").asInt());
    assertThat(sidecar.subcommand().matchedOptionValue("--target", "")).isEqualTo("127.0.0.1:" + grpcPort);
    assertThat(sidecar.subcommand().matchedOptionValue("--protocol", "grpc")).isEqualTo("grpc");
  }

  @Test
  void theModelsConfigMapCarriesTheDemosSavedModelsByteForByteAtTheirPaths() throws IOException {
    JsonNode binaryData = manifests.get("ConfigMap", "tfserving-models").path("binaryData");
    JsonNode volume =
        find(manifests.get("Deployment", "tfserving").path("spec").path("template").path("spec").path("volumes"),
            "name", "models");
    Map<String, String> pathOfKey = new TreeMap<>();
    volume.path("configMap").path("items").forEach(item -> pathOfKey.put(item.path("key").asText(), item.path("path").asText()));
    Map<String, Path> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(COMPOSE_MODELS)) {
      walk.filter(Files::isRegularFile).forEach(f -> files.put(COMPOSE_MODELS.relativize(f).toString(), f));
    }

    assertThat(files).as("regenerate with deploy/kubernetes/make-tfserving-models.sh").isNotEmpty();
    assertThat(new TreeSet<>(pathOfKey.values())).isEqualTo(files.keySet());
    List<String> keys = new ArrayList<>();
    binaryData.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactlyInAnyOrderElementsOf(pathOfKey.keySet());
    for (Map.Entry<String, String> item : pathOfKey.entrySet()) {
      assertThat(Base64.getDecoder().decode(binaryData.path(item.getKey()).asText()))
          .as("%s (regenerate with deploy/kubernetes/make-tfserving-models.sh)", item.getValue())
          .isEqualTo(Files.readAllBytes(files.get(item.getValue())));
    }
  }

  @Test
  void tfServingServesTheComposeDemosModelListFromTheMountedModels() throws IOException {
    JsonNode deployment = manifests.get("Deployment", "tfserving");
    JsonNode tfServing = container(deployment, "tfserving");
    String modelsConfig = manifests.get("ConfigMap", "tfserving-config").path("data").path("models.config").asText();
    String configFlag = "--model_config_file=";
    Path configFile =
        Path.of(strings(tfServing.path("args")).stream().filter(a -> a.startsWith(configFlag)).findFirst()
            .orElseThrow().substring(configFlag.length()));
    String modelsMount = find(tfServing.path("volumeMounts"), "name", "models").path("mountPath").asText();

    assertThat(withoutComments(modelsConfig)).isEqualTo(withoutComments(Files.readString(COMPOSE_MODELS_CONFIG)));
    assertThat(find(tfServing.path("volumeMounts"), "mountPath", configFile.getParent().toString()).path("name").asText())
        .isEqualTo("config");
    assertThat(modelsConfig).contains("base_path: \"" + modelsMount + "/half_plus_two\"");
  }

  @Test
  void envoyAcceptsItsBootstrapWhichPointsAdsAtTheModelgateService(@TempDir Path dir) throws Exception {
    String bootstrap = manifests.get("ConfigMap", "envoy-bootstrap").path("data").path("bootstrap.yaml").asText();
    JsonNode xdsCluster =
        find(Manifests.parseYaml(bootstrap).path("static_resources").path("clusters"), "name", "xds_cluster");
    JsonNode address = xdsCluster.findValue("socket_address");
    JsonNode xdsPort = find(manifests.get("Service", "modelgate").path("spec").path("ports"), "name", "xds");
    JsonNode envoy = container(manifests.get("Deployment", "envoy"), "envoy");
    List<String> args = strings(envoy.path("args"));

    assertThat(address.path("address").asText()).isEqualTo("modelgate");
    assertThat(address.path("port_value").asInt()).isEqualTo(xdsPort.path("port").asInt());
    Path bootstrapPath = Path.of(args.get(args.indexOf("-c") + 1));
    assertThat(find(envoy.path("volumeMounts"), "mountPath", bootstrapPath.getParent().toString()).path("name").asText())
        .isEqualTo("bootstrap");
    assertThat(bootstrapPath.getFileName().toString()).isEqualTo("bootstrap.yaml");

    Path file = dir.resolve("bootstrap.yaml");
    Files.writeString(file, bootstrap);
    Path binary = EnvoyLauncher.findBinary(Optional.empty(), System.getenv().getOrDefault("PATH", ""));
    Process validate =
        new ProcessBuilder(binary.toString(), "--mode", "validate", "-c", file.toString(), "--service-node", "envoy-0")
            .redirectErrorStream(true)
            .start();
    String output = new String(validate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(validate.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(validate.exitValue()).as(output).isZero();
  }

  @Test
  void envoysReadinessIsItsAdminsReadyThroughAStaticListenerAndItsAdminStaysOnLoopback() throws IOException {
    JsonNode bootstrap =
        Manifests.parseYaml(manifests.get("ConfigMap", "envoy-bootstrap").path("data").path("bootstrap.yaml").asText());
    JsonNode envoy = container(manifests.get("Deployment", "envoy"), "envoy");
    JsonNode probes = find(bootstrap.path("static_resources").path("listeners"), "name", "probes");
    int probePort = find(envoy.path("ports"), "name", "probes").path("containerPort").asInt();

    assertThat(bootstrap.path("admin").path("address").path("socket_address").path("address").asText())
        .isEqualTo("127.0.0.1");
    assertThat(probes.path("address").path("socket_address").path("port_value").asInt()).isEqualTo(probePort);
    assertThat(envoy.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/ready");
    assertThat(envoy.path("readinessProbe").path("httpGet").path("port").asText()).isEqualTo("probes");
    // Without these Envoy reports LIVE after 2 x 15 s with no configuration at all.
    JsonNode dynamic = bootstrap.path("dynamic_resources");
    assertThat(dynamic.path("lds_config").path("initial_fetch_timeout").asText()).isEqualTo("0s");
    assertThat(dynamic.path("cds_config").path("initial_fetch_timeout").asText()).isEqualTo("0s");
  }

  private static ModelgateConfig modelgateConfig(Path dir) throws IOException {
    Path file = dir.resolve("modelgate.yaml");
    Files.writeString(file, manifests.get("ConfigMap", "modelgate-config").path("data").path("modelgate.yaml").asText());
    return ConfigLoader.load(file);
  }

  private static ParseResult parse(List<String> args) {
    return new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
  }

  private static String withoutComments(String text) {
    return text.lines().filter(l -> !l.strip().startsWith("#")).collect(Collectors.joining("\n")).strip();
  }
}
