package io.meridian.xds.impl;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * One ADS stream, state of the world or incremental: the node, and per resource type the
 * subscription, what was last sent (version, nonce, resources) and what the client said about
 * it (ACK version, NACK detail).
 *
 * <p>Rules: a response is sent when a type is first requested, when the subscription changes,
 * or when the resources changed — never as an answer to an ACK or a NACK (no resend loop). A
 * stale nonce is ignored. A NACK leaves the client on its last good config and is recorded.
 * Runs on the xDS verticle's event loop.
 */
final class Session {

  /** Per-type state. */
  static final class TypeState {
    final String type;
    boolean requested;
    boolean wildcard;
    /** The subscribed names: an immutable set shared by every stream with the same subscription. */
    Set<String> names = Set.of();
    String sentVersion;
    String sentNonce;
    String ackedVersion;
    String nackVersion;
    String nackMessage;
    Instant nackAt;
    Instant lastPush;
    long pushes;
    Map<String, Any> sent = Map.of();
    /**
     * Versions the client has, by resource name. After a push this is the snapshot's own
     * (shared, never modified) map, so a stream costs little more than its subscription.
     */
    Map<String, String> clientVersions = Map.of();
    Map<String, String> withheld = Map.of();

    TypeState(String type) {
      this.type = type;
    }
  }

  final String id;
  final boolean delta;
  final Instant connectedAt = Instant.now();
  private final XdsServer server;
  private final Consumer<DiscoveryResponse> sotw;
  private final Consumer<DeltaDiscoveryResponse> incremental;
  private final Map<String, TypeState> types = new LinkedHashMap<>();
  private NodeInfo node;
  private String scopeKey;
  private long nonces;

  Session(String id, XdsServer server, Consumer<DiscoveryResponse> sotw, Consumer<DeltaDiscoveryResponse> incremental) {
    this.id = id;
    this.server = server;
    this.sotw = sotw;
    this.incremental = incremental;
    this.delta = incremental != null;
  }

  NodeInfo node() {
    return node;
  }

  /** Handles a state-of-the-world request; throws {@link IllegalArgumentException} for a bad node. */
  void onRequest(DiscoveryRequest request) {
    identify(request.hasNode() ? request.getNode() : null);
    TypeState state = types.computeIfAbsent(request.getTypeUrl(), TypeState::new);
    boolean first = !state.requested;
    if (!first && !request.getResponseNonce().isEmpty() && !request.getResponseNonce().equals(state.sentNonce)) {
      return; // stale: an answer to something we sent before the latest response
    }
    if (request.hasErrorDetail()) {
      nack(state, request.getErrorDetail().getMessage());
    } else if (!request.getResponseNonce().isEmpty()) {
      state.ackedVersion = request.getVersionInfo();
    }
    Set<String> names = new TreeSet<>(request.getResourceNamesList());
    boolean wildcard = TypeUrls.wildcardCapable(request.getTypeUrl()) && (names.isEmpty() || names.contains("*"));
    boolean changed = first || wildcard != state.wildcard || !names.equals(state.names);
    state.requested = true;
    state.wildcard = wildcard;
    if (changed) {
      state.names = server.intern(names);
    }
    if (changed && server.snapshot() != null) {
      pushSotw(state, server.snapshot(), true, false); // a subscription change is always answered
    }
  }

  /** Handles an incremental request. */
  void onDeltaRequest(DeltaDiscoveryRequest request) {
    identify(request.hasNode() ? request.getNode() : null);
    TypeState state = types.computeIfAbsent(request.getTypeUrl(), TypeState::new);
    boolean first = !state.requested;
    if (first) {
      state.clientVersions = new HashMap<>(request.getInitialResourceVersionsMap());
      boolean explicit = request.getResourceNamesSubscribeCount() > 0;
      state.wildcard = TypeUrls.wildcardCapable(request.getTypeUrl())
          && (!explicit || request.getResourceNamesSubscribeList().contains("*"));
    }
    if (!request.getResponseNonce().isEmpty()) {
      if (!request.getResponseNonce().equals(state.sentNonce)) {
        // an answer to an older response: only the subscription changes count
        if (request.getResourceNamesSubscribeCount() == 0 && request.getResourceNamesUnsubscribeCount() == 0) {
          return;
        }
      } else if (request.hasErrorDetail()) {
        nack(state, request.getErrorDetail().getMessage());
      } else {
        state.ackedVersion = state.sentVersion;
      }
    }
    boolean changed = first;
    Set<String> names = new TreeSet<>(state.names);
    for (String name : request.getResourceNamesSubscribeList()) {
      if (name.equals("*")) {
        if (!state.wildcard && TypeUrls.wildcardCapable(state.type)) {
          state.wildcard = true;
          changed = true;
        }
      } else if (names.add(name)) {
        changed = true;
      }
    }
    for (String name : request.getResourceNamesUnsubscribeList()) {
      if (name.equals("*")) {
        state.wildcard = false;
        changed = true;
      } else if (names.remove(name)) {
        state.clientVersions = new HashMap<>(state.clientVersions);
        state.clientVersions.remove(name);
        changed = true;
      }
    }
    state.requested = true;
    if (changed) {
      state.names = server.intern(names);
    }
    if (changed && server.snapshot() != null) {
      pushDelta(state, server.snapshot(), false);
    }
  }

  private void identify(Node requestNode) {
    if (node == null) {
      if (requestNode == null) {
        throw new IllegalArgumentException("the first request of a stream must carry the node");
      }
      node = NodeInfo.of(requestNode);
      scopeKey = node.scopeKey();
    }
  }

  /** The client rejected what it was last sent; it keeps its last ACKed version. */
  private void nack(TypeState state, String message) {
    state.nackVersion = state.sentVersion;
    state.nackMessage = message;
    state.nackAt = Instant.now();
    server.nacked(this, state.type, message);
  }

  /** A new snapshot: sends every subscribed type whose resources changed, CDS before EDS, LDS before RDS. */
  void push(Snapshot snapshot) {
    if (node == null) {
      return;
    }
    for (String type : TypeUrls.ORDER) {
      TypeState state = types.get(type);
      if (state != null && state.requested) {
        if (delta) {
          pushDelta(state, snapshot, true);
        } else {
          pushSotw(state, snapshot, false, true);
        }
      }
    }
  }

  private Snapshot.Prepared prepare(TypeState state, Snapshot snapshot) {
    Set<String> names = state.wildcard ? null : state.names;
    Snapshot.Prepared p = snapshot.resources(scopeKey, node, state.type, names);
    if (!p.withheld().equals(state.withheld)) {
      p.withheld().forEach((name, problem) -> server.rejected(this, state.type, name, problem));
    }
    state.withheld = p.withheld();
    return p;
  }

  /**
   * State of the world: listeners and clusters always go complete (what a response omits, the
   * client deletes); route configurations and load assignments are sent complete when the
   * subscription changes and otherwise only those that changed (the protocol lets these types
   * be updated one by one: an omitted one is kept).
   */
  private void pushSotw(TypeState state, Snapshot snapshot, boolean full, boolean onChange) {
    Snapshot.Prepared p = prepare(state, snapshot);
    if (!full && p.version().equals(state.sentVersion)) {
      return; // nothing changed for this client
    }
    List<Any> resources = new ArrayList<>(p.resources().size());
    boolean complete = full || TypeUrls.wildcardCapable(state.type);
    for (Map.Entry<String, Any> e : p.resources().entrySet()) {
      if (complete || !p.versions().get(e.getKey()).equals(state.clientVersions.get(e.getKey()))) {
        resources.add(e.getValue());
      }
    }
    if (resources.isEmpty() && !complete) {
      return; // only removals: a removed load assignment or route goes with its cluster or listener
    }
    String nonce = Long.toString(++nonces);
    DiscoveryResponse response = DiscoveryResponse.newBuilder()
        .setVersionInfo(p.version())
        .setTypeUrl(state.type)
        .setNonce(nonce)
        .addAllResources(resources)
        .build();
    state.clientVersions = p.versions();
    state.sentVersion = p.version();
    state.sentNonce = nonce;
    state.sent = p.resources();
    state.lastPush = Instant.now();
    state.pushes++;
    sotw.accept(response);
    server.pushed(this, state.type, snapshot, onChange);
  }

  private void pushDelta(TypeState state, Snapshot snapshot, boolean onChange) {
    Snapshot.Prepared p = prepare(state, snapshot);
    DeltaDiscoveryResponse.Builder response = DeltaDiscoveryResponse.newBuilder().setTypeUrl(state.type)
        .setSystemVersionInfo(p.version());
    for (Map.Entry<String, Any> e : p.resources().entrySet()) {
      String version = p.versions().get(e.getKey());
      if (!version.equals(state.clientVersions.get(e.getKey()))) {
        response.addResources(Resource.newBuilder().setName(e.getKey()).setVersion(version).setResource(e.getValue()));
      }
    }
    Set<String> removed = new HashSet<>();
    for (String name : state.clientVersions.keySet()) {
      if (!p.resources().containsKey(name)) {
        removed.add(name);
      }
    }
    if (response.getResourcesCount() == 0 && removed.isEmpty() && state.sentVersion != null) {
      return;
    }
    response.addAllRemovedResources(new TreeSet<>(removed));
    String nonce = Long.toString(++nonces);
    response.setNonce(nonce);
    state.clientVersions = p.versions(); // what the client has now: exactly the snapshot's resources
    state.sentVersion = p.version();
    state.sentNonce = nonce;
    state.sent = p.resources();
    state.lastPush = Instant.now();
    state.pushes++;
    incremental.accept(response.build());
    server.pushed(this, state.type, snapshot, onChange);
  }

  /** The API view: node, scope, per type subscription, versions and NACKs. */
  JsonObject status() {
    JsonObject typesJson = new JsonObject();
    for (TypeState s : types.values()) {
      JsonObject t = new JsonObject()
          .put("subscribed", s.wildcard ? new JsonArray().add("*") : new JsonArray(List.copyOf(s.names)))
          .put("sentVersion", s.sentVersion)
          .put("ackedVersion", s.ackedVersion)
          .put("resources", s.sent.size())
          .put("pushes", s.pushes)
          .put("lastPush", s.lastPush == null ? null : s.lastPush.toString());
      if (s.nackMessage != null) {
        t.put("nack", new JsonObject().put("rejectedVersion", s.nackVersion).put("message", s.nackMessage).put("at", s.nackAt.toString()));
      }
      if (!s.withheld.isEmpty()) {
        JsonObject withheld = new JsonObject();
        s.withheld.forEach(withheld::put);
        t.put("withheld", withheld);
      }
      typesJson.put(TypeUrls.shortName(s.type), t);
    }
    return new JsonObject()
        .put("stream", id)
        .put("protocol", delta ? "delta" : "sotw")
        .put("connectedAt", connectedAt.toString())
        .put("node", node == null ? null : node.toJson())
        .put("scope", node == null ? null : node.scope().toJson())
        .put("types", typesJson);
  }

  /** What this client was last sent, by type short name → resource name → Any. */
  Map<String, Map<String, Any>> lastSent() {
    Map<String, Map<String, Any>> result = new LinkedHashMap<>();
    for (String type : TypeUrls.ORDER) {
      TypeState s = types.get(type);
      if (s != null) {
        result.put(TypeUrls.shortName(type), s.sent);
      }
    }
    return result;
  }
}
