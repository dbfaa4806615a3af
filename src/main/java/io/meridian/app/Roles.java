package io.meridian.app;

import io.meridian.common.config.RoleNames;
import io.meridian.common.http.ApiModule;
import io.meridian.gateway.impl.GatewayVerticle;
import io.meridian.gateway.GatewayHttpApi;
import io.meridian.registry.RegistryHttpApi;
import io.meridian.registry.impl.RegistryVerticle;
import io.meridian.rules.RulesHttpApi;
import io.meridian.rules.impl.RulesVerticle;
import io.meridian.telemetry.TelemetryHttpApi;
import io.meridian.telemetry.impl.TelemetryVerticle;
import io.meridian.ui.impl.UiSite;
import io.meridian.ui.impl.UiVerticle;
import io.meridian.xds.XdsHttpApi;
import io.meridian.xds.impl.XdsVerticle;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The descriptors of every role, in deployment order. */
public final class Roles {

  private static final List<RoleDescriptor> ALL = List.of(
      new RoleDescriptor(RoleNames.REGISTRY, List.of("registry", "consul"), RegistryVerticle::new),
      new RoleDescriptor(RoleNames.RULES, List.of("rules"), RulesVerticle::new),
      new RoleDescriptor(RoleNames.XDS, List.of("xds"), XdsVerticle::new),
      new RoleDescriptor(RoleNames.GATEWAY, List.of("gateway"), GatewayVerticle::new),
      new RoleDescriptor(RoleNames.TELEMETRY, List.of("telemetry"), TelemetryVerticle::new),
      new RoleDescriptor(RoleNames.UI, List.of(), context -> new UiVerticle(context, UiSite.packed())));

  private static final Map<String, RoleDescriptor> BY_NAME = ALL.stream()
      .collect(Collectors.toUnmodifiableMap(RoleDescriptor::name, Function.identity()));

  /**
   * The REST modules every node's admin server mounts, whatever roles it runs: they reach
   * their role over the event bus, wherever it runs.
   */
  private static final List<ApiModule> API_MODULES = List.of(new RegistryHttpApi(), new RulesHttpApi(),
      new XdsHttpApi(), new GatewayHttpApi(), new TelemetryHttpApi(), new io.meridian.ui.UiHttpApi());

  /** Every descriptor, in deployment order. */
  public static List<RoleDescriptor> all() {
    return ALL;
  }

  /** The descriptors for {@code names}, in deployment order. */
  public static List<RoleDescriptor> select(List<String> names) {
    return ALL.stream().filter(d -> names.contains(d.name())).toList();
  }

  static RoleDescriptor byName(String name) {
    return BY_NAME.get(name);
  }

  /** The REST modules of every room. */
  public static List<ApiModule> apiModules() {
    return API_MODULES;
  }

  private Roles() {
  }
}
