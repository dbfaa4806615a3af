package io.meridian.rules;

import io.meridian.common.Addresses;
import io.meridian.common.auth.Principal;
import io.meridian.common.error.BusErrors;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The rules role's bus API, usable from any node. Failures arrive as
 * {@link io.meridian.common.error.ApiException}; validation failures carry per-document
 * {@code results} (with {@code errors} and {@code warnings}, each with a JSON {@code path}) in
 * their details.
 */
public final class RulesClient {

  public static final String PUT = "put";
  public static final String APPLY = "apply";
  public static final String GET = "get";
  public static final String LIST = "list";
  public static final String DELETE = "delete";
  public static final String HISTORY = "history";
  public static final String ROLLBACK = "rollback";
  public static final String EXPORT = "export";
  public static final String EVENTS = "events";

  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Vertx vertx;

  public RulesClient(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Creates or replaces one rule. Reply as {@link #apply} with one result. */
  public Future<JsonObject> put(RuleKind kind, String namespace, String name, JsonObject document, Principal by) {
    return request(PUT, id(kind, namespace, name).put("document", document), by);
  }

  /** Applies documents atomically. Reply: {@code {"index", "dryRun", "results"}}. */
  public Future<JsonObject> apply(JsonArray documents, String defaultNamespace, boolean dryRun, Principal by) {
    return request(APPLY, new JsonObject().put("documents", documents).put("namespace", defaultNamespace).put("dryRun", dryRun), by);
  }

  /** Reply: {@code {"index", "rule"}}. */
  public Future<JsonObject> get(RuleKind kind, String namespace, String name) {
    return request(GET, id(kind, namespace, name), null);
  }

  /** Reply: {@code {"index", "rules"}}; {@code kind} and {@code namespace} may be null. */
  public Future<JsonObject> list(RuleKind kind, String namespace) {
    return request(LIST, new JsonObject().put("kind", kind == null ? null : kind.kind()).put("namespace", namespace), null);
  }

  /** Reply: {@code {"index", "deleted"}}; {@code resourceVersion} (may be null) must match. */
  public Future<JsonObject> delete(RuleKind kind, String namespace, String name, String resourceVersion, Principal by) {
    return request(DELETE, id(kind, namespace, name).put("resourceVersion", resourceVersion), by);
  }

  /** Reply: {@code {"kind","namespace","name","revisions": [{"revision","time","by","action","resourceVersion","document"}]}}. */
  public Future<JsonObject> history(RuleKind kind, String namespace, String name) {
    return request(HISTORY, id(kind, namespace, name), null);
  }

  /** Applies revision {@code revision}'s document as a new revision. Reply as {@link #apply}. */
  public Future<JsonObject> rollback(RuleKind kind, String namespace, String name, long revision, Principal by) {
    return request(ROLLBACK, id(kind, namespace, name).put("revision", revision), by);
  }

  /** Reply: {@code {"index", "documents"}} (export form, stable order); {@code namespace} may be null. */
  public Future<JsonObject> export(String namespace) {
    return request(EXPORT, new JsonObject().put("namespace", namespace), null);
  }

  /** Events after {@code since} ({@code -1}: just the index). Reply: {@code {"index", "events"}} or {@code {"index", "reset": true}}. */
  public Future<JsonObject> events(long since) {
    return request(EVENTS, new JsonObject().put("since", since), null);
  }

  private static JsonObject id(RuleKind kind, String namespace, String name) {
    return new JsonObject().put("kind", kind.kind()).put("namespace", namespace).put("name", name);
  }

  private Future<JsonObject> request(String action, JsonObject body, Principal by) {
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_ACTION, action).setSendTimeout(TIMEOUT.toMillis());
    if (by != null) {
      options.addHeader(Addresses.HEADER_PRINCIPAL, by.toJson().encode());
    }
    return vertx.eventBus().<JsonObject>request(Addresses.RULES, body, options)
        .map(Message::body)
        .recover(failure -> Future.failedFuture(BusErrors.toApi(failure, Addresses.RULES)));
  }
}
