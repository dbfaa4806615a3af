package io.meridian.telemetry.impl.trace;

import static io.meridian.telemetry.impl.trace.Spans.id;
import static io.meridian.telemetry.impl.trace.Spans.span;
import static io.meridian.telemetry.impl.trace.Spans.trace;
import static io.meridian.telemetry.impl.trace.Spans.withKind;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Building a trace's span tree with timings. */
class TraceTreeTest {

  private static final String T = trace(7);

  @Test
  void verifiesThatChildrenNestUnderTheirParentsInStartOrderWithOffsetsFromTheTraceStart() {
    List<Span> spans = List.of(
        span(T, id(2), id(1), "orders", "select", 3_000, 1_000),
        span(T, id(1), id(0), "orders", "get order", 1_000, 5_000),
        span(T, id(3), id(1), "orders", "cache", 2_000, 500),
        span(T, id(0), null, "gateway", "GET orders", 0, 8_000));
    JsonObject json = TraceTree.toJson(T, spans);
    assertThat(json.getLong("start")).isEqualTo(Spans.T0);
    assertThat(json.getLong("duration")).isEqualTo(8_000);
    assertThat(json.getDouble("durationMs")).isEqualTo(8.0);
    assertThat(json.getInteger("spanCount")).isEqualTo(4);
    assertThat(json.getJsonArray("services")).containsExactly("gateway", "orders");
    JsonArray roots = json.getJsonArray("roots");
    assertThat(roots).hasSize(1);
    JsonObject root = roots.getJsonObject(0);
    assertThat(root.getString("id")).isEqualTo(id(0));
    assertThat(root.getLong("startOffset")).isZero();
    JsonObject child = root.getJsonArray("children").getJsonObject(0);
    assertThat(child.getString("name")).isEqualTo("get order");
    assertThat(child.getLong("startOffset")).isEqualTo(1_000);
    assertThat(child.getDouble("startOffsetMs")).isEqualTo(1.0);
    assertThat(child.getInteger("depth")).isEqualTo(1);
    JsonArray grandchildren = child.getJsonArray("children");
    assertThat(grandchildren.stream().map(o -> ((JsonObject) o).getString("name"))).containsExactly("cache", "select");
    assertThat(grandchildren.getJsonObject(1).getDouble("durationMs")).isEqualTo(1.0);
    assertThat(json.getJsonArray("spans").stream().map(o -> ((JsonObject) o).getString("id")))
        .containsExactly(id(0), id(1), id(3), id(2));
  }

  @Test
  void verifiesThatASharedServerHalfHangsUnderItsClientAndTakesTheChildrenOfThatId() {
    Span client = withKind(span(T, id(1), id(0), "web", "call", 100, 900), Span.Kind.CLIENT, false);
    Span server = withKind(span(T, id(1), id(0), "api", "call", 200, 700), Span.Kind.SERVER, true);
    Span work = span(T, id(2), id(1), "api", "work", 300, 100);
    Span root = span(T, id(0), null, "web", "page", 0, 1000);
    JsonObject tree = TraceTree.toJson(T, List.of(work, server, client, root)).getJsonArray("roots").getJsonObject(0);
    JsonObject c = tree.getJsonArray("children").getJsonObject(0);
    assertThat(c.getString("kind")).isEqualTo("CLIENT");
    JsonObject s = c.getJsonArray("children").getJsonObject(0);
    assertThat(s.getString("kind")).isEqualTo("SERVER");
    assertThat(s.getJsonArray("children").getJsonObject(0).getString("name")).isEqualTo("work");
  }

  @Test
  void verifiesThatOrphansAndCyclesBecomeRootsAndNothingIsLost() {
    List<Span> spans = List.of(
        span(T, id(0), null, "a", "root", 0, 10),
        span(T, id(5), id(4), "a", "orphan", 5, 1),      // parent never arrived
        span(T, id(6), id(7), "a", "cycle-a", 6, 1),
        span(T, id(7), id(6), "a", "cycle-b", 7, 1),
        span(T, id(8), id(8), "a", "self", 8, 1));
    JsonObject json = TraceTree.toJson(T, spans);
    List<String> roots = json.getJsonArray("roots").stream().map(o -> ((JsonObject) o).getString("name")).toList();
    assertThat(roots).contains("root", "orphan", "self");
    assertThat(count(json.getJsonArray("roots"))).isEqualTo(5);
  }

  @Test
  void verifiesThatAVeryDeepChainIsCutAtTheDepthLimitButKeptInTheFlatList() {
    List<Span> spans = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      spans.add(span(T, id(i), i == 0 ? null : id(i - 1), "deep", "level " + i, i, 1));
    }
    JsonObject json = TraceTree.toJson(T, spans);
    assertThat(json.getJsonArray("spans")).hasSize(2000);
    JsonObject node = json.getJsonArray("roots").getJsonObject(0);
    int depth = 0;
    while (!node.getJsonArray("children").isEmpty()) {
      node = node.getJsonArray("children").getJsonObject(0);
      depth++;
    }
    assertThat(depth).isEqualTo(TraceTree.MAX_DEPTH - 1);
    assertThat(node.getBoolean("truncated")).isTrue();
  }

  @Test
  void verifiesThatTheRootOfASummaryIsTheEarliestSpanWithoutParent() {
    Span late = span(T, id(0), null, "b", "late root", 50, 1);
    Span child = span(T, id(1), id(9), "a", "early child", 0, 1);
    assertThat(TraceTree.root(List.of(child, late))).isSameAs(late);
    assertThat(TraceTree.root(List.of(child))).isSameAs(child);
  }

  private static int count(JsonArray nodes) {
    int n = 0;
    for (Object o : nodes) {
      n += 1 + count(((JsonObject) o).getJsonArray("children"));
    }
    return n;
  }
}
