package io.meridian.common.cluster;

import io.meridian.common.Addresses;
import io.meridian.common.error.ApiException;
import io.meridian.common.error.BusErrors;
import io.meridian.common.error.ErrorCode;
import io.meridian.common.store.Store;
import io.meridian.common.store.WriteBatch;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicates one role's state from the role's leader to every other member running the role
 * (docs/cluster.md), so that any of them can answer reads and take over when the leader dies.
 *
 * <p>The leader is the oldest member running the role ({@link Membership#leader}). It alone
 * changes the state: each change takes the next index and is sent, as an entry naming the index
 * before it ({@code prev}), to every follower; {@link #replicate} completes when every follower
 * that is <em>in sync</em> has made the entry durable (a follower that fails to answer within
 * {@link Options#ackTimeout} drops out of sync and catches up again). A write acknowledged to a
 * client is therefore durable on the leader and on every in-sync follower.
 *
 * <p>A follower applies entries strictly in their chain ({@code prev} = its index), buffering
 * any that arrive early. It starts by fetching the leader's snapshot ({@code sync}) and tells the
 * leader when it has caught up ({@code synced}), which puts it in sync.
 *
 * <p>Every leadership has a term, one more than any term its leader has seen, persisted by each
 * replica when it first holds a change of that term; a replica's position is (term, index). A
 * member that becomes leader first asks the other members for their position and installs the
 * snapshot of the most advanced one if it is behind, so nothing an old leader had acknowledged
 * is lost while any in-sync follower survives; then it leads and the others sync from it. A
 * member joining later with a more advanced position (the cluster restarted with a stale member
 * first) makes the leader take over again from it.
 * Writes are refused without a {@linkplain Membership#quorum() quorum}, so the minority side of
 * a partition cannot diverge.
 *
 * <p>Every method runs on the context that {@linkplain #start started} it (the role's event loop).
 */
public final class Replica {

  /** What the role gives its replica. Every method is called on the role's context. */
  public interface State {

    /** The index of the last change held (applied or made). */
    long index();

    /**
     * The index of the last change held <em>durably</em>, exact across restarts: what decides
     * which member is the most advanced. {@link #index()} may run ahead of it (a restart
     * skips indexes to stay monotonic for clients); it never runs ahead of {@link #index()}.
     */
    default long applied() {
      return index();
    }

    /** Everything replicated, as of {@link #index()}. */
    JsonObject snapshot();

    /**
     * Replaces the whole state (memory and store) with a snapshot taken at {@code index};
     * completes when durable. {@link #index()} is {@code index} afterwards.
     */
    Future<Void> install(long index, JsonObject snapshot);

    /**
     * Applies one change the leader made (a follower); {@link #index()} must be {@code index}
     * when this returns; the future completes when the change is durable.
     */
    Future<Void> apply(long index, JsonObject entry);

    /** This node starts ({@code true}) or stops leading: start or stop the role's singleton work. */
    void leading(boolean leading);
  }

  /** Runs a write: the operation's name, its body and who asks (as a role's bus service does). */
  @FunctionalInterface
  public interface Writes {
    Future<JsonObject> handle(String action, JsonObject body, String by);
  }

  /**
   * Timings.
   *
   * @param ackTimeout how long the leader waits for a follower's acknowledgement before dropping it out of sync
   * @param retry      the pause before asking again (sync, takeover) and how long an entry gap may last
   */
  public record Options(Duration ackTimeout, Duration retry) {
    public static final Options DEFAULT = new Options(Duration.ofSeconds(5), Duration.ofMillis(500));
  }

  /** What this replica currently is. */
  public enum Mode {
    /** started, not yet placed */
    IDLE,
    /** becoming leader: catching up from the most advanced member */
    TAKEOVER,
    LEADER,
    /** fetching the leader's snapshot */
    SYNCING,
    FOLLOWER
  }

  static final String MAP = "replica";
  static final String ENTRY = "entry";
  static final String SYNC = "sync";
  static final String SYNCED = "synced";
  static final String STATUS = "status";
  static final String SNAPSHOT = "snapshot";
  static final String RESYNC = "resync";
  static final String FORWARD = "forward";

  private static final Logger LOG = LoggerFactory.getLogger("io.meridian.cluster.replica");
  private static final Duration FORWARD_RETRY_FOR = Duration.ofSeconds(20);
  private static final long TRANSFER_TIMEOUT_MILLIS = 60_000;

  private record Pending(long term, long index, JsonObject entry, Message<JsonObject> message) {
  }

  private final Vertx vertx;
  private final Store store;
  private final String role;
  private final Membership membership;
  private final State state;
  private final Options options;
  private final String nodeId;
  private final Map<String, Long> inSync = new java.util.concurrent.ConcurrentHashMap<>();
  private final TreeMap<Long, Pending> buffer = new TreeMap<>();
  private final Promise<Void> settled = Promise.promise();
  private Context context;
  private MessageConsumer<JsonObject> consumer;
  private AutoCloseable membershipListener;
  private Writes forwarded;
  private volatile Mode mode = Mode.IDLE;
  /** an in-sync follower answered that it follows another leader: take no change until that is settled */
  private volatile boolean deposed;
  private volatile String leaderId;
  private long generation;
  private long lastReplicated;
  private volatile long term;
  private long gapTimer = -1;
  private long gapSince;
  private boolean stopped;

  /** {@code store} keeps the replica's term (map {@value #MAP}, key {@code <role>.term}). */
  public Replica(Vertx vertx, Store store, String role, Membership membership, State state, Options options) {
    this.vertx = vertx;
    this.store = store;
    this.role = role;
    this.membership = membership;
    this.state = state;
    this.options = options;
    this.nodeId = membership.nodeId();
  }

  /**
   * Starts on the calling context: serves this node's replication address and places itself
   * (leader or follower). {@code forwardedWrites} runs the writes other members forward here
   * while this node leads.
   */
  public Future<Void> start(Writes forwardedWrites) {
    context = vertx.getOrCreateContext();
    forwarded = forwardedWrites;
    String storedTerm = store.get(MAP, termKey());
    term = storedTerm == null ? 0 : Long.parseLong(storedTerm);
    consumer = vertx.eventBus().consumer(Addresses.replica(role, nodeId), this::handle);
    return consumer.completion().onSuccess(v -> {
      membershipListener = membership.onChange(() -> context.runOnContext(x -> place()));
      place();
    });
  }

  /** Completes once this replica first leads or has caught up with a leader. */
  public Future<Void> settled() {
    return settled.future();
  }

  public Future<Void> stop() {
    stopped = true;
    generation++;
    if (membershipListener != null) {
      try {
        membershipListener.close();
      } catch (Exception e) {
        LOG.debug("removing the membership listener failed", e);
      }
    }
    vertx.cancelTimer(gapTimer);
    buffer.values().forEach(p -> p.message().fail(ErrorCode.UNAVAILABLE.status(), "stopping"));
    buffer.clear();
    if (mode == Mode.LEADER) {
      state.leading(false);
    }
    mode = Mode.IDLE;
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  public Mode mode() {
    return mode;
  }

  /** Whether this node leads the role now (its takeover done). */
  public boolean leading() {
    return mode == Mode.LEADER;
  }

  /** The member this node takes as leader, or {@code null}. */
  public String leaderId() {
    return leaderId;
  }

  /**
   * Why this node cannot make a change now, or {@code null} when it can: it does not lead
   * ({@link ErrorCode#NOT_LEADER}: forward to the leader) or the cluster lacks a quorum.
   */
  public ApiException refusal() {
    if (deposed && mode == Mode.LEADER) {
      return new ApiException(ErrorCode.NOT_LEADER, "this node may no longer lead the " + role
          + " role (a follower follows another leader): changes are refused until the member list settles");
    }
    if (!leadsNow()) {
      return new ApiException(ErrorCode.NOT_LEADER, "this node does not lead the " + role + " role"
          + (leaderId == null ? "" : " (the leader is " + leaderId + ")"));
    }
    if (!membership.quorum()) {
      return new ApiException(ErrorCode.UNAVAILABLE, "the cluster has " + membership.members().size() + " of the "
          + membership.quorumSize() + " members a quorum needs: changes are refused until it has them again");
    }
    return null;
  }

  /**
   * Whether this node leads and the member list, as it is this instant, still says so: the
   * list can change (a member merging back after a partition) before {@link #place} has run.
   */
  private boolean leadsNow() {
    return mode == Mode.LEADER && !deposed && membership.leads(role);
  }

  /** The replication state for {@code /api/v1/cluster}; safe to call from any thread. */
  public JsonObject describe() {
    JsonObject json = new JsonObject().put("role", role).put("mode", deposed ? "deposed" : mode.name().toLowerCase())
        .put("leader", leaderId)
        .put("term", term).put("index", state.index()).put("applied", state.applied());
    if (mode == Mode.LEADER) {
      JsonArray followers = new JsonArray();
      for (Member m : membership.running(role)) {
        if (!m.id().equals(nodeId)) {
          Long acked = inSync.get(m.id());
          followers.add(new JsonObject().put("id", m.id()).put("inSync", acked != null).put("acked", acked));
        }
      }
      json.put("followers", followers);
    }
    return json;
  }

  // ---- leader ------------------------------------------------------------------------------

  /**
   * Sends the change {@code index} to every follower; completes when every in-sync follower
   * has made it durable (or dropped out of sync). Fails with {@link ErrorCode#NOT_LEADER} when
   * an in-sync follower answers that it follows another leader (this node was cut off and its
   * member list is behind): the change must then not be acknowledged. Call in index order, on
   * the leader only.
   */
  public Future<Void> replicate(long index, JsonObject entry) {
    if (!leadsNow()) {
      return Future.failedFuture(refusal());
    }
    long gen = generation;
    long prev = lastReplicated;
    lastReplicated = index;
    JsonObject message = new JsonObject().put("from", nodeId).put("term", term).put("index", index).put("prev", prev)
        .put("entry", entry);
    List<Future<Void>> counted = new ArrayList<>();
    for (Member follower : membership.running(role)) {
      if (follower.id().equals(nodeId)) {
        continue;
      }
      boolean waitFor = inSync.containsKey(follower.id());
      Future<Void> outcome = request(follower.id(), ENTRY, message, options.ackTimeout().toMillis()).transform(ar -> {
        if (ar.succeeded()) {
          inSync.computeIfPresent(follower.id(), (id, acked) -> Math.max(acked, index));
        } else if (waitFor && ar.cause() instanceof ReplyException reply
            && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && isNotLeader(reply)) {
          // an in-sync follower now follows another leader: this node's view of the cluster is
          // behind (it was cut off or frozen, and the others went on without it). Acknowledging
          // with the followers left out would acknowledge what the real leader never sees.
          LOG.warn("{}: follower {} no longer follows this node; index {} is not acknowledged: {}", role, follower.id(),
              index, reply.getMessage());
          // and nothing more, not even a change that would change nothing (its answer would come
          // from state the other members do not have), until the member list moves or a
          // follower syncs with this node again
          deposed = true;
          return Future.failedFuture(new ApiException(ErrorCode.NOT_LEADER, "this node may no longer lead the " + role
              + " role (member " + follower.id() + " follows another leader); the change is not acknowledged"));
        } else if (inSync.remove(follower.id()) != null) {
          LOG.warn("{} follower {} dropped out of sync at index {}: {}", role, follower.id(), index, ar.cause().getMessage());
          askToResync(follower.id(), gen);
        }
        return Future.succeededFuture();
      });
      if (waitFor) {
        counted.add(outcome);
      }
    }
    Future<Void> replicated = counted.isEmpty() ? Future.succeededFuture() : Future.join(counted).mapEmpty();
    // a change is acknowledged only by a node that still leads once it is replicated (one that
    // stopped leading meanwhile has its state replaced by the new leader's)
    return replicated.compose(v -> gen == generation && leadsNow() ? Future.succeededFuture()
        : Future.failedFuture(new ApiException(ErrorCode.NOT_LEADER, "the " + role
            + " leadership moved before change " + index + " was acknowledged; the change is not acknowledged")));
  }

  /**
   * Tells a follower that dropped out of sync to catch up, until it is told (it may be out of
   * reach for a while: a member merging back after a partition is reachable only once the
   * others know its addresses again) or it is in sync again or gone. Without this, a follower
   * that dropped out while no further change came would stay behind.
   */
  private void askToResync(String follower, long gen) {
    request(follower, RESYNC, new JsonObject().put("from", nodeId), options.ackTimeout().toMillis()).onFailure(e ->
        vertx.setTimer(options.retry().toMillis(), t -> {
          if (gen == generation && mode == Mode.LEADER && !inSync.containsKey(follower)
              && membership.running(role).stream().anyMatch(m -> m.id().equals(follower))) {
            askToResync(follower, gen);
          }
        }));
  }

  /**
   * Runs a write here when this node leads, or at the leader otherwise (retrying while the
   * leadership moves, up to 20 s). The leader runs forwarded writes with the dispatch given to
   * {@link #start}.
   */
  public Future<JsonObject> write(String action, JsonObject body, String by, Writes local) {
    if (mode == Mode.LEADER) {
      ApiException refused = refusal();
      return refused != null ? Future.failedFuture(refused) : local.handle(action, body, by);
    }
    return forward(action, body, by, true, System.nanoTime() + FORWARD_RETRY_FOR.toNanos());
  }

  /**
   * Runs an operation that needs the leader's state but changes nothing replicated (a query of
   * data only the leader holds): here when this node leads, at the leader otherwise; no quorum
   * is needed.
   */
  public Future<JsonObject> atLeader(String action, JsonObject body, String by, Writes local) {
    if (mode == Mode.LEADER) {
      return local.handle(action, body, by);
    }
    return forward(action, body, by, false, System.nanoTime() + FORWARD_RETRY_FOR.toNanos());
  }

  private Future<JsonObject> forward(String action, JsonObject body, String by, boolean change, long deadline) {
    if (mode == Mode.LEADER) {
      return change ? write(action, body, by, forwarded) : forwarded.handle(action, body, by);
    }
    String leader = leaderId;
    Future<JsonObject> attempt = leader == null || leader.equals(nodeId)
        ? Future.failedFuture(new ApiException(ErrorCode.NOT_LEADER, "no " + role + " leader yet"))
        : request(leader, FORWARD, new JsonObject().put("action", action).put("body", body).put("by", by)
            .put("change", change), options.ackTimeout().toMillis()).map(Message::body);
    return attempt.recover(failure -> {
      // the leader moved, is not placed yet, or died before the membership says so: ask again
      // (a write that timed out may have been made: every write here is an idempotent upsert or
      // delete, so doing it again is harmless)
      boolean moved = failure instanceof ApiException api && api.code() == ErrorCode.NOT_LEADER
          || failure instanceof ReplyException reply && (reply.failureType() == ReplyFailure.NO_HANDLERS
              || reply.failureType() == ReplyFailure.TIMEOUT
              || reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && isNotLeader(reply));
      if (!moved || System.nanoTime() - deadline > 0 || stopped) {
        return Future.failedFuture(failure instanceof ApiException ? failure
            : BusErrors.toApi(failure, "the " + role + " leader"));
      }
      Promise<JsonObject> retried = Promise.promise();
      vertx.setTimer(100, t -> forward(action, body, by, change, deadline).onComplete(retried));
      return retried.future();
    });
  }

  private static boolean isNotLeader(ReplyException reply) {
    return BusErrors.toApi(reply, "").code() == ErrorCode.NOT_LEADER;
  }

  // ---- placement ---------------------------------------------------------------------------

  /** Takes the place the member list gives this node: leader or follower of the current leader. */
  private void place() {
    if (stopped) {
      return;
    }
    Set<String> present = new java.util.HashSet<>();
    membership.members().forEach(m -> present.add(m.id()));
    inSync.keySet().retainAll(present);
    String newLeader = membership.leader(role).map(Member::id).orElse(null);
    boolean lead = nodeId.equals(newLeader);
    if (lead && (mode == Mode.LEADER || mode == Mode.TAKEOVER)) {
      return;
    }
    if (!lead && Objects.equals(newLeader, leaderId) && (mode == Mode.FOLLOWER || mode == Mode.SYNCING)) {
      return;
    }
    long gen = ++generation;
    deposed = false;
    if (mode == Mode.LEADER) {
      state.leading(false);
      LOG.info("{}: no longer the leader (now {})", role, newLeader);
    }
    leaderId = newLeader;
    inSync.clear();
    if (newLeader == null) {
      mode = Mode.IDLE;
    } else if (lead) {
      takeOver(gen);
    } else {
      mode = Mode.SYNCING;
      sync(gen);
    }
  }

  private void takeOver(long gen) {
    mode = Mode.TAKEOVER;
    List<Member> peers = membership.running(role).stream().filter(m -> !m.id().equals(nodeId)).toList();
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (Member peer : peers) {
      answers.add(request(peer.id(), STATUS, new JsonObject(), options.ackTimeout().toMillis())
          .map(m -> m.body().put("id", peer.id()))
          .otherwise(e -> null));
    }
    Future.join(answers).transform(x -> {
      if (gen != generation) {
        return Future.failedFuture("superseded");
      }
      JsonObject best = position();
      long highestTerm = term;
      for (Future<JsonObject> answer : answers) {
        JsonObject a = answer.result();
        if (a != null) {
          highestTerm = Math.max(highestTerm, a.getLong("term", 0L));
          if (ahead(a, best)) {
            best = a;
          }
        }
      }
      // a member alone keeps its term: it cannot have diverged from anyone, and a member that
      // joins later with the same data but a newer term must count as more advanced
      long newTerm = peers.isEmpty() ? Math.max(1, term) : highestTerm + 1;
      if (!best.containsKey("id")) {
        return persistTerm(newTerm);
      }
      String from = best.getString("id");
      LOG.info("{}: taking over at {}; {} is ahead at {}: installing its snapshot first", role, position().encode(), from,
          best.copy().put("id", (String) null).encode());
      return request(from, SNAPSHOT, new JsonObject(), TRANSFER_TIMEOUT_MILLIS).compose(m -> install(gen, m.body()))
          .compose(v -> persistTerm(newTerm));
    }).onComplete(ar -> {
      if (gen != generation) {
        return;
      }
      if (ar.failed()) {
        LOG.warn("{}: taking over failed, retrying: {}", role, ar.cause().getMessage());
        vertx.setTimer(options.retry().toMillis(), t -> {
          if (gen == generation) {
            takeOver(gen);
          }
        });
        return;
      }
      lastReplicated = state.index();
      mode = Mode.LEADER;
      LOG.info("{}: leading in term {} at index {} ({} other member(s) run the role)", role, term, state.index(), peers.size());
      state.leading(true);
      settled.tryComplete();
    });
  }

  private void sync(long gen) {
    String leader = leaderId;
    request(leader, SYNC, position().put("from", nodeId), TRANSFER_TIMEOUT_MILLIS)
        .compose(m -> gen == generation ? install(gen, m.body()) : Future.failedFuture("superseded"))
        .onComplete(ar -> {
          if (gen != generation) {
            return;
          }
          if (ar.failed()) {
            LOG.debug("{}: syncing from {} failed, retrying: {}", role, leader, ar.cause().getMessage());
            vertx.setTimer(options.retry().toMillis(), t -> {
              if (gen == generation) {
                sync(gen);
              }
            });
            return;
          }
          mode = Mode.FOLLOWER;
          drain();
          LOG.info("{}: following {} from index {}", role, leader, state.index());
          request(leader, SYNCED, new JsonObject().put("from", nodeId).put("index", state.index()),
              options.ackTimeout().toMillis());
          settled.tryComplete();
        });
  }

  private Future<Void> install(long gen, JsonObject snapshot) {
    if (gen != generation) {
      return Future.failedFuture("superseded");
    }
    long snapshotTerm = snapshot.getLong("term", 0L);
    return state.install(snapshot.getLong("index"), snapshot.getJsonObject("state"))
        .compose(v -> snapshotTerm > term ? persistTerm(snapshotTerm) : Future.succeededFuture());
  }

  /**
   * This replica's position: {@code {"term", "applied", "index"}}; positions compare by term,
   * then by {@code applied} (exact across restarts, unlike the index, which a restart moves ahead).
   */
  private JsonObject position() {
    return new JsonObject().put("term", term).put("applied", state.applied()).put("index", state.index());
  }

  /** Whether position {@code a} is ahead of {@code b}: a later term, or the same term and more applied. */
  static boolean ahead(JsonObject a, JsonObject b) {
    long ta = a.getLong("term", 0L);
    long tb = b.getLong("term", 0L);
    return ta > tb || ta == tb && a.getLong("applied", 0L) > b.getLong("applied", 0L);
  }

  private Future<Void> persistTerm(long newTerm) {
    term = newTerm;
    return store.write(new WriteBatch().put(MAP, termKey(), Long.toString(newTerm)));
  }

  private String termKey() {
    return role + ".term";
  }

  // ---- messages ----------------------------------------------------------------------------

  private void handle(Message<JsonObject> message) {
    String action = message.headers().get(Addresses.HEADER_ACTION);
    JsonObject body = message.body() == null ? new JsonObject() : message.body();
    try {
      switch (action == null ? "" : action) {
        case ENTRY -> onEntry(message, body);
        case SYNC -> onSync(message, body);
        case SYNCED -> onSynced(message, body);
        case STATUS -> message.reply(position().put("mode", mode.name().toLowerCase()).put("leader", leaderId));
        case SNAPSHOT -> message.reply(snapshot());
        case RESYNC -> onResync(message, body);
        case FORWARD -> onForward(message, body);
        default -> BusErrors.fail(message, ApiException.badRequest(Addresses.HEADER_ACTION, "unknown replica action " + action));
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: replica action {} failed", role, action, e);
      BusErrors.fail(message, e);
    }
  }

  private JsonObject snapshot() {
    return position().put("state", state.snapshot());
  }

  private void onSync(Message<JsonObject> message, JsonObject body) {
    if (mode != Mode.LEADER) {
      BusErrors.fail(message, refusal());
      return;
    }
    if (ahead(body, position())) {
      // a member more advanced than this leader joined (the cluster restarted with a stale member first)
      LOG.warn("{}: {} is ahead of this leader ({} > {}): taking over again from it", role, body.getString("from"),
          body.copy().put("from", (String) null).encode(), position().encode());
      BusErrors.fail(message, new ApiException(ErrorCode.NOT_LEADER, "the leader is catching up with this member first"));
      long gen = ++generation;
      state.leading(false);
      inSync.clear();
      takeOver(gen);
      return;
    }
    inSync.remove(body.getString("from"));
    message.reply(snapshot());
  }

  private void onSynced(Message<JsonObject> message, JsonObject body) {
    String follower = body.getString("from");
    if (mode == Mode.LEADER && membership.running(role).stream().anyMatch(m -> m.id().equals(follower))) {
      inSync.put(follower, body.getLong("index", 0L));
      deposed = false; // a member that syncs with this node takes it as its leader
      LOG.info("{}: follower {} in sync at index {}", role, follower, body.getLong("index", 0L));
    }
    message.reply(new JsonObject());
  }

  private void onResync(Message<JsonObject> message, JsonObject body) {
    message.reply(new JsonObject());
    if (Objects.equals(body.getString("from"), leaderId) && mode == Mode.FOLLOWER) {
      resync("the leader asked");
    }
  }

  private void onForward(Message<JsonObject> message, JsonObject body) {
    ApiException refused = body.getBoolean("change", true) ? refusal()
        : mode == Mode.LEADER ? null : new ApiException(ErrorCode.NOT_LEADER, "this node does not lead the " + role + " role");
    Future<JsonObject> result = refused != null ? Future.failedFuture(refused)
        : forwarded.handle(body.getString("action", ""), body.getJsonObject("body", new JsonObject()),
            body.getString("by", "unknown"));
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else {
        BusErrors.fail(message, ar.cause());
      }
    });
  }

  private void onEntry(Message<JsonObject> message, JsonObject body) {
    if (!Objects.equals(body.getString("from"), leaderId) || (mode != Mode.FOLLOWER && mode != Mode.SYNCING)) {
      BusErrors.fail(message, new ApiException(ErrorCode.NOT_LEADER, "entry from " + body.getString("from")
          + ", which this node does not follow (" + mode.name().toLowerCase() + ", leader " + leaderId + ")"));
      return;
    }
    Pending pending = new Pending(body.getLong("term", 0L), body.getLong("index"), body.getJsonObject("entry"), message);
    buffer.put(body.getLong("prev"), pending);
    if (mode == Mode.FOLLOWER) {
      drain();
    }
  }

  /** Applies every buffered entry that continues the chain; acknowledges those already held. */
  private void drain() {
    Pending next;
    while ((next = buffer.remove(state.index())) != null) {
      Pending p = next;
      Future<Void> durable;
      try {
        durable = state.apply(p.index(), p.entry());
        if (p.term() > term) {
          durable = Future.all(durable, persistTerm(p.term())).mapEmpty();
        }
      } catch (RuntimeException e) {
        durable = Future.failedFuture(e);
      }
      durable.onComplete(ar -> {
        if (ar.succeeded()) {
          p.message().reply(new JsonObject().put("index", p.index()));
        } else {
          LOG.error("{}: applying index {} failed: {}", role, p.index(), ar.cause().toString());
          BusErrors.fail(p.message(), ar.cause());
        }
      });
    }
    long held = state.index();
    buffer.values().removeIf(p -> {
      if (p.index() <= held) {
        p.message().reply(new JsonObject().put("index", p.index()));
        return true;
      }
      return false;
    });
    buffer.headMap(held).clear();
    watchGap();
  }

  /** Entries waiting behind a missing one for longer than the retry pause mean a lost entry: sync again. */
  private void watchGap() {
    if (buffer.isEmpty()) {
      vertx.cancelTimer(gapTimer);
      gapTimer = -1;
      return;
    }
    if (gapTimer != -1) {
      return;
    }
    gapSince = state.index();
    long gen = generation;
    gapTimer = vertx.setTimer(options.retry().toMillis() * 4, t -> {
      gapTimer = -1;
      if (gen != generation || mode != Mode.FOLLOWER || buffer.isEmpty()) {
        return;
      }
      if (state.index() == gapSince) {
        resync("entries after index " + gapSince + " arrived without the one continuing it");
      } else {
        watchGap();
      }
    });
  }

  private void resync(String why) {
    LOG.warn("{}: syncing again from {}: {}", role, leaderId, why);
    long gen = ++generation;
    mode = Mode.SYNCING;
    sync(gen);
  }

  private Future<Message<JsonObject>> request(String member, String action, JsonObject body, long timeoutMillis) {
    DeliveryOptions delivery = new DeliveryOptions().addHeader(Addresses.HEADER_ACTION, action).setSendTimeout(timeoutMillis);
    return vertx.eventBus().request(Addresses.replica(role, member), body, delivery);
  }
}
