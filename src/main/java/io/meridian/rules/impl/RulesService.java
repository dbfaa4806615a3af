package io.meridian.rules.impl;

import io.meridian.common.Addresses;
import io.meridian.common.config.RulesOptions;
import io.meridian.common.error.ApiException;
import io.meridian.common.error.ErrorCode;
import io.meridian.common.cluster.Replica;
import io.meridian.common.store.DurableIndex;
import io.meridian.common.store.Store;
import io.meridian.common.store.WriteBatch;
import io.meridian.rules.Rule;
import io.meridian.rules.RuleKind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules' behaviour: validated, atomic, durable changes with history, optimistic
 * concurrency and an ordered event stream. Runs on the rules verticle's event loop; changes
 * are serialized (each validated against the state the previous one left), each batch is one
 * durable store write, and events are published only after it.
 */
final class RulesService implements Replica.State {

  static final String CURRENT = "rules.current";
  static final String HISTORY = "rules.history";
  static final String META = "rules.meta";
  static final String CEILING_KEY = "index.ceiling";

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.rules.service");
  private static final Comparator<Rule> ORDER = Comparator.<Rule, Integer>comparing(r -> r.kind().ordinal())
      .thenComparing(Rule::namespace).thenComparing(Rule::name);

  /** One document's outcome in an apply. */
  private record Outcome(RuleDocuments.Candidate candidate, RuleDocuments.Report report, String action, JsonObject identity) {
  }

  private final Vertx vertx;
  private final Store store;
  private final RulesOptions options;
  private final Supplier<RuleValidator.Facts> facts;
  private final Map<String, Rule> rules = new TreeMap<>();
  private final Deque<JsonObject> recentEvents = new ArrayDeque<>();
  private Future<?> queue = Future.succeededFuture();
  private DurableIndex durableIndex;
  private long index;
  private Replica replica;

  RulesService(Vertx vertx, Store store, RulesOptions options, Supplier<RuleValidator.Facts> facts) {
    this.vertx = vertx;
    this.store = store;
    this.options = options;
    this.facts = facts;
  }

  Future<Void> load() {
    long max = 0;
    for (Map.Entry<String, String> e : store.list(CURRENT, "")) {
      Rule rule = Rule.fromJson(new JsonObject(e.getValue()));
      rules.put(rule.key(), rule);
      max = Math.max(max, rule.resourceVersion());
    }
    durableIndex = new DurableIndex(store, META, CEILING_KEY, max);
    index = durableIndex.current();
    LOG.info("loaded {} rules; rules index {}", rules.size(), index);
    return store.write(durableIndex.reserve());
  }

  @Override
  public long index() {
    return index;
  }

  @Override
  public long applied() {
    return durableIndex.applied();
  }

  /** The replica every change goes through (set before the first change). */
  void replica(Replica replica) {
    this.replica = replica;
  }

  // ---- replication -------------------------------------------------------------------------

  /** Writes {@code batch} here and on every in-sync follower, which also record {@code events}. */
  private Future<Void> durable(WriteBatch batch, long lastIndex, List<JsonObject> events) {
    Future<Void> local = store.write(batch);
    if (replica == null) {
      return local;
    }
    WriteBatch shared = new WriteBatch();
    batch.ops().stream().filter(op -> !op.map().equals(META)).forEach(op -> {
      if (op.value() == null) {
        shared.delete(op.map(), op.key());
      } else {
        shared.put(op.map(), op.key(), op.value());
      }
    });
    JsonObject entry = new JsonObject().put("batch", shared.toJson()).put("events", new JsonArray(events));
    return Future.all(local, replica.replicate(lastIndex, entry)).mapEmpty();
  }

  @Override
  public JsonObject snapshot() {
    // the visible rules (consistent with index); history may hold a revision being written: harmless
    JsonObject current = new JsonObject();
    rules.forEach((key, rule) -> current.put(key, rule.toJson().encode()));
    JsonObject history = new JsonObject();
    store.list(HISTORY, "").forEach(e -> history.put(e.getKey(), e.getValue()));
    return new JsonObject().put("current", current).put("history", history);
  }

  @Override
  public Future<Void> install(long installed, JsonObject snapshot) {
    WriteBatch batch = new WriteBatch();
    JsonObject current = snapshot.getJsonObject("current", new JsonObject());
    JsonObject history = snapshot.getJsonObject("history", new JsonObject());
    store.list(CURRENT, "").forEach(e -> {
      if (!current.containsKey(e.getKey())) {
        batch.delete(CURRENT, e.getKey());
      }
    });
    store.list(HISTORY, "").forEach(e -> {
      if (!history.containsKey(e.getKey())) {
        batch.delete(HISTORY, e.getKey());
      }
    });
    rules.clear();
    current.forEach(e -> {
      batch.put(CURRENT, e.getKey(), (String) e.getValue());
      Rule rule = Rule.fromJson(new JsonObject((String) e.getValue()));
      rules.put(rule.key(), rule);
    });
    history.forEach(e -> batch.put(HISTORY, e.getKey(), (String) e.getValue()));
    durableIndex.resetTo(installed, batch);
    index = installed;
    recentEvents.clear();
    LOG.info("installed the leader's snapshot: {} rules at index {}", rules.size(), installed);
    return store.write(batch);
  }

  @Override
  public Future<Void> apply(long idx, JsonObject entry) {
    WriteBatch batch = WriteBatch.fromJson(entry.getJsonArray("batch", new JsonArray()));
    for (WriteBatch.Op op : batch.ops()) {
      if (op.map().equals(CURRENT)) {
        if (op.value() == null) {
          rules.remove(op.key());
        } else {
          rules.put(op.key(), Rule.fromJson(new JsonObject(op.value())));
        }
      }
    }
    durableIndex.advanceTo(idx, batch);
    index = idx;
    for (Object e : entry.getJsonArray("events", new JsonArray())) {
      remember((JsonObject) e);
    }
    return store.write(batch);
  }

  /** Only the leader writes; followers need nothing else from leading. */
  @Override
  public void leading(boolean leading) {
    // the rules role has no singleton work
  }

  int size() {
    return rules.size();
  }

  // ---- writes (serialized) -----------------------------------------------------------------

  private <T> Future<T> serialized(Supplier<Future<T>> work) {
    Future<T> result = queue.transform(ignored -> {
      try {
        return work.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    });
    queue = result;
    return result;
  }

  /**
   * Applies documents atomically: all are valid and written in one durable batch, or none is.
   * Reply: {@code {"index", "dryRun", "results": [{"kind","namespace","name","action",
   * "resourceVersion","revision","warnings"}]}}; failures carry the same results (with
   * {@code errors}) in the error's details.
   */
  Future<JsonObject> apply(JsonArray documents, String defaultNamespace, boolean dryRun, String by) {
    return serialized(() -> applyNow(documents, defaultNamespace, dryRun, by, null));
  }

  /** Creates or replaces the rule at {@code kind/namespace/name} (the document must agree with the URL). */
  Future<JsonObject> put(JsonObject document, RuleKind kind, String namespace, String name, String by) {
    return serialized(() -> {
      RuleDocuments.Report report = new RuleDocuments.Report();
      Object docKind = document.getValue("kind");
      if (docKind != null && !kind.kind().equals(docKind)) {
        report.error("kind", "the document is a " + docKind + " but the URL names " + kind.kind());
      }
      JsonObject metadata = document.getValue("metadata") instanceof JsonObject m ? m : null;
      if (metadata != null) {
        if (metadata.getValue("name") != null && !name.equals(metadata.getValue("name"))) {
          report.error("metadata.name", "is '" + metadata.getValue("name") + "' but the URL names '" + name + "'");
        }
        if (metadata.getValue("namespace") != null && !namespace.equals(metadata.getValue("namespace"))) {
          report.error("metadata.namespace", "is '" + metadata.getValue("namespace") + "' but the URL names '" + namespace + "'");
        }
      }
      if (!report.ok()) {
        return Future.failedFuture(invalid("the document does not match its URL", List.of(new Outcome(null, report, null, identity(document)))));
      }
      JsonObject filled = document.copy();
      filled.put("kind", kind.kind());
      JsonObject meta = filled.getValue("metadata") instanceof JsonObject m ? m : new JsonObject();
      if (filled.getValue("metadata") == null) {
        filled.put("metadata", meta);
      }
      meta.put("name", name).put("namespace", namespace);
      return applyNow(new JsonArray().add(filled), namespace, false, by, null);
    });
  }

  Future<JsonObject> delete(RuleKind kind, String namespace, String name, String resourceVersion, String by) {
    return serialized(() -> {
      String key = Rule.key(kind, namespace, name);
      Rule current = rules.get(key);
      if (current == null) {
        return Future.failedFuture(ApiException.notFound("no " + kind.kind() + " " + namespace + "/" + name));
      }
      if (resourceVersion != null && !resourceVersion.equals(Long.toString(current.resourceVersion()))) {
        return Future.failedFuture(stale(current, resourceVersion));
      }
      WriteBatch batch = new WriteBatch();
      long idx = nextIndex(batch);
      long revision = lastRevision(key) + 1;
      String now = Instant.now().toString();
      batch.delete(CURRENT, key);
      batch.put(HISTORY, historyKey(key, revision), historyRecord(revision, now, by, "deleted", idx, current.toDocument()).encode());
      JsonObject event = event(idx, "deleted", current, by);
      return durable(batch, idx, List.of(event)).map(v -> {
        rules.remove(key);
        publish(event);
        return new JsonObject().put("index", idx).put("deleted", current.toJson());
      });
    });
  }

  /** Re-applies the document of revision {@code revision} as a new revision. */
  Future<JsonObject> rollback(RuleKind kind, String namespace, String name, long revision, String by) {
    return serialized(() -> {
      String key = Rule.key(kind, namespace, name);
      String record = store.get(HISTORY, historyKey(key, revision));
      if (record == null) {
        return Future.failedFuture(ApiException.notFound("no revision " + revision + " of " + kind.kind() + " " + namespace + "/" + name));
      }
      JsonObject entry = new JsonObject(record);
      if (entry.getString("action").equals("deleted")) {
        return Future.failedFuture(ApiException.badRequest("revision", "revision " + revision + " is a deletion; roll back to a revision that holds the rule"));
      }
      return applyNow(new JsonArray().add(entry.getJsonObject("document")), namespace, false, by, "rolled back to revision " + revision);
    });
  }

  private Future<JsonObject> applyNow(JsonArray documents, String defaultNamespace, boolean dryRun, String by, String note) {
    if (documents.size() > options.maxDocuments()) {
      return Future.failedFuture(ApiException.badRequest(null, documents.size() + " documents in one apply; at most "
          + options.maxDocuments() + " (rules.maxDocuments)"));
    }
    if (documents.isEmpty()) {
      return Future.failedFuture(ApiException.badRequest(null, "no rule documents to apply"));
    }
    List<Outcome> outcomes = new ArrayList<>();
    Map<String, RuleDocuments.Candidate> world = new LinkedHashMap<>();
    rules.forEach((k, r) -> world.put(k, RuleDocuments.Candidate.of(r)));
    Set<String> inBatch = new HashSet<>();
    for (int i = 0; i < documents.size(); i++) {
      RuleDocuments.Report report = new RuleDocuments.Report();
      RuleDocuments.Candidate c = RuleDocuments.read(documents.getValue(i), defaultNamespace, options.maxDocumentSize(), report);
      if (c != null && !inBatch.add(c.key())) {
        report.error("metadata.name", c.kind().kind() + " " + c.namespace() + "/" + c.name() + " appears twice in this apply");
      }
      if (c != null) {
        world.put(c.key(), c);
      }
      outcomes.add(new Outcome(c, report, null, identity(documents.getValue(i))));
    }
    RuleValidator validator = new RuleValidator(facts.get());
    boolean stale = false;
    List<Outcome> checked = new ArrayList<>();
    for (Outcome o : outcomes) {
      if (o.candidate() == null) {
        checked.add(o);
        continue;
      }
      validator.validate(o.candidate(), world.values(), o.report());
      Rule current = rules.get(o.candidate().key());
      String rv = o.candidate().resourceVersion();
      if (rv != null && (current == null || !rv.equals(Long.toString(current.resourceVersion())))) {
        stale = true;
        o.report().error("metadata.resourceVersion", current == null ? "resourceVersion " + rv + " given, but the rule does not exist"
            : "resourceVersion " + rv + " is stale: the rule is at " + current.resourceVersion() + " (reload and retry)");
      }
      String action = current == null ? "created" : current.sameContent(o.candidate().toRule(0, 0, null, null)) ? "unchanged" : "updated";
      checked.add(new Outcome(o.candidate(), o.report(), action, o.identity()));
    }
    boolean failed = checked.stream().anyMatch(o -> !o.report().ok());
    if (failed) {
      boolean onlyStale = stale && checked.stream().allMatch(o -> o.report().errors.stream()
          .allMatch(e -> e.path().equals("metadata.resourceVersion")));
      String message = onlyStale ? "a rule changed since it was read (stale resourceVersion)" : "rules are invalid: nothing was applied";
      return Future.failedFuture(onlyStale ? conflict(message, checked) : invalid(message, checked));
    }
    if (dryRun) {
      return Future.succeededFuture(results(checked, null, true));
    }
    WriteBatch batch = new WriteBatch();
    String now = Instant.now().toString();
    List<Rule> written = new ArrayList<>();
    List<String> actions = new ArrayList<>();
    for (Outcome o : checked) {
      if (o.action().equals("unchanged")) {
        continue;
      }
      String key = o.candidate().key();
      long idx = nextIndex(batch);
      long revision = lastRevision(key, written) + 1;
      Rule rule = o.candidate().toRule(idx, revision, now, by);
      batch.put(CURRENT, key, rule.toJson().encode());
      JsonObject record = historyRecord(revision, now, by, note != null ? "rolledback" : o.action(), idx, rule.toDocument());
      if (note != null) {
        record.put("note", note);
      }
      batch.put(HISTORY, historyKey(key, revision), record.encode());
      written.add(rule);
      actions.add(o.action());
    }
    if (written.isEmpty()) {
      return Future.succeededFuture(results(checked, Map.of(), false));
    }
    pruneHistory(batch, written);
    List<JsonObject> events = new ArrayList<>();
    for (int i = 0; i < written.size(); i++) {
      events.add(event(written.get(i).resourceVersion(), actions.get(i), written.get(i), by));
    }
    return durable(batch, written.get(written.size() - 1).resourceVersion(), events).map(v -> {
      Map<String, Rule> byKey = new LinkedHashMap<>();
      for (int i = 0; i < written.size(); i++) {
        Rule rule = written.get(i);
        rules.put(rule.key(), rule);
        byKey.put(rule.key(), rule);
        publish(events.get(i));
      }
      return results(checked, byKey, false);
    });
  }

  private JsonObject results(List<Outcome> outcomes, Map<String, Rule> written, boolean dryRun) {
    JsonArray results = new JsonArray();
    for (Outcome o : outcomes) {
      results.add(result(o, written == null ? null : written.get(o.candidate().key())));
    }
    return new JsonObject().put("index", index).put("dryRun", dryRun).put("results", results);
  }

  private JsonObject result(Outcome o, Rule written) {
    JsonObject result = new JsonObject();
    RuleDocuments.Candidate c = o.candidate();
    if (c == null && o.identity() != null) {
      result.mergeIn(o.identity());
    }
    if (c != null) {
      result.put("kind", c.kind().kind()).put("namespace", c.namespace()).put("name", c.name());
      Rule current = written != null ? written : rules.get(c.key());
      if (current != null && o.action() != null) {
        result.put("resourceVersion", Long.toString(current.resourceVersion())).put("revision", current.revision());
      }
    }
    if (o.action() != null) {
      result.put("action", o.action());
    }
    if (!o.report().errors.isEmpty()) {
      result.put("errors", o.report().errorsJson());
    }
    result.put("warnings", o.report().warningsJson());
    return result;
  }

  /** What a document says it is, even when it is invalid (for per-document results). */
  private static JsonObject identity(Object document) {
    JsonObject identity = new JsonObject();
    if (document instanceof JsonObject doc) {
      if (doc.getValue("kind") instanceof String kind) {
        identity.put("kind", kind);
      }
      if (doc.getValue("metadata") instanceof JsonObject metadata) {
        if (metadata.getValue("namespace") instanceof String ns) {
          identity.put("namespace", ns);
        }
        if (metadata.getValue("name") instanceof String name) {
          identity.put("name", name);
        }
      }
    }
    return identity;
  }

  private ApiException invalid(String message, List<Outcome> outcomes) {
    return withResults(new ApiException(ErrorCode.BAD_REQUEST, firstMessage(outcomes, message), firstPath(outcomes)), outcomes);
  }

  private ApiException conflict(String message, List<Outcome> outcomes) {
    return withResults(new ApiException(ErrorCode.CONFLICT, firstMessage(outcomes, message), firstPath(outcomes)), outcomes);
  }

  private ApiException withResults(ApiException e, List<Outcome> outcomes) {
    JsonArray results = new JsonArray();
    outcomes.forEach(o -> results.add(result(o, null)));
    return e.withDetails(new JsonObject().put("results", results));
  }

  private static String firstPath(List<Outcome> outcomes) {
    for (Outcome o : outcomes) {
      if (!o.report().errors.isEmpty()) {
        return o.report().errors.get(0).path();
      }
    }
    return null;
  }

  private static String firstMessage(List<Outcome> outcomes, String fallback) {
    for (Outcome o : outcomes) {
      if (!o.report().errors.isEmpty()) {
        RuleDocuments.Issue first = o.report().errors.get(0);
        return (first.path().isEmpty() ? "" : first.path() + ": ") + first.message();
      }
    }
    return fallback;
  }

  private static ApiException stale(Rule current, String given) {
    return new ApiException(ErrorCode.CONFLICT, "resourceVersion " + given + " is stale: the rule is at "
        + current.resourceVersion() + " (reload and retry)", "metadata.resourceVersion");
  }

  /**
   * Allocates the index of a change being written. {@link #index} moves only when the change
   * is visible (written, in {@link #rules}, published): a snapshot taken meanwhile must not
   * claim an index whose rule it lacks, or a follower would drop that rule's event as seen.
   */
  private long nextIndex(WriteBatch batch) {
    return durableIndex.next(batch);
  }

  private static JsonObject event(long idx, String type, Rule rule, String by) {
    return new JsonObject()
        .put("index", idx)
        .put("type", type)
        .put("kind", rule.kind().kind())
        .put("namespace", rule.namespace())
        .put("name", rule.name())
        .put("by", by)
        .put("rule", rule.toJson());
  }

  /** Makes a change visible here and tells every node (the leader only). */
  private void publish(JsonObject event) {
    remember(event);
    vertx.eventBus().publish(Addresses.RULES_EVENTS, event);
  }

  private void remember(JsonObject event) {
    index = Math.max(index, event.getLong("index"));
    recentEvents.addLast(event);
    while (recentEvents.size() > options.eventsRetained()) {
      recentEvents.removeFirst();
    }
  }

  // ---- history -----------------------------------------------------------------------------

  private static String historyKey(String key, long revision) {
    return key + "/" + String.format("%010d", revision);
  }

  private static JsonObject historyRecord(long revision, String at, String by, String action, long idx, JsonObject document) {
    return new JsonObject().put("revision", revision).put("time", at).put("by", by).put("action", action)
        .put("resourceVersion", Long.toString(idx)).put("document", document);
  }

  private long lastRevision(String key) {
    List<Map.Entry<String, String>> entries = store.list(HISTORY, key + "/");
    return entries.isEmpty() ? 0 : new JsonObject(entries.get(entries.size() - 1).getValue()).getLong("revision");
  }

  private long lastRevision(String key, List<Rule> pending) {
    for (int i = pending.size() - 1; i >= 0; i--) {
      if (pending.get(i).key().equals(key)) {
        return pending.get(i).revision();
      }
    }
    return lastRevision(key);
  }

  private void pruneHistory(WriteBatch batch, List<Rule> written) {
    for (Rule rule : written) {
      List<Map.Entry<String, String>> entries = store.list(HISTORY, rule.key() + "/");
      int excess = entries.size() + 1 - options.historyPerRule();
      for (int i = 0; i < excess; i++) {
        batch.delete(HISTORY, entries.get(i).getKey());
      }
    }
  }

  JsonObject history(RuleKind kind, String namespace, String name) {
    String key = Rule.key(kind, namespace, name);
    JsonArray revisions = new JsonArray();
    for (Map.Entry<String, String> e : store.list(HISTORY, key + "/")) {
      revisions.add(new JsonObject(e.getValue()));
    }
    if (revisions.isEmpty()) {
      throw ApiException.notFound("no history for " + kind.kind() + " " + namespace + "/" + name);
    }
    return new JsonObject().put("kind", kind.kind()).put("namespace", namespace).put("name", name).put("revisions", revisions);
  }

  // ---- reads -------------------------------------------------------------------------------

  JsonObject get(RuleKind kind, String namespace, String name) {
    Rule rule = rules.get(Rule.key(kind, namespace, name));
    if (rule == null) {
      throw ApiException.notFound("no " + kind.kind() + " " + namespace + "/" + name);
    }
    return new JsonObject().put("index", index).put("rule", rule.toJson());
  }

  JsonObject list(RuleKind kind, String namespace) {
    JsonArray list = new JsonArray();
    select(kind, namespace).forEach(r -> list.add(r.toJson()));
    return new JsonObject().put("index", index).put("rules", list);
  }

  /** Documents (export form) of every rule, or of one namespace, in a stable order. */
  JsonObject export(String namespace) {
    JsonArray docs = new JsonArray();
    select(null, namespace).forEach(r -> docs.add(r.toDocument()));
    return new JsonObject().put("index", index).put("documents", docs);
  }

  private List<Rule> select(RuleKind kind, String namespace) {
    List<Rule> selected = new ArrayList<>();
    for (Rule r : rules.values()) {
      if ((kind == null || r.kind() == kind) && (namespace == null || r.namespace().equals(namespace))) {
        selected.add(r);
      }
    }
    selected.sort(ORDER);
    return selected;
  }

  /** Rules of every kind, for consumers loading a snapshot. */
  Collection<Rule> all() {
    return rules.values();
  }

  /** Events after {@code since} ({@code reset: true} when no longer kept). */
  JsonObject events(long since) {
    JsonArray events = new JsonArray();
    if (since < 0) {
      return new JsonObject().put("index", index).put("events", events);
    }
    if (since < index && (recentEvents.isEmpty() || recentEvents.peekFirst().getLong("index") > since + 1)) {
      return new JsonObject().put("index", index).put("reset", true);
    }
    for (JsonObject e : recentEvents) {
      if (e.getLong("index") > since) {
        events.add(e);
      }
    }
    return new JsonObject().put("index", index).put("events", events);
  }
}
