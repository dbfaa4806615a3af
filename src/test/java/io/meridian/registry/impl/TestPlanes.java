package io.meridian.registry.impl;

import io.meridian.common.config.RegistryOptions;
import io.meridian.common.net.Cidr;
import java.util.List;

/** Registry options used by the registry tests: the two planes, or none. */
final class TestPlanes {

  static RegistryOptions twoPlanes(boolean strict) {
    return new RegistryOptions(strict, List.of(
        new RegistryOptions.Plane("data", List.of(Cidr.parse("10.0.0.0/8"))),
        new RegistryOptions.Plane("mgmt", List.of(Cidr.parse("192.168.0.0/16")))), 64 * 1024, 64, 10_000);
  }

  static RegistryOptions noPlanes() {
    return new RegistryOptions(true, List.of(), 64 * 1024, 64, 10_000);
  }

  private TestPlanes() {
  }
}
