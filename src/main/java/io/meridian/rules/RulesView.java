package io.meridian.rules;

import io.meridian.common.Addresses;
import io.meridian.common.events.EventFollower;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A live copy of every rule for a consumer (the xDS server, a gateway): the rules snapshot,
 * kept current from {@link Addresses#RULES_EVENTS} by an {@link EventFollower} (no gaps, no
 * duplicates; a reset reloads). Use it from the context that created it.
 */
public final class RulesView {

  private final Vertx vertx;
  private final RulesClient client;
  private final Map<String, Rule> rules = new TreeMap<>();
  private EventFollower follower;
  private Handler<JsonObject> changeHandler = e -> { };
  private long index;

  private RulesView(Vertx vertx, RulesClient client) {
    this.vertx = vertx;
    this.client = client;
  }

  /** Loads every rule and follows changes from there. */
  public static Future<RulesView> follow(Vertx vertx) {
    RulesClient client = new RulesClient(vertx);
    RulesView view = new RulesView(vertx, client);
    view.follower = new EventFollower(vertx, Addresses.RULES_EVENTS, client::events, view::apply, current -> view.reload());
    return view.follower.ready()
        .compose(v -> client.list(null, null))
        .map(snapshot -> {
          view.load(snapshot);
          return view;
        })
        .onFailure(e -> view.follower.close());
  }

  /** Called with each rule event ({@code {"index","type","kind","namespace","name","rule"}}) after it is applied. */
  public RulesView onChange(Handler<JsonObject> handler) {
    this.changeHandler = handler;
    return this;
  }

  /** Every rule, by {@code Kind/namespace/name}. */
  public Map<String, Rule> rules() {
    return Collections.unmodifiableMap(rules);
  }

  /** The rules index this view reflects. */
  public long index() {
    return index;
  }

  public Future<Void> close() {
    return follower.close();
  }

  private void load(JsonObject snapshot) {
    rules.clear();
    JsonArray list = snapshot.getJsonArray("rules");
    for (int i = 0; i < list.size(); i++) {
      Rule rule = Rule.fromJson(list.getJsonObject(i));
      rules.put(rule.key(), rule);
    }
    index = snapshot.getLong("index");
    follower.begin(index);
    changeHandler.handle(new JsonObject().put("index", index).put("type", "reloaded"));
  }

  private void reload() {
    client.list(null, null).onSuccess(this::load).onFailure(e -> vertx.setTimer(1000, t -> reload()));
  }

  private void apply(JsonObject event) {
    index = event.getLong("index");
    Rule rule = Rule.fromJson(event.getJsonObject("rule"));
    if ("deleted".equals(event.getString("type"))) {
      rules.remove(rule.key());
    } else {
      rules.put(rule.key(), rule);
    }
    changeHandler.handle(event);
  }
}
