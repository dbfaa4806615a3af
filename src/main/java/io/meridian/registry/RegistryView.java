package io.meridian.registry;

import io.meridian.common.Addresses;
import io.meridian.common.events.EventFollower;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A live, scoped copy of the registry for one consumer (a gateway, an xDS node): a snapshot
 * of what the {@link Scope} sees, kept current from the event stream by an
 * {@link EventFollower} (no gaps, no duplicates; a reset reloads the snapshot).
 *
 * <p>Use it from the context that created it: {@link #instances()} and the change handler are
 * not thread-safe.
 */
public final class RegistryView {

  private final Vertx vertx;
  private final RegistryClient client;
  private final Scope scope;
  private final Map<String, Instance> instances = new LinkedHashMap<>();
  private EventFollower follower;
  private Handler<RegistryEvent> changeHandler = e -> { };
  private Handler<Long> reloadHandler = index -> { };
  private long index;

  private RegistryView(Vertx vertx, RegistryClient client, Scope scope) {
    this.vertx = vertx;
    this.client = client;
    this.scope = scope;
  }

  /** Loads the scoped snapshot and follows changes from there. */
  public static Future<RegistryView> follow(Vertx vertx, Scope scope) {
    RegistryClient client = new RegistryClient(vertx);
    RegistryView view = new RegistryView(vertx, client, scope);
    view.follower = new EventFollower(vertx, Addresses.REGISTRY_EVENTS, client::events, view::apply, current -> view.reload());
    return view.follower.ready()
        .compose(v -> client.view(scope, 0, null))
        .map(snapshot -> {
          view.load(snapshot);
          return view;
        })
        .onFailure(e -> view.follower.close());
  }

  /** Called for each change that affects this view (after the view has applied it). */
  public RegistryView onChange(Handler<RegistryEvent> handler) {
    this.changeHandler = handler;
    return this;
  }

  /**
   * Called with the new index after the view reloaded its snapshot (events were lost for
   * good, e.g. the registry restarted): anything may have changed.
   */
  public RegistryView onReload(Handler<Long> handler) {
    this.reloadHandler = handler;
    return this;
  }

  /** The instances in scope (projected), by id. */
  public Map<String, Instance> instances() {
    return Collections.unmodifiableMap(instances);
  }

  /** The registry index this view reflects. */
  public long index() {
    return index;
  }

  public Scope scope() {
    return scope;
  }

  public Future<Void> close() {
    return follower.close();
  }

  private void load(JsonObject snapshot) {
    instances.clear();
    JsonArray array = snapshot.getJsonArray("instances");
    for (int i = 0; i < array.size(); i++) {
      Instance instance = Instance.fromJson(array.getJsonObject(i));
      instances.put(instance.id(), instance);
    }
    index = snapshot.getLong("index");
    follower.begin(index);
  }

  private void reload() {
    // the follower buffers events meanwhile; on failure try again shortly
    client.view(scope, 0, null).onSuccess(snapshot -> {
      load(snapshot);
      reloadHandler.handle(index);
    }).onFailure(e -> vertx.setTimer(1000, t -> reload()));
  }

  private void apply(JsonObject json) {
    RegistryEvent event = RegistryEvent.fromJson(json);
    index = event.index();
    Instance projected = event.type().equals(RegistryEvent.DEREGISTERED) ? null : scope.project(event.instance());
    boolean affected;
    if (projected == null) {
      affected = instances.remove(event.id()) != null;
    } else {
      instances.put(event.id(), projected);
      affected = true;
    }
    if (affected) {
      changeHandler.handle(event);
    }
  }
}
