package io.meridian.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Verifies the compiled CIDR matcher against IPv4, IPv6, mapped addresses and plain addresses. */
class CidrSetTest {

  @Test
  void matchesIpv4NetworksAndSingleAddresses() {
    CidrSet set = CidrSet.parse(List.of("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12"));
    assertThat(set.contains("10.255.1.2")).isTrue();
    assertThat(set.contains("11.0.0.1")).isFalse();
    assertThat(set.contains("192.168.1.7")).isTrue();
    assertThat(set.contains("192.168.1.8")).isFalse();
    assertThat(set.contains("172.31.255.255")).isTrue();
    assertThat(set.contains("172.32.0.0")).isFalse();
    assertThat(set.contains("::ffff:10.1.2.3")).as("IPv4-mapped IPv6").isTrue();
    assertThat(set.contains("fd00::1")).isFalse();
    assertThat(set.contains("not-an-ip")).isFalse();
    assertThat(set.contains((byte[]) null)).isFalse();
  }

  @Test
  void matchesIpv6NetworksOnBothHalves() {
    CidrSet set = CidrSet.parse(List.of("fd00::/8", "2001:db8:0:0:1::/80", "::1"));
    assertThat(set.contains("fd12:3456::1")).isTrue();
    assertThat(set.contains("fe00::1")).isFalse();
    assertThat(set.contains("2001:db8::1:0:0:5")).isTrue();
    assertThat(set.contains("2001:db8::2:0:0:5")).isFalse();
    assertThat(set.contains("::1")).isTrue();
    assertThat(set.contains("::2")).isFalse();
    assertThat(set.contains("10.0.0.1")).isFalse();
  }

  @Test
  void everythingAndNothing() {
    assertThat(CidrSet.parse(List.of("0.0.0.0/0")).contains("203.0.113.9")).isTrue();
    assertThat(CidrSet.parse(List.of("::/0")).contains("2001:db8::1")).isTrue();
    assertThat(CidrSet.EMPTY.contains("127.0.0.1")).isFalse();
    assertThat(CidrSet.EMPTY.isEmpty()).isTrue();
  }

  @Test
  void badEntriesAreRefusedByName() {
    assertThatThrownBy(() -> CidrSet.parse(List.of("10.0.0.0/8", "example.com"))).hasMessageContaining("'example.com'");
    assertThatThrownBy(() -> CidrSet.parse(List.of("10.0.0.0/33"))).hasMessageContaining("0-32");
  }
}
