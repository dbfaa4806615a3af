package io.meridian.gateway.impl.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterTest {

  private static Endpoint ep(int port, String... labels) {
    Map<String, String> l = new HashMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    return new Endpoint("127.0.0.1", port, "i" + port, "v1", l);
  }

  private static Cluster cluster(LbPolicy lb, OutlierPolicy outlier, Endpoint... endpoints) {
    return new Cluster("c", "svc", null, endpoints, lb, PoolLimits.NONE, outlier);
  }

  private static Map<Endpoint, Integer> spread(Cluster c, int n, String key) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(c.pick(key, null), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void roundRobinTakesEachEndpointInTurn() {
    Endpoint a = ep(1);
    Endpoint b = ep(2);
    Endpoint c = ep(3);
    Map<Endpoint, Integer> counts = spread(cluster(LbPolicy.ROUND_ROBIN, null, a, b, c), 300, null);
    assertThat(counts).containsEntry(a, 100).containsEntry(b, 100).containsEntry(c, 100);
  }

  @Test
  void endpointWeightsShareTrafficProportionally() {
    Endpoint heavy = ep(1, "weight", "3");
    Endpoint light = ep(2);
    Map<Endpoint, Integer> counts = spread(cluster(LbPolicy.ROUND_ROBIN, null, heavy, light), 20_000, null);
    // 3:1 → 75 % ± 2 %
    assertThat(counts.get(heavy)).isBetween(14_600, 15_400);
  }

  @Test
  void randomReachesEveryEndpoint() {
    Endpoint a = ep(1);
    Endpoint b = ep(2);
    Map<Endpoint, Integer> counts = spread(cluster(new LbPolicy(LbPolicy.Kind.RANDOM, null, null, false, null), null, a, b),
        10_000, null);
    assertThat(counts.get(a)).isBetween(4_500, 5_500);
  }

  @Test
  void leastRequestAvoidsTheBusyEndpoint() {
    Endpoint busy = ep(1);
    Endpoint idle = ep(2);
    busy.active.set(50);
    Map<Endpoint, Integer> counts = spread(cluster(new LbPolicy(LbPolicy.Kind.LEAST_REQUEST, null, null, false, null), null,
        busy, idle), 1_000, null);
    assertThat(counts.getOrDefault(busy, 0)).isZero();
    assertThat(counts.get(idle)).isEqualTo(1_000);
  }

  @Test
  void consistentHashKeepsAKeyOnOneEndpointAndMovesFewKeysWhenOneLeaves() {
    LbPolicy hash = new LbPolicy(LbPolicy.Kind.CONSISTENT_HASH, "x-user", null, false, null);
    Endpoint a = ep(1);
    Endpoint b = ep(2);
    Endpoint c = ep(3);
    Cluster three = cluster(hash, null, a, b, c);
    Cluster two = cluster(hash, null, a, b);
    Map<Endpoint, Integer> owners = new HashMap<>();
    int moved = 0;
    for (int k = 0; k < 3_000; k++) {
      String key = "user-" + k;
      Endpoint first = three.pick(key, null);
      for (int i = 0; i < 5; i++) {
        assertThat(three.pick(key, null)).isSameAs(first);
      }
      owners.merge(first, 1, Integer::sum);
      if (first != c && two.pick(key, null) != first) {
        moved++;
      }
    }
    // spread over all three, within ±30 % of a third
    assertThat(owners.values()).allSatisfy(n -> assertThat(n).isBetween(700, 1_300));
    // keys not owned by the endpoint that left stay where they were
    assertThat(moved).isZero();
  }

  @Test
  void ejectedEndpointsAreSkippedUntilTheirTimeIsUpAndAllEjectedMeansPanic() {
    OutlierPolicy outlier = new OutlierPolicy(3, 0, 60_000_000_000L, 100);
    Endpoint good = ep(1);
    Endpoint bad = ep(2);
    Cluster c = cluster(LbPolicy.ROUND_ROBIN, outlier, good, bad);
    c.record(bad, 500);
    c.record(bad, 500);
    assertThat(bad.ejected(System.nanoTime())).isFalse();
    c.record(bad, 200); // a success resets the run
    c.record(bad, 500);
    c.record(bad, 500);
    assertThat(bad.ejected(System.nanoTime())).isFalse();
    c.record(bad, 503);
    assertThat(bad.ejected(System.nanoTime())).isTrue();
    assertThat(spread(c, 100, null)).containsOnlyKeys(good);
    // everything ejected: traffic still goes somewhere (panic) rather than nowhere
    c.recordGatewayError(good);
    c.recordGatewayError(good);
    c.recordGatewayError(good);
    assertThat(good.ejected(System.nanoTime())).isTrue();
    assertThat(c.pick(null, null)).isNotNull();
  }

  @Test
  void maxEjectionPercentKeepsSomeEndpointsIn() {
    OutlierPolicy outlier = new OutlierPolicy(1, 0, 60_000_000_000L, 50);
    Endpoint a = ep(1);
    Endpoint b = ep(2);
    Cluster c = cluster(LbPolicy.ROUND_ROBIN, outlier, a, b);
    c.record(a, 500);
    c.record(b, 500);
    long now = System.nanoTime();
    assertThat(a.ejected(now)).isTrue();
    assertThat(b.ejected(now)).isFalse();
  }

  @Test
  void roundRobinRetriesDoNotTakeATurn() {
    Endpoint dead = ep(1);
    Endpoint live = ep(2);
    Cluster c = cluster(LbPolicy.ROUND_ROBIN, null, dead, live);
    int firstTriesOnDead = 0;
    for (int i = 0; i < 100; i++) {
      Endpoint first = c.pick(null, null);
      if (first == dead) {
        firstTriesOnDead++;
        assertThat(c.pick(null, dead)).isSameAs(live);
      }
    }
    // the dead endpoint gets its share of first tries, not all of them
    assertThat(firstTriesOnDead).isEqualTo(50);
  }

  @Test
  void aRetryAvoidsTheEndpointThatJustFailed() {
    Endpoint a = ep(1);
    Endpoint b = ep(2);
    Cluster c = cluster(new LbPolicy(LbPolicy.Kind.RANDOM, null, null, false, null), null, a, b);
    for (int i = 0; i < 100; i++) {
      assertThat(c.pick(null, a)).isSameAs(b);
    }
  }
}
