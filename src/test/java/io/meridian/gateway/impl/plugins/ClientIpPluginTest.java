package io.meridian.gateway.impl.plugins;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.common.net.CidrSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Verifies how the client address is taken from X-Forwarded-For sent by trusted proxies (nginx real_ip_recursive). */
class ClientIpPluginTest {

  private static final CidrSet TRUSTED = CidrSet.parse(List.of("10.0.0.0/8", "127.0.0.1"));

  @Test
  void theRightmostUntrustedEntryIsTheClient() {
    assertThat(ClientIpPlugin.clientOf(List.of("203.0.113.7"), TRUSTED)).isEqualTo("203.0.113.7");
    assertThat(ClientIpPlugin.clientOf(List.of("1.1.1.1, 203.0.113.7, 10.0.0.5"), TRUSTED)).isEqualTo("203.0.113.7");
    assertThat(ClientIpPlugin.clientOf(List.of("1.1.1.1,203.0.113.7 ,  10.0.0.5,127.0.0.1"), TRUSTED)).isEqualTo("203.0.113.7");
  }

  @Test
  void severalHeaderLinesAreOneListInOrder() {
    assertThat(ClientIpPlugin.clientOf(List.of("198.51.100.1", "203.0.113.7, 10.0.0.5"), TRUSTED)).isEqualTo("203.0.113.7");
    assertThat(ClientIpPlugin.clientOf(List.of("198.51.100.1", "10.0.0.5"), TRUSTED)).isEqualTo("198.51.100.1");
  }

  @Test
  void allTrustedGivesTheLeftmostAndGarbageStopsTheWalk() {
    assertThat(ClientIpPlugin.clientOf(List.of("10.1.1.1, 10.0.0.5"), TRUSTED)).isEqualTo("10.1.1.1");
    assertThat(ClientIpPlugin.clientOf(List.of("203.0.113.7, unknown, 10.0.0.5"), TRUSTED)).isEqualTo("10.0.0.5");
    assertThat(ClientIpPlugin.clientOf(List.of("unknown"), TRUSTED)).isNull();
    assertThat(ClientIpPlugin.clientOf(List.of(" , "), TRUSTED)).isNull();
  }

  @Test
  void portsAreDroppedAndAddressesCanonical() {
    assertThat(ClientIpPlugin.clientOf(List.of("203.0.113.7:5678"), TRUSTED)).isEqualTo("203.0.113.7");
    assertThat(ClientIpPlugin.clientOf(List.of("[2001:DB8:0::1]:443"), TRUSTED)).isEqualTo("2001:db8::1");
    assertThat(ClientIpPlugin.clientOf(List.of("2001:db8:0:0::7"), TRUSTED)).isEqualTo("2001:db8::7");
  }

  @Test
  void forwardedHeaderForValuesAreTheChainWithQuotesPortsAndUnknowns() {
    assertThat(ClientIpPlugin.forwardedFor(List.of("for=192.0.2.60;proto=http;by=203.0.113.43, for=\"[2001:db8:cafe::17]:4711\"")))
        .containsExactly("192.0.2.60", "[2001:db8:cafe::17]:4711");
    assertThat(ClientIpPlugin.forwardedFor(List.of("For=\"_hidden\", proto=https", "for=10.0.0.5")))
        .containsExactly("_hidden", "unknown", "10.0.0.5");
    assertThat(ClientIpPlugin.forwardedFor(List.of("for=\"a,b;c\";by=x"))).containsExactly("a,b;c");

    assertThat(ClientIpPlugin.walk(ClientIpPlugin.forwardedFor(List.of("for=198.51.100.1, for=203.0.113.7;proto=https, for=10.0.0.5")),
        TRUSTED)).isEqualTo("203.0.113.7");
    assertThat(ClientIpPlugin.walk(ClientIpPlugin.forwardedFor(List.of("for=\"[2001:db8::1]:4711\", for=127.0.0.1")), TRUSTED))
        .isEqualTo("2001:db8::1");
    // an obfuscated or missing `for` ends the walk at the address to its right
    assertThat(ClientIpPlugin.walk(ClientIpPlugin.forwardedFor(List.of("for=203.0.113.7, for=_proxy1, for=10.0.0.5")), TRUSTED))
        .isEqualTo("10.0.0.5");
  }
}
