package io.modelgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.modelgate.sources.KubeApiServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/kubernetes} on a real kube-apiserver: every object passes a server-side dry run
 * with strict field validation (an unknown or misspelt field is an error, as with {@code kubectl
 * apply}), is then created, and reads back as written; and the modelgate ServiceAccount, with a
 * token the API server issued for it, may get, list and watch EndpointSlices in its namespace and
 * do nothing else, there or anywhere.
 */
class KubernetesManifestsOnApiServerTest {
  private static final String NAMESPACE = "modelgate";
  private static final String OTHER_NAMESPACE = "elsewhere";
  private static final String SERVICE_ACCOUNT = "system:serviceaccount:modelgate:modelgate";

  private static KubeApiServer server;
  private static KubernetesClient admin;
  private static List<HasMetadata> objects;
  private static final List<HasMetadata> dryRunAnswers = new ArrayList<>();
  private static final List<String> storedAfterDryRun = new ArrayList<>();

  @BeforeAll
  static void dryRunThenCreateEveryObject() throws IOException {
    server = KubeApiServer.start();
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(server.kubeconfig()))).build();
    objects = load(Manifests.read().files());

    // The namespace must exist before anything in it can be dry-run.
    HasMetadata namespace = objects.get(0);
    assertThat(namespace).isInstanceOf(Namespace.class);
    dryRunAnswers.add(admin.resource(namespace).dryRun().fieldValidation(Validation.STRICT).create());
    recordIfStored(namespace);
    admin.resource(namespace).fieldValidation(Validation.STRICT).create();
    for (HasMetadata object : objects.subList(1, objects.size())) {
      dryRunAnswers.add(admin.resource(object).dryRun().fieldValidation(Validation.STRICT).create());
      recordIfStored(object);
    }
    for (HasMetadata object : objects.subList(1, objects.size())) {
      admin.resource(object).fieldValidation(Validation.STRICT).create();
    }
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(OTHER_NAMESPACE).endMetadata().build()).create();
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void everyObjectPassedAServerSideDryRunThatStoredNothing() {
    assertThat(dryRunAnswers).extracting(KubernetesManifestsOnApiServerTest::describe)
        .containsExactlyElementsOf(objects.stream().map(KubernetesManifestsOnApiServerTest::describe).toList());
    assertThat(storedAfterDryRun).isEmpty();
  }

  @Test
  void aMisspeltFieldFailsTheDryRun() {
    GenericKubernetesResource deployment =
        admin.getKubernetesSerialization().convertValue(find("Deployment", "modelgate"), GenericKubernetesResource.class);
    deployment.setMetadata(new ObjectMetaBuilder(deployment.getMetadata()).withName("misspelt").build());
    deployment.<Map<String, Object>>get("spec").put("replica", 1);

    assertThatThrownBy(() -> admin.resource(deployment).dryRun().fieldValidation(Validation.STRICT).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("unknown field \"spec.replica\"");
  }

  @Test
  void everyObjectReadsBackAsWritten() {
    for (HasMetadata object : objects) {
      HasMetadata stored = admin.resource(object).get();
      assertThat(stored).as(describe(object)).isNotNull();
      assertThat(stored.getMetadata().getLabels()).as(describe(object)).containsAllEntriesOf(object.getMetadata().getLabels());
    }
    Role role = (Role) find("Role", "modelgate-endpointslice-reader");
    assertThat(((Role) admin.resource(role).get()).getRules()).isEqualTo(role.getRules());
  }

  @Test
  void theServiceAccountMayListAndWatchEndpointSlicesInItsNamespace() throws Exception {
    try (KubernetesClient modelgate = clientOf(serviceAccountToken())) {
      EndpointSliceList listed = modelgate.discovery().v1().endpointSlices().inNamespace(NAMESPACE).list();
      assertThat(listed.getItems()).isEmpty();
      assertThat(modelgate.discovery().v1().endpointSlices().inNamespace(NAMESPACE).withName("absent").get()).isNull();

      // From the listed version, as modelgate's informer does (with Debian's etcd 3.4 the API
      // server refuses a watch without one: RequestWatchProgress is missing).
      List<String> seen = new CopyOnWriteArrayList<>();
      ListOptions fromListed =
          new ListOptionsBuilder().withResourceVersion(listed.getMetadata().getResourceVersion()).build();
      try (Watch watch =
          modelgate.discovery().v1().endpointSlices().inNamespace(NAMESPACE).watch(fromListed, recordingTo(seen))) {
        admin.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice()).create();
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("ADDED tfserving-test"));
      }
    }
  }

  @Test
  void theServiceAccountMayDoNothingElseThereOrElsewhere() {
    requireRbac();
    assertThat(allowed(SERVICE_ACCOUNT, "list", "endpointslices", "discovery.k8s.io", NAMESPACE)).isTrue();
    for (String verb : List.of("create", "update", "patch", "delete", "deletecollection")) {
      assertThat(allowed(SERVICE_ACCOUNT, verb, "endpointslices", "discovery.k8s.io", NAMESPACE)).as(verb).isFalse();
    }
    for (String verb : List.of("get", "list", "watch")) {
      assertThat(allowed(SERVICE_ACCOUNT, verb, "endpointslices", "discovery.k8s.io", OTHER_NAMESPACE)).as(verb).isFalse();
      assertThat(allowed(SERVICE_ACCOUNT, verb, "endpointslices", "discovery.k8s.io", "")).as(verb + " cluster-wide").isFalse();
      assertThat(allowed(SERVICE_ACCOUNT, verb, "pods", "", NAMESPACE)).as(verb + " pods").isFalse();
      assertThat(allowed(SERVICE_ACCOUNT, verb, "secrets", "", NAMESPACE)).as(verb + " secrets").isFalse();
    }
  }

  @Test
  void theServiceAccountsOwnTokenIsRefusedOutsideItsGrant() throws Exception {
    requireRbac();
    try (KubernetesClient modelgate = clientOf(serviceAccountToken())) {
      assertForbidden(() -> modelgate.discovery().v1().endpointSlices().inNamespace(OTHER_NAMESPACE).list());
      assertForbidden(() -> modelgate.discovery().v1().endpointSlices().inAnyNamespace().list());
      assertForbidden(() -> modelgate.pods().inNamespace(NAMESPACE).list());
      assertForbidden(() -> modelgate.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice()).create());
    }
  }

  /** Under AlwaysAllow every request is allowed, and nothing here could be proven. */
  private static void requireRbac() {
    assertThat(allowed("system:serviceaccount:modelgate:nobody", "list", "endpointslices", "discovery.k8s.io", NAMESPACE))
        .as("an account no role names is allowed: the API server authorizes everything (AlwaysAllow);"
            + " KubeApiServer must start it with --authorization-mode=Node,RBAC")
        .isFalse();
  }

  private static void assertForbidden(ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
  }

  private static boolean allowed(String user, String verb, String resource, String group, String namespace) {
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user)
            .withGroups("system:serviceaccounts", "system:serviceaccounts:modelgate", "system:authenticated")
            .withNewResourceAttributes()
            .withVerb(verb)
            .withResource(resource)
            .withGroup(group)
            .withNamespace(namespace)
            .endResourceAttributes()
            .endSpec()
            .build();
    return admin.authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed();
  }

  private static String serviceAccountToken() {
    TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build();
    return admin.serviceAccounts().inNamespace(NAMESPACE).withName("modelgate").tokenRequest(request).getStatus().getToken();
  }

  private static KubernetesClient clientOf(String token) throws IOException {
    Config config = new ConfigBuilder(Config.fromKubeconfig(Files.readString(server.kubeconfig()))).withOauthToken(token).build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** An EndpointSlice of the tfserving Service: the API server refuses loopback addresses. */
  private static EndpointSlice slice() {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName("tfserving-test")
        .addToLabels("kubernetes.io/service-name", "tfserving")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint()
        .withAddresses("198.18.0.2")
        .endEndpoint()
        .addNewPort()
        .withName("grpc")
        .withPort(8500)
        .endPort()
        .build();
  }

  private static Watcher<EndpointSlice> recordingTo(List<String> seen) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, EndpointSlice slice) {
        seen.add(action + " " + slice.getMetadata().getName());
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }

  private static List<HasMetadata> load(List<Path> files) throws IOException {
    List<HasMetadata> loaded = new ArrayList<>();
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        loaded.addAll(admin.load(in).items());
      }
    }
    return loaded;
  }

  private static void recordIfStored(HasMetadata object) {
    if (admin.resource(object).get() != null) {
      storedAfterDryRun.add(describe(object));
    }
  }

  private static HasMetadata find(String kind, String name) {
    return objects.stream()
        .filter(o -> o.getKind().equals(kind) && o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  private static String describe(HasMetadata object) {
    return object.getKind() + " " + object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
  }
}
